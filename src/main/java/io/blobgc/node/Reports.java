package io.blobgc.node;

import io.blobgc.BlobHash;
import io.blobgc.ledger.NodeReport;
import io.blobgc.node.ReporterCore.Output;
import io.blobgc.node.ReporterCore.SendReport;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The reports of one {@link ReporterCore}: their seq, whether the next one must be FULL, and what a DELTA is counted
 * against. A FULL report larger than {@code maxReportChunk} hashes is sent in chunks; a DELTA that large goes as a
 * FULL one.
 */
final class Reports {

    private final String node;
    private final long incarnation;
    private final int maxReportChunk;

    private long seq;
    private long lastFullSeq = -1;
    private boolean needFull = true;
    private Set<BlobHash> lastSentActive = Set.of();
    private Set<BlobHash> lastSentPins = Set.of();
    /**
     * Asked of the fence since the last report: the coordinator may have recorded them beyond what we reported,
     * so the next DELTA withdraws those not held any more.
     */
    private final Set<BlobHash> askedSinceReport = new HashSet<>();

    Reports(String node, long incarnation, int maxReportChunk) {
        this.node = node;
        this.incarnation = incarnation;
        this.maxReportChunk = maxReportChunk;
    }

    /** The seq of the last report sent (0 before the first). */
    long seq() {
        return seq;
    }

    /** The next report is a FULL one. */
    void needFull() {
        needFull = true;
    }

    /** Whether a request for a FULL report about {@code (incarnation, seq)} is not answered yet (see resendFull). */
    boolean fullStillWanted(long incarnation, long seq) {
        return incarnation == Long.MIN_VALUE || (incarnation == this.incarnation && seq > lastFullSeq);
    }

    /** {@code hash} was asked of the fence. */
    void asked(BlobHash hash) {
        askedSinceReport.add(hash);
    }

    /** Sends what this node reports now: a FULL report when one is due, else a DELTA. */
    void send(Set<BlobHash> active, Set<BlobHash> pins, List<Output> out) {
        if (needFull) full(active, pins, out);
        else delta(active, pins, out);
        lastSentActive = active;
        lastSentPins = pins;
        askedSinceReport.clear();
    }

    private void full(Set<BlobHash> active, Set<BlobHash> pins, List<Output> out) {
        needFull = false;
        seq++;
        lastFullSeq = seq;
        List<BlobHash> a = new ArrayList<>(active);
        List<BlobHash> p = new ArrayList<>(pins);
        int total = a.size() + p.size();
        int chunks = Math.max(1, (total + maxReportChunk - 1) / maxReportChunk);
        for (int c = 0; c < chunks; c++) {
            int from = c * maxReportChunk, to = Math.min(total, from + maxReportChunk);
            List<BlobHash> ca = a.subList(Math.min(from, a.size()), Math.min(to, a.size()));
            List<BlobHash> cp = p.subList(Math.max(0, from - a.size()), Math.max(0, to - a.size()));
            out.add(new SendReport(new NodeReport(node, incarnation, seq, NodeReport.Kind.FULL, List.copyOf(ca),
                    List.of(), List.copyOf(cp), List.of(), c, chunks)));
        }
    }

    private void delta(Set<BlobHash> active, Set<BlobHash> pins, List<Output> out) {
        List<BlobHash> added = new ArrayList<>(), removed = new ArrayList<>();
        for (BlobHash h : active) if (!lastSentActive.contains(h)) added.add(h);
        for (BlobHash h : lastSentActive) if (!active.contains(h)) removed.add(h);
        for (BlobHash h : askedSinceReport) if (!active.contains(h) && !lastSentActive.contains(h)) removed.add(h);
        List<BlobHash> pinsAdded = new ArrayList<>(), pinsRemoved = new ArrayList<>();
        for (BlobHash h : pins) if (!lastSentPins.contains(h)) pinsAdded.add(h);
        for (BlobHash h : lastSentPins) if (!pins.contains(h)) pinsRemoved.add(h);
        if (added.size() + removed.size() + pinsAdded.size() + pinsRemoved.size() > maxReportChunk) {
            full(active, pins, out); // too large for one message: a FULL report is chunked
            return;
        }
        seq++;
        out.add(new SendReport(NodeReport.delta(node, incarnation, seq, added, removed, pinsAdded, pinsRemoved)));
    }
}
