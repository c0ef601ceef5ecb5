package io.blobgc.ledger;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The settle round over messages (partitions.md §1, "settle round"; partitions-part2-plan S1.5): decides, from the
 * statuses the partitions answer to its polls ({@link SettleStatus}), when partitions that recovered together may end
 * their warm-ups. Pure: the driver — the Conductor, the simulation, a test — polls, feeds each poll's answers to
 * {@link #poll}, and sends {@code Settled(epoch)} when it returns an epoch.
 *
 * <p>In one JVM {@link PartitionedLedger#settle} exchanges the exports to a fixpoint, synchronously. Over messages
 * nobody sees the whole at once: each partition answers at its own moment, while exports are in flight, delayed, lost
 * or duplicated, and nodes keep reporting. So this waits for a <b>double collect</b>: two polls in a row whose
 * answers are identical, with every partition present, every input in ({@link SettleStatus#haveAllInputs}), nothing
 * dirty and every report with content sent also applied ({@code p.sent[q] == q.applied[p]}).
 * <ul>
 *   <li>The marks are monotonic and move with every report that may change a view (see {@link SettleStatus}: a
 *       provisional report that only removes, or re-adds hashes listed since its sender's last FULL, changes no view,
 *       since its target applies it add-only and in order, and does not move them), and a
 *       partition flushes before it answers: a hold that reached a partition between its two answers is exported by
 *       its second flush, which moves its mark. So the same answers twice mean nothing moved in between: at any
 *       moment between the two polls every partition's exports were what its targets held, and each one's exact
 *       flush of the second poll found nothing to add — a fixpoint, which holds every root's closure (node views,
 *       pins, stickies).</li>
 *   <li>One poll alone is not enough: a partition answers, then a node's report adds a hold in it; the others answer
 *       after it, and the poll looks clean though that partition's next flush exports a new callee.</li>
 *   <li>Anything else — a partition missing (its answer lost or late), an input not in, a report not applied, a
 *       generation changed — starts again: the next clean poll is a first collect.</li>
 * </ul>
 *
 * <p>The epoch is the vector of the partitions' generations of the second poll. A partition that recovered again
 * since (a new generation) was not part of that fixpoint, and ignores the {@code Settled} ({@link #appliesTo}).
 *
 * <p>A hold that reaches a partition after its last answer and before the {@code Settled} is not in the fixpoint; the
 * fence of reported holds ({@link PartitionedLedger#reportedHolds}) covers it, as after any warm-up.
 */
public final class SettleRound {

    private final int partitions;
    /**
     * Whether the criterion is the cut's (partitions-part2-plan §10, tier 2: {@link #cutClean}, and the double
     * collect compares only the cut's marks) rather than every export with content ({@link #clean}).
     */
    private final boolean byCut;
    /** What the last poll's answers were compared by, when it was a clean first collect; null: none. */
    private Map<Integer, ?> firstCollect;
    /**
     * The cut the next queries carry ({@link #queryCut}; partitions-part2-plan §10, tier 2): 0, none. Allocated by
     * {@link #poll} from the answers, kept whatever the criterion: without {@link #byCut} it is bookkeeping only.
     */
    private long cut;
    /** The generations, by partition, of the poll that allocated {@link #cut}; null: none, or spent by an epoch. */
    private List<Integer> cutGenerations;

    /** A round over {@code partitions} partitions (P &gt; 1), by every export with content ({@link #clean}). */
    public SettleRound(int partitions) {
        this(partitions, false);
    }

    /**
     * A round over {@code partitions} partitions (P &gt; 1); {@code byCut}: by the cut's content only
     * ({@link #cutClean}), else by every export with content ({@link #clean}).
     */
    public SettleRound(int partitions, boolean byCut) {
        if (partitions < 2) throw new IllegalArgumentException("a settle round needs partitions: " + partitions);
        this.partitions = partitions;
        this.byCut = byCut;
    }

    /**
     * One poll's answers, by partition (some may be missing): the epoch to send as {@code Settled(epoch)} — the
     * generations by partition — when this poll and the one before are a double collect, else empty. After an epoch
     * the round starts again. The answers also allocate the cut the next queries carry ({@link #queryCut}).
     */
    public Optional<List<Integer>> poll(Map<Integer, SettleStatus> statuses) {
        boolean clean = byCut ? cutClean(statuses) : clean(statuses);
        long before = cut;
        allocateCut(statuses);
        if (!clean || (byCut && cut != before)) {
            firstCollect = null;
            return Optional.empty();
        }
        Map<Integer, ?> collect = byCut ? cutMarks(statuses) : Map.copyOf(statuses);
        if (!collect.equals(firstCollect)) {
            firstCollect = collect;
            return Optional.empty();
        }
        firstCollect = null;
        List<Integer> epoch = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) epoch.add(statuses.get(p).generation());
        if (byCut) { // spent: a partition that missed the Settled and still warms settles on the next cut, at once
            cut++;
            cutGenerations = List.copyOf(epoch);
        }
        return Optional.of(List.copyOf(epoch));
    }

    /** Forgets the first collect (the driver lost track of a poll). */
    public void reset() {
        firstCollect = null;
    }

    /** The cut the next {@code SettleQuery} carries (partitions-part2-plan §10, tier 2); 0: none. */
    public long queryCut() {
        return cut;
    }

    /**
     * Allocates the cut from one poll's answers (partitions-part2-plan §10.4, "Ids"):
     * <ul>
     *   <li>every partition answered and none warms up: no cut (0);</li>
     *   <li>the cut is kept while it is current: allocated, no answer names a higher one, and the generations (when
     *       every partition answered) are the ones it was allocated at — later flaps of {@code haveAllInputs} do not
     *       restart it;</li>
     *   <li>else, at the first poll where every partition answered, some warms up and each has all its inputs in, a
     *       new one: one past both this round's and every answered cut (a conductor that failed over goes past its
     *       predecessor's). So the recovery's node FULLs and first imports come before the cut.</li>
     * </ul>
     */
    private void allocateCut(Map<Integer, SettleStatus> statuses) {
        boolean all = statuses.size() == partitions, anyWarming = false, inputsIn = true;
        long maxAnswered = 0;
        List<Integer> generations = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            SettleStatus s = statuses.get(p);
            if (s == null || s.partition() != p) {
                all = false;
                continue;
            }
            anyWarming |= s.warming();
            inputsIn &= s.haveAllInputs();
            maxAnswered = Math.max(maxAnswered, s.cut());
            generations.add(s.generation());
        }
        if (all && !anyWarming) {
            cut = 0;
            cutGenerations = null;
            return;
        }
        boolean current = cut != 0 && cutGenerations != null && maxAnswered <= cut
                && (!all || generations.equals(cutGenerations));
        if (current || !all || !anyWarming || !inputsIn) return;
        cut = Math.max(cut, maxAnswered) + 1;
        cutGenerations = List.copyOf(generations);
    }

    /**
     * The cut's criterion (partitions-part2-plan §10.4, "Status and criterion"): whether one poll's answers could end
     * the warm-ups — every partition answered (as itself), all on this round's cut at its generations, some warms
     * up, every one has all its inputs in and no cut content left to forward ({@code !cutDirty}), and every report
     * with cut content sent was applied ({@code p.cutSent[q] == q.cutApplied[p]}, past the base). Content outside the
     * cut — holds that arrived after it, which the fences cover — is not counted.
     */
    boolean cutClean(Map<Integer, SettleStatus> statuses) {
        if (cut == 0 || cutGenerations == null || statuses.size() != partitions) return false;
        boolean anyWarming = false;
        for (int p = 0; p < partitions; p++) {
            SettleStatus s = statuses.get(p);
            if (s == null || s.partition() != p || s.cut() != cut || s.generation() != cutGenerations.get(p)
                    || !s.haveAllInputs() || s.cutDirty()) return false;
            anyWarming |= s.warming();
        }
        if (!anyWarming) return false;
        for (int p = 0; p < partitions; p++) {
            for (int q = 0; q < partitions; q++) {
                if (q == p) continue;
                long sent = statuses.get(p).cutSentTo(q);
                if (sent <= 0 || sent != statuses.get(q).cutAppliedFrom(p)) return false;
            }
        }
        return true;
    }

    /** What the cut's double collect compares of one answer: its cut's marks only, which churn does not move. */
    private record CutMarks(long cut, int generation, boolean warming, Map<Integer, Long> sent,
                            Map<Integer, Long> applied) {
    }

    private static Map<Integer, CutMarks> cutMarks(Map<Integer, SettleStatus> statuses) {
        Map<Integer, CutMarks> out = new java.util.TreeMap<>();
        statuses.forEach((p, s) -> out.put(p, new CutMarks(s.cut(), s.generation(), s.warming(), s.cutSent(),
                s.cutApplied())));
        return out;
    }

    /**
     * Whether one poll's answers could end the warm-ups: every partition answered (as itself), some partition warms
     * up, all inputs are in, nothing is dirty, and every report with content sent was applied.
     */
    boolean clean(Map<Integer, SettleStatus> statuses) {
        boolean anyWarming = false;
        for (int p = 0; p < partitions; p++) {
            SettleStatus s = statuses.get(p);
            if (s == null || s.partition() != p || !s.haveAllInputs() || s.dirty()) return false;
            anyWarming |= s.warming();
        }
        if (!anyWarming || statuses.size() != partitions) return false;
        for (int p = 0; p < partitions; p++) {
            for (int q = 0; q < partitions; q++) {
                if (q != p && !statuses.get(p).sentTo(q).equals(statuses.get(q).appliedFrom(p))) return false;
            }
        }
        return true;
    }

    /**
     * Whether partition {@code p}, now of generation {@code generation}, takes a {@code Settled(epoch)}: only if the
     * epoch is of its generation — else it recovered again since the polls, and its warm-up was not part of it.
     */
    public static boolean appliesTo(List<Integer> epoch, int p, int generation) {
        return epoch != null && p >= 0 && p < epoch.size() && epoch.get(p) != null && epoch.get(p) == generation;
    }
}
