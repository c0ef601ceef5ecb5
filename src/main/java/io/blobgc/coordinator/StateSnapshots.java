package io.blobgc.coordinator;

import io.blobgc.coordinator.Coordinator.State;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.LedgerSnapshot;
import org.apache.pekko.persistence.typed.SnapshotAdapter;

/** The {@link Coordinator}'s snapshots: its state's persistent half, the ledger's {@link LedgerSnapshot}. */
final class StateSnapshots implements SnapshotAdapter<State> {
    private final LedgerSettings settings;

    StateSnapshots(LedgerSettings settings) {
        this.settings = settings;
    }

    @Override
    public Object toJournal(State state) {
        return state.ledger.snapshot();
    }

    @Override
    public State fromJournal(Object from) {
        return new State(PartitionedLedger.fromSnapshot(settings, (LedgerSnapshot) from));
    }
}
