package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.NodeReport;

import java.util.ArrayList;
import java.util.List;

/**
 * The coordinator's decisions applied to a ledger, their events kept in a list as the journal: what the core-level
 * tests of recoveries and takeovers drive (one monotonic clock for every instance, S10's assumption).
 */
final class TestJournal {

    final List<Coordinator.Event> events = new ArrayList<>();
    private final LedgerSettings settings;

    TestJournal(LedgerSettings settings) {
        this.settings = settings;
    }

    /** Persists the decision's events (kept, then applied to {@code l}) and returns its answer. */
    <R> R run(PartitionedLedger l, CoordinatorCore.Decision<R> d) {
        for (Coordinator.Event e : d.events()) {
            events.add(e);
            CoordinatorCore.apply(l, e);
        }
        return d.reply().apply(l);
    }

    /** A new instance's recovery: every event kept so far, replayed on an empty ledger. */
    PartitionedLedger recover() {
        return replay(settings, events);
    }

    /** A decision on a ledger of its own (not this journal): its events applied, its answer returned. */
    static <R> R runAlone(PartitionedLedger l, CoordinatorCore.Decision<R> d) {
        for (Coordinator.Event e : d.events()) CoordinatorCore.apply(l, e);
        return d.reply().apply(l);
    }

    static PartitionedLedger replay(LedgerSettings settings, List<Coordinator.Event> events) {
        PartitionedLedger l = new PartitionedLedger(settings);
        for (Coordinator.Event e : events) CoordinatorCore.apply(l, e);
        return l;
    }

    static NodeReport full(String node, long seq, List<BlobHash> held) {
        return new NodeReport(node, 1L, seq, NodeReport.Kind.FULL, held, List.of(), List.of(), List.of(), 0, 1);
    }

    static NodeReport heartbeat(String node, long seq) {
        return new NodeReport(node, 1L, seq, NodeReport.Kind.DELTA, List.of(), List.of(), List.of(), List.of(), 0, 1);
    }
}
