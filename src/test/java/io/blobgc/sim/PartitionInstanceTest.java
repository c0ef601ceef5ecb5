package io.blobgc.sim;

import io.blobgc.BlobHash;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.Registration;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A simulated partition entity (partitions-part2-plan §9 step 7, its first part): an {@link Simulation.Instance} of one
 * partition writes its own journal ({@code blob-gc-partition|p}) and snapshots, and a fresh recovery from them hosts
 * that partition alone, with the live instance's persistent state — what the oracle's journal check compares.
 */
class PartitionInstanceTest {

    @Test
    void aPartitionEntityRecoversFromItsOwnJournalAcrossASnapshot() {
        Simulation sim = new Simulation(1, 4);
        int p = 2;
        Journal journal = Simulation.partitionJournal(p);
        Simulation.Instance e = sim.new Instance(sim.members.get(0), p, journal);
        e.core.recovered(e.ledger, List.of(), sim.now);
        e.run(e.core.takeOver("#e", e.wall(), Simulation.BATCH_DEADLINE, 4, "sharded", p));
        int owned = 0;
        for (BlobHash h : sim.universe) {
            if (sim.partitioning.partitionOf(h) != p) continue;
            owned++;
            e.run(e.core.register(e.ledger, List.of(Registration.of(h)), x -> true, e.wall(), sim.now));
        }
        for (long cycle = 1; cycle <= Simulation.SNAPSHOT_EVERY; cycle++) {
            e.run(e.core.partitionCycle(e.ledger, cycle, false, e.wall(), sim.now));
        }
        assertTrue(owned > 0, "partition " + p + " owns some of the universe");
        assertTrue(journal.snapshotAt > 0 && journal.snapshotAt < journal.size(), "a snapshot, and events after it: "
                + journal.snapshotAt + " of " + journal.size());
        assertEquals(1, journal.snapshot.size(), "the snapshot of the one partition hosted");

        PartitionedLedger recovered = sim.recover(journal, e.ledger.settings(), p);
        assertEquals(List.of(p), recovered.hostedPartitions());
        assertEquals(sim.persistentState(e.ledger), sim.persistentState(recovered));
        assertEquals("blob-gc-partition|2", e.pid());
        assertTrue(sim.samePid(e).equals(List.of(e)), "the coordinator's instances are another persistence id's");
    }

    @Test
    void noInstanceOfAPartitionThatDoesNotExist() {
        Simulation sim = new Simulation(1, 4);
        assertThrows(IllegalArgumentException.class, () -> sim.new Instance(sim.members.get(0), 4,
                Simulation.partitionJournal(4)));
    }
}
