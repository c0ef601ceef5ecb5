package io.blobgc.coordinator;

import io.blobgc.coordinator.Coordinator.State;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.LedgerSnapshot;
import io.blobgc.ledger.Partitioning;
import org.apache.pekko.persistence.typed.SnapshotAdapter;

/**
 * The {@link Coordinator}'s snapshots: its state's persistent half, the ledger's {@link LedgerSnapshot} at P = 1 and
 * one per partition ({@link SnapshotSections}) at P &gt; 1. A partition entity's ({@link Hosting#partition}) is its one
 * partition's {@link LedgerSnapshot}, which records that partition and P (partitions-part2-plan §2, "Snapshots per
 * entity"). A snapshot restores the number of partitions it was written with, and an entity's its partition; an
 * instance configured otherwise refuses to start ({@link JournalPartitions}).
 */
final class StateSnapshots implements SnapshotAdapter<State> {
    private final LedgerSettings settings;
    /** Whose snapshots: an entity's ledger is restored as its hosting has it ({@link Hosting#entityLedger}). */
    private final Hosting hosting;

    StateSnapshots(LedgerSettings settings, Hosting hosting) {
        this.settings = settings;
        this.hosting = hosting;
    }

    @Override
    public Object toJournal(State state) {
        PartitionedLedger l = state.ledger;
        return l.hostedPartitions().size() == 1 ? l.snapshot() : new SnapshotSections(l.snapshots());
    }

    @Override
    public State fromJournal(Object from) {
        if (from instanceof SnapshotSections s) {
            return new State(PartitionedLedger.fromSnapshots(settings, s.partitions(),
                    Partitioning.of(s.partitions().size())));
        }
        if (from instanceof Conductor.ConductorSnapshot c) return conductors(c);
        LedgerSnapshot s = (LedgerSnapshot) from;
        return new State(s.partition() == null ? PartitionedLedger.fromSnapshot(settings, s) : entity(s));
    }

    /**
     * The conductor's snapshot (partition-hosting = sharded): no ledger, only what the recovery refuses it by — its P
     * and hosting, recorded as its takeovers recorded them.
     */
    private State conductors(Conductor.ConductorSnapshot c) {
        PartitionedLedger l = JournalPartitions.wholeLedger(settings, 16, c.partitions());
        l.applyPartitions(c.partitions());
        l.applyHosting(c.hosting(), null);
        return new State(l);
    }

    /** An entity's snapshot: its partition alone, of the number of partitions it recorded. */
    private PartitionedLedger entity(LedgerSnapshot s) {
        try {
            return hosting.entityLedger(PartitionedLedger.hostingFromSnapshot(settings, s,
                    Partitioning.of(JournalPartitions.written(s.partitions())), s.partition()));
        } catch (IllegalArgumentException foreign) { // no number of partitions, or no partition of it: refused later
            return PartitionedLedger.fromSnapshot(settings, s);
        }
    }
}
