package io.blobgc.ledger;

import io.blobgc.CborSerializable;

import java.util.Map;
import java.util.TreeMap;

/**
 * What a hosted partition answers a poll of the settle round (partitions.md §1, "settle round";
 * partitions-part2-plan S1.5): partitions that recover together each wait for the others' settled FULLs, which none
 * sends while it warms up, so a driver ({@link SettleRound}) polls them and tells them when their provisional exports
 * have reached a fixpoint. One status per partition and poll, read after the partition flushed its exports for that
 * poll ({@link PartitionedLedger#settleStatus}).
 *
 * <p>The round decides by the cut's fields alone ({@link #cut} and the three after it; {@link SettleRound#cutClean}).
 * {@link #sent}, {@link #applied} and {@link #dirty}, the marks of every export with content, are what it compared
 * before the cut (partitions-part2-plan §10.4): the conductor's debug line prints them, and a partition that is not
 * warming up flushes before it answers when it is {@link #dirty} (or {@link #cutDirty}).
 *
 * <p><b>Why the counters count only reports with content.</b> Every flush sends a report to every other partition,
 * an empty DELTA when nothing changed (the heartbeat), and the poll itself flushes: raw seqs grow at every poll, so two
 * polls would never look alike. {@link #sent} and {@link #applied} therefore name the last report <i>with content</i>
 * — by its own (incarnation, seq), so the sender's and the target's marks are of the same numbering and compare as
 * they are. A heartbeat moves neither; a report that may change the target's view moves the sender's at once and the
 * target's when it is applied. Settled, a report has content if it is a FULL or a DELTA that lists something
 * ({@link Exports#withContent}). Provisional — applied add-only — only if it is a FULL or adds a hash not listed to
 * that target since the last FULL (partitions-part2-plan §10, tier 1): its removals and its re-adds change no view, and
 * counted, a VM retrying a refused registration (a reservation, then its release or its walk's ask, at every retry)
 * kept the marks moving at every poll, so that partitions recovering together never settled. The sender decides
 * ({@link Exports#contentStamp}) and stamps each export with it; the target keeps the stamp of the last report it
 * applied, which, reports being applied in order, names the last report with content applied. So:
 * <ul>
 *   <li>{@code p.sent[q] == q.applied[p]}: q has applied everything p sent it that could change its view (a report
 *       in flight, lost or refused leaves them unequal);</li>
 *   <li>the same marks at two polls: no such report was sent or applied in between.</li>
 * </ul>
 * A lost report cannot leave them unequal for ever: the next heartbeat reaches the target after a gap, the target
 * answers NEED_FULL, and the FULL the sender then owes is a new report with content, which moves both marks once it
 * is applied (partitions-part2-plan §5, riskiest part 2: no stuck counter). A FULL a warming target refuses for its
 * echo (S1.4) is counted as sent and not as applied, and leaves them unequal until the FULL it asked for is applied.
 * A new generation restarts the sender's
 * seqs with a FULL: a new incarnation, so the marks stay ordered and comparable.
 *
 * @param partition     the partition answering
 * @param generation    its generation ({@link Ledger#generation}): the incarnation of its exports; the settle round's
 *                      epoch is the vector of these, and a {@code Settled} of another epoch is ignored
 * @param warming       whether it warms up
 * @param haveAllInputs only the other partitions' settling holds its warm-up: every blocker left is a partition
 *                      view, and every partition view is complete and took a FULL, provisional or settled, since the
 *                      recovery (true when not warming up)
 * @param sent          by other partition q: the last report with content it sent to q
 * @param applied       by other partition q: the last report with content from q it applied
 * @param dirty         its next flush may send more than heartbeats: something flipped, or a FULL is owed, since the
 *                      flush of this poll (conservative: a flip need not change an export)
 * @param cut           the settle round's cut it has taken (partitions-part2-plan §10, tier 2; {@link Cut}); 0: none.
 *                      Additive, as the three below: an older partition's answer reads as 0, empty and false
 * @param cutSent       by other partition q: its cut seq to q, the seq of the last report with cut content it sent
 *                      to q in {@code cut} (0: none)
 * @param cutApplied    by other partition q: the cut seq of the last report from q it applied in {@code cut} (0: none)
 * @param cutDirty      its next flush sends cut content: it took the cut since its last flush (the base), or applied
 *                      cut content whose remote callees it has not forwarded yet
 */
public record SettleStatus(int partition, int generation, boolean warming, boolean haveAllInputs,
                           Map<Integer, ReportId> sent, Map<Integer, ReportId> applied, boolean dirty,
                           long cut, Map<Integer, Long> cutSent, Map<Integer, Long> cutApplied, boolean cutDirty)
        implements CborSerializable {

    public SettleStatus {
        sent = java.util.Collections.unmodifiableMap(new TreeMap<>(sent));
        applied = java.util.Collections.unmodifiableMap(new TreeMap<>(applied));
        cutSent = marks(cutSent);
        cutApplied = marks(cutApplied);
    }

    /** A status of no cut (as an older partition's). */
    public SettleStatus(int partition, int generation, boolean warming, boolean haveAllInputs,
                        Map<Integer, ReportId> sent, Map<Integer, ReportId> applied, boolean dirty) {
        this(partition, generation, warming, haveAllInputs, sent, applied, dirty, 0, Map.of(), Map.of(), false);
    }

    /** {@code marks} without null keys or values (CBOR can carry them), or empty when null. */
    private static Map<Integer, Long> marks(Map<Integer, Long> marks) {
        TreeMap<Integer, Long> out = new TreeMap<>();
        if (marks != null) marks.forEach((q, m) -> {
            if (q != null && m != null) out.put(q, m);
        });
        return java.util.Collections.unmodifiableMap(out);
    }

    /** Its cut seq to {@code q} in {@link #cut} (0: none). */
    public long cutSentTo(int q) {
        return cutSent.getOrDefault(q, 0L);
    }

    /** The cut seq of the last report from {@code q} applied in {@link #cut} (0: none). */
    public long cutAppliedFrom(int q) {
        return cutApplied.getOrDefault(q, 0L);
    }

    /** One report of a reporter, by its place in the reporter's order: (incarnation, seq). */
    public record ReportId(long incarnation, long seq) implements CborSerializable {

        /** No report yet. */
        public static final ReportId NONE = new ReportId(Long.MIN_VALUE, 0);

        static ReportId of(long[] incarnationAndSeq) {
            return new ReportId(incarnationAndSeq[0], incarnationAndSeq[1]);
        }
    }

    /** The last report with content sent to {@code q}; {@link ReportId#NONE} when none. */
    public ReportId sentTo(int q) {
        return sent.getOrDefault(q, ReportId.NONE);
    }

    /** The last report with content from {@code q} applied; {@link ReportId#NONE} when none. */
    public ReportId appliedFrom(int q) {
        return applied.getOrDefault(q, ReportId.NONE);
    }
}
