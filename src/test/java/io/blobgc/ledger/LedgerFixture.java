package io.blobgc.ledger;

import io.blobgc.BlobHash;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Drives a {@link Ledger} the way the coordinator does: plan, then apply; a clock of its own. */
final class LedgerFixture {
    long now = 1_700_000_000_000L;
    final Ledger ledger;
    private final Map<String, Long> seqs = new HashMap<>();

    LedgerFixture(LedgerSettings settings) {
        this.ledger = new Ledger(settings);
    }

    /** Drives {@code ledger} (a partition's, say). */
    LedgerFixture(Ledger ledger) {
        this.ledger = ledger;
    }

    /** Grace 0, stale threshold 10 min, one node: the settings of the original's tests. */
    static LedgerFixture noGrace() {
        return new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(0));
    }

    /** The original's {@code make_hash}: 32 times the same byte. */
    static BlobHash h(int b) {
        byte[] bytes = new byte[32];
        Arrays.fill(bytes, (byte) b);
        return BlobHash.of(bytes);
    }

    void register(BlobHash... hs) {
        List<Registration> regs = new ArrayList<>();
        for (BlobHash x : hs) regs.add(Registration.of(x));
        ledger.applyRegistered(regs);
    }

    void registerWithDeps(BlobHash hash, BlobHash... deps) {
        ledger.applyRegistered(List.of(new Registration(hash, List.of(deps))));
    }

    ReportOutcome full(String node, Collection<BlobHash> active, Collection<BlobHash> pins) {
        registerUnknown(active);
        registerUnknown(pins);
        return ledger.report(NodeReport.full(node, 1, nextSeq(node), List.copyOf(active), List.copyOf(pins)), now);
    }

    ReportOutcome full(String node, BlobHash... active) {
        return full(node, List.of(active), List.of());
    }

    ReportOutcome delta(String node, Collection<BlobHash> added, Collection<BlobHash> removed) {
        registerUnknown(added);
        return ledger.report(NodeReport.delta(node, 1, nextSeq(node), List.copyOf(added), List.copyOf(removed),
                List.of(), List.of()), now);
    }

    ReportOutcome pinDelta(String node, Collection<BlobHash> pinsAdded, Collection<BlobHash> pinsRemoved) {
        registerUnknown(pinsAdded);
        return ledger.report(NodeReport.delta(node, 1, nextSeq(node), List.of(), List.of(),
                List.copyOf(pinsAdded), List.copyOf(pinsRemoved)), now);
    }

    /** Blobs a node uses were uploaded (registered) first: reports never register anything themselves. */
    private void registerUnknown(Collection<BlobHash> hs) {
        for (BlobHash x : hs) if (ledger.status(x).isEmpty()) register(x);
    }

    ReportOutcome heartbeat(String node) {
        return delta(node, List.of(), List.of());
    }

    long nextSeq(String node) {
        return seqs.merge(node, 1L, Long::sum);
    }

    CycleOutcome cycle() {
        CycleOutcome o = ledger.planCycle(now, false);
        ledger.applyCycle(o);
        return o;
    }

    CycleOutcome dryCycle() {
        CycleOutcome o = ledger.planCycle(now, true);
        ledger.applyCycle(o);
        return o;
    }

    List<BlobHash> startDeletion() {
        List<BlobHash> batch = ledger.planDeletion(1000);
        ledger.applyDeletionStarted(batch, now);
        return batch;
    }

    void collect(Collection<BlobHash> hs) {
        ledger.applyCollected(hs, now);
    }

    void pin(BlobHash x, String owner) {
        ledger.applyPinned(x, new Pin(owner, "test", now, null));
    }

    void unpin(BlobHash x, String owner) {
        ledger.applyUnpinned(x, owner);
    }

    void advance(long ms) {
        now += ms;
    }

    BlobStatus status(BlobHash x) {
        return ledger.status(x).orElse(null);
    }

    static List<BlobHash> hashes(Collection<CycleOutcome.MarkedBlob> marked) {
        return marked.stream().map(CycleOutcome.MarkedBlob::hash).toList();
    }
}
