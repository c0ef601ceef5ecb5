package io.blobgc.coordinator;

import io.blobgc.coordinator.Coordinator.State;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.LedgerSnapshot;
import io.blobgc.ledger.Partitioning;
import org.apache.pekko.persistence.typed.SnapshotAdapter;

/**
 * The {@link Coordinator}'s snapshots: its state's persistent half, the ledger's {@link LedgerSnapshot} at P = 1 and
 * one per partition ({@link SnapshotSections}) at P &gt; 1. A snapshot restores the number of partitions it was
 * written with; a coordinator configured with another refuses to start ({@link JournalPartitions}).
 */
final class StateSnapshots implements SnapshotAdapter<State> {
    private final LedgerSettings settings;

    StateSnapshots(LedgerSettings settings) {
        this.settings = settings;
    }

    @Override
    public Object toJournal(State state) {
        PartitionedLedger l = state.ledger;
        return l.partitioning().count() == 1 ? l.snapshot() : new SnapshotSections(l.snapshots());
    }

    @Override
    public State fromJournal(Object from) {
        if (from instanceof SnapshotSections s) {
            return new State(PartitionedLedger.fromSnapshots(settings, s.partitions(),
                    Partitioning.of(s.partitions().size())));
        }
        return new State(PartitionedLedger.fromSnapshot(settings, (LedgerSnapshot) from));
    }
}
