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
    /** The answers of the last poll, when it was a clean first collect; null: none. */
    private Map<Integer, SettleStatus> firstCollect;

    /** A round over {@code partitions} partitions (P &gt; 1). */
    public SettleRound(int partitions) {
        if (partitions < 2) throw new IllegalArgumentException("a settle round needs partitions: " + partitions);
        this.partitions = partitions;
    }

    /**
     * One poll's answers, by partition (some may be missing): the epoch to send as {@code Settled(epoch)} — the
     * generations by partition — when this poll and the one before are a double collect, else empty. After an epoch
     * the round starts again.
     */
    public Optional<List<Integer>> poll(Map<Integer, SettleStatus> statuses) {
        if (!clean(statuses)) {
            firstCollect = null;
            return Optional.empty();
        }
        if (!statuses.equals(firstCollect)) {
            firstCollect = Map.copyOf(statuses);
            return Optional.empty();
        }
        firstCollect = null;
        List<Integer> epoch = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) epoch.add(statuses.get(p).generation());
        return Optional.of(List.copyOf(epoch));
    }

    /** Forgets the first collect (the driver lost track of a poll). */
    public void reset() {
        firstCollect = null;
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
