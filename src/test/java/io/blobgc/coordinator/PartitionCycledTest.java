package io.blobgc.coordinator;

import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.Registration;
import io.blobgc.ledger.TwoPartitions;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * What a partition entity answers the conductor's cycle ({@link CoordinatorCore#partitionCycled}), with no actor
 * system: the cycle's outcome once, and the latest cycle it knows — what the conductor's "behind" rule reads.
 */
class PartitionCycledTest {

    private final long now = 1_000, localNow = 5_000;
    private final CoordinatorCore core = new CoordinatorCore(false);
    private final PartitionedLedger b = TwoPartitions.hosted(1, List.of(Registration.of(TwoPartitions.in(1, 1))), 0,
            false, now);

    @Test
    void aCycleIsRunOnceAndAnsweredWithTheLatestCycleTheEntityKnows() {
        var first = core.partitionCycled(b, 1, 3, false, now, localNow);
        assertFalse(first.events().isEmpty(), "cycle 3 written");
        Coordinator.PartitionCycled ran = TestJournal.runAlone(b, first);
        assertEquals(1, ran.partition());
        assertEquals(3, ran.cycle());
        assertNotNull(ran.outcome());
        assertEquals(3, ran.lastCycle());

        var again = core.partitionCycled(b, 1, 3, false, now, localNow);
        assertEquals(List.of(), again.events(), "a cycle run already writes nothing");
        assertNull(TestJournal.runAlone(b, again).outcome());

        Coordinator.PartitionCycled behind = TestJournal.runAlone(b, core.partitionCycled(b, 1, 2, false, now,
                localNow));
        assertNull(behind.outcome());
        assertEquals(3, behind.lastCycle(), "a conductor behind learns the entity's later cycle");
    }
}
