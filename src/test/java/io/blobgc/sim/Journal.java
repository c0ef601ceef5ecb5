package io.blobgc.sim;

import io.blobgc.coordinator.Coordinator;
import io.blobgc.ledger.LedgerSnapshot;

import java.util.ArrayList;
import java.util.List;

/**
 * The journal of one persistence id, as the simulation keeps it: its events in order (an event's index is its sequence
 * number less one, the journal's unique key) and its last snapshot. Recovery is the snapshot and the events after it
 * ({@link Simulation#recover}). One for the coordinator ({@code blob-gc-coordinator}, at P = 1 and for the
 * coordinator-hosted P &gt; 1); one per partition when the partitions are entities ({@code blob-gc-partition|p}).
 */
final class Journal {

    final String pid;
    final List<Coordinator.Event> events = new ArrayList<>();
    /** The last snapshot: one per partition of the ledger that took it (null: none yet). */
    List<LedgerSnapshot> snapshot;
    /** How many events {@link #snapshot} covers: a recovery replays the events from this index on. */
    int snapshotAt;

    Journal(String pid) {
        this.pid = pid;
    }

    /** The number of events written: the next write takes this index. */
    int size() {
        return events.size();
    }
}
