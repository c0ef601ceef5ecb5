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
 * nobody sees the whole at once, and under churn exports with content never stop moving; so the round counts only the
 * content of a <b>cut</b> (partitions-part2-plan §10, tier 2, which gives the argument). It allocates the cut
 * ({@link #queryCut}) once every partition answered with all its inputs in; each partition takes it when it first
 * sees it, in a query or in a peer's export, with everything it then holds as the cut's roots, and forwards their
 * closure hop by hop. The warm-ups end at a <b>double collect</b>: two polls in a row that are {@link #cutClean}, with
 * the same cut marks. Anything else — an answer missing, an input not in, a cut mark not met, a generation changed —
 * starts again: the next clean poll is a first collect.
 *
 * <p>The epoch is the vector of the partitions' generations of the second poll. A partition that recovered again
 * since (a new generation) was not part of that fixpoint, and ignores the {@code Settled} ({@link #appliesTo}).
 *
 * <p>A hold that reaches a partition after it took the cut is not the cut's content: the fences cover it (plan §10.2;
 * for a node's report, the fence of reported holds, {@link PartitionedLedger#reportedHolds}), as after any warm-up.
 */
public final class SettleRound {

    private final int partitions;
    /** The cut's marks of the last poll's answers, when it was a clean first collect; null: none. */
    private Map<Integer, CutMarks> firstCollect;
    /**
     * The cut the next queries carry ({@link #queryCut}; partitions-part2-plan §10, tier 2): 0, none. Allocated by
     * {@link #poll} from the answers.
     */
    private long cut;
    /** The generations, by partition, of the poll that allocated {@link #cut}; null: none, or spent by an epoch. */
    private List<Integer> cutGenerations;

    /** A round over {@code partitions} partitions (P &gt; 1). */
    public SettleRound(int partitions) {
        if (partitions < 2) throw new IllegalArgumentException("a settle round needs partitions: " + partitions);
        this.partitions = partitions;
    }

    /**
     * One poll's answers, by partition (some may be missing): the epoch to send as {@code Settled(epoch)} — the
     * generations by partition — when this poll and the one before are a double collect, else empty. After an epoch
     * the round starts again. The answers also allocate the cut the next queries carry ({@link #queryCut}).
     */
    public Optional<List<Integer>> poll(Map<Integer, SettleStatus> statuses) {
        boolean clean = cutClean(statuses); // clean, the answers are on the current cut: allocateCut keeps it
        allocateCut(statuses);
        if (!clean) {
            firstCollect = null;
            return Optional.empty();
        }
        Map<Integer, CutMarks> collect = cutMarks(statuses);
        if (!collect.equals(firstCollect)) {
            firstCollect = collect;
            return Optional.empty();
        }
        firstCollect = null;
        List<Integer> epoch = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) epoch.add(statuses.get(p).generation());
        // spent: a partition that missed the Settled and still warms settles on the next cut, at once
        cut++;
        cutGenerations = List.copyOf(epoch);
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
     * cut — holds that arrived after it, which the fences cover — is not counted. A clean poll is the first of a double
     * collect, or its second when the one before was clean with the same cut marks.
     */
    public boolean cutClean(Map<Integer, SettleStatus> statuses) {
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
     * Whether partition {@code p}, now of generation {@code generation}, takes a {@code Settled(epoch)}: only if the
     * epoch is of its generation — else it recovered again since the polls, and its warm-up was not part of it.
     */
    public static boolean appliesTo(List<Integer> epoch, int p, int generation) {
        return epoch != null && p >= 0 && p < epoch.size() && epoch.get(p) != null && epoch.get(p) == generation;
    }
}
