package io.blobgc.ledger;

import io.blobgc.BlobHash;
import io.blobgc.ledger.CycleOutcome.MarkedBlob;
import io.blobgc.ledger.CycleOutcome.PinRef;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;
import java.util.function.BooleanSupplier;

/**
 * The decisions of a cycle and of a deletion (S1–S4, S7, S9): reads the {@link Registry}, the {@link NodeViews},
 * the {@link Candidates} and the {@link Holds}, changes none of them but node staleness (soft), and returns what the
 * coordinator persists and then applies. It also keeps, per recent cycle, the report tick at which it was applied:
 * a blob marked in a cycle is confirmed absent by a node only by a complete view after that tick (the two-phase
 * delete).
 */
final class CyclePlanner {

    private final LedgerSettings settings;
    private final Registry registry;
    private final BlobTable table;
    private final NodeViews views;
    private final Candidates candidates;
    private final Holds holds;
    private final IntFunction<IntSet> newSet;
    /** The plan {@link #planCycle} returned last, for the apply of that very outcome. */
    private CyclePlan planned;
    /** The report tick at which each recent cycle was applied: a blob's since/mark tick is its cycle's. */
    private final CycleTicks cycleTicks = new CycleTicks();

    CyclePlanner(LedgerSettings settings, Registry registry, NodeViews views, Candidates candidates, Holds holds,
                 IntFunction<IntSet> newSet) {
        this.settings = settings;
        this.registry = registry;
        this.table = registry.table;
        this.views = views;
        this.candidates = candidates;
        this.holds = holds;
        this.newSet = newSet;
    }

    /**
     * Cycle {@code o} is being applied: its tick is the views' now. Returns the ids of that very outcome if it is the
     * one planned last (the live path), else null (a replay: another object, looked up).
     */
    CyclePlan applying(CycleOutcome o) {
        cycleTicks.put(o.cycle(), views.tick());
        CyclePlan plan = planned != null && planned.outcome() == o ? planned : null;
        planned = null;
        return plan;
    }

    /** The report tick of a blob's last status decision: when its cycle was applied (conservative if long ago). */
    private long decisionTick(int b) {
        return cycleTicks.get(table.cycle(b));
    }

    /** See {@link Ledger#planCycle(long, long, boolean)}. */
    CycleOutcome planCycle(long now, long localNow, boolean dryRun) {
        return planCycle(registry.cycle + 1, now, localNow, dryRun);
    }

    /** See {@link Ledger#planCycle(long, long, long, boolean)}. */
    CycleOutcome planCycle(long next, long now, long localNow, boolean dryRun) {
        planned = null;
        List<String> stale = views.updateStaleness(localNow);
        List<PinRef> expired = new ArrayList<>();
        int pinLimit = settings.maxTransitionsPerCycle(); // the rest expire in the next cycles: held a little longer
        registry.operatorPins.forEach((b, pins) -> {
            for (Pin p : pins.values()) {
                if (p.expiredAt(now) && expired.size() < pinLimit) expired.add(new PinRef(table.hash(b), p.owner()));
            }
        });
        List<BlobHash> pruned = expiredTombstones(now);
        boolean warm = views.warmingUp();
        List<String> live = views.liveNodeNames();
        boolean quorum = live.size() >= settings.minNodesReporting();
        if (!quorum || warm) {
            // S7: below quorum no status changes and no grace clock runs; S5: while warming up nothing is decided
            return new CycleOutcome(next, now, dryRun, !quorum || registry.frozen, warm, List.of(), List.of(),
                    List.of(), List.of(), List.of(), expired, pruned, live, stale, registry.graceResetAt);
        }
        long resetAt = registry.frozen ? now : registry.graceResetAt;
        long confirmTick = views.minConfirmTick();
        List<BlobHash> toUnreferenced = new ArrayList<>();
        List<BlobHash> toActive = new ArrayList<>();
        List<BlobHash> toPinned = new ArrayList<>();
        List<BlobHash> rescued = new ArrayList<>();
        List<MarkedBlob> toMark = new ArrayList<>();
        // the candidates: blobs whose hold changed, and the unreferenced ones whose grace is over and that every
        // live node may have confirmed absent. The queue is in the order graces began, so its times go forward, unless
        // a coordinator whose clock is behind its predecessor's took over (ClockSkewTest): at the first run of equal
        // times whose grace is not over, stop when they do, else skip only that run, since a grace that began later by
        // the clock behind can be over. Its decision ticks go forward as well (the entries a snapshot restores, sorted
        // by time, all read the same stand-in tick, older than any live one: CycleTicks), so stop at the first not
        // confirmed. A candidate's grace and confirmation are checked again when it is decided. Each elapsed one is a
        // transition, so no more than the limit are gathered: the others are found again by the next cycle
        int limit = settings.maxTransitionsPerCycle();
        IntSet elapsed = newSet.apply(8);
        IdTimeQueue graceQueue = registry.graceQueue;
        for (int i = 0; i < graceQueue.size() && elapsed.size() < limit; i++) {
            long since = graceQueue.time(i);
            if (now - Math.max(since, resetAt) < settings.gracePeriodMs()) { // for every entry of its run
                if (graceQueue.inTimeOrder()) break;
                i = graceQueue.runEnd(i) - 1;
                continue;
            }
            int b = graceQueue.id(i);
            if (!registry.graceCurrent(b, since)) continue;
            if (confirmTick <= decisionTick(b)) break;
            if (!candidates.isDirty(b)) elapsed.add(b);
        }
        IntSet protectedNow = newSet.apply(8), unprotectedNow = newSet.apply(8);
        Ids activeIds = new Ids(), pinnedIds = new Ids(), unreferencedIds = new Ids(), markedIds = new Ids();
        BooleanSupplier full = () -> activeIds.n + pinnedIds.n + unreferencedIds.n + markedIds.n >= limit;
        IntConsumer decide = b -> {
            if (table.isFree(b) || registry.gone(b)) return;
            BlobStatus status = table.status(b);
            if (holds.isProtected(b, protectedNow, unprotectedNow)) {
                // pinned directly, by a node or an operator
                BlobStatus target = table.flag(b, BlobTable.FLAG_PINNED) ? BlobStatus.PINNED : BlobStatus.ACTIVE;
                if (target != status) {
                    BlobHash h = table.hash(b);
                    if (target == BlobStatus.PINNED) {
                        toPinned.add(h);
                        pinnedIds.add(b);
                    } else {
                        toActive.add(h);
                        activeIds.add(b);
                    }
                    if (status == BlobStatus.UNREFERENCED || status == BlobStatus.MARKED_FOR_COLLECTION) rescued.add(h);
                }
            } else if (status == BlobStatus.ACTIVE || status == BlobStatus.PINNED || candidates.usedSinceCycle(b)) {
                // unused now; a blob used since the last cycle (even briefly) starts its grace again from now
                BlobHash h = table.hash(b);
                toUnreferenced.add(h);
                unreferencedIds.add(b);
                if (status == BlobStatus.MARKED_FOR_COLLECTION) rescued.add(h);
            } else if (status == BlobStatus.UNREFERENCED
                    && now - Math.max(table.time(b), resetAt) >= settings.gracePeriodMs()
                    && confirmTick > decisionTick(b)) {
                toMark.add(new MarkedBlob(table.hash(b), table.time(b)));
                markedIds.add(b);
            }
        };
        // at the limit, the dirty candidates left wait for the next cycle, first in line (still dirty: not marked by
        // grace alone), and the elapsed ones are found again in the grace queue. Fair under a load at the limit: every
        // other cycle lets the elapsed ones go first, so a stream of changes cannot hold up marking (nor the other way)
        int[] lookedAt = {0};
        Runnable dirtyPass = () -> {
            int n = candidates.dirtyCount();
            while (lookedAt[0] < n && !full.getAsBoolean()) decide.accept(candidates.dirtyAt(lookedAt[0]++));
        };
        Runnable elapsedPass = () -> elapsed.forEach(b -> {
            if (!full.getAsBoolean()) decide.accept(b);
        });
        if (limit != Integer.MAX_VALUE && (next & 1) == 1) {
            elapsedPass.run();
            dirtyPass.run();
        } else {
            dirtyPass.run();
            elapsedPass.run();
        }
        CycleOutcome outcome = new CycleOutcome(next, now, dryRun, false, warm, toUnreferenced, toActive, toPinned,
                rescued, toMark, expired, pruned, live, stale, resetAt);
        planned = new CyclePlan(outcome, activeIds.toArray(), pinnedIds.toArray(), unreferencedIds.toArray(),
                markedIds.toArray(), lookedAt[0]);
        return outcome;
    }

    /**
     * The tombstones to prune: expired, not reported by any node (its id must not be reused under that node's
     * view), and with no dependent that stays — a tombstone a known blob depends on carries that blob's edge. The
     * dependents that are pruned with it don't count, so a collected dependency cycle goes as a whole (to a fixpoint:
     * a candidate with a dependent that stays falls, and so do the candidates that depend on it).
     */
    private List<BlobHash> expiredTombstones(long now) {
        IdTimeQueue collectedOrder = registry.collectedOrder;
        IntSet candidates = newSet.apply(8);
        for (int i = 0; i < collectedOrder.size(); i++) {
            int b = collectedOrder.id(i);
            long at = collectedOrder.time(i);
            if (at + settings.tombstoneTtlMs() > now) break;
            if (registry.tombstoneCurrent(b, at) && !table.held(b)) candidates.add(b);
        }
        ArrayDeque<Integer> falling = new ArrayDeque<>();
        for (int b : candidates.toArray()) {
            for (int p : registry.graph.callers(b)) {
                if (!candidates.contains(p)) {
                    falling.add(b);
                    break;
                }
            }
        }
        while (!falling.isEmpty()) {
            int b = falling.poll();
            if (!candidates.remove(b)) continue;
            // b stays: its callees among the candidates now have a dependent that stays
            for (int d : registry.graph.callees(b)) if (candidates.contains(d)) falling.add(d);
        }
        List<BlobHash> pruned = new ArrayList<>();
        int limit = settings.maxTransitionsPerCycle();
        // over the limit (a coordinator back after a long time: a day's tombstones expire at once), whole groups of
        // tombstones joined by edges, oldest first, until the limit: a pruned tombstone's callers go with it
        IntSet taken = candidates.size() > limit ? newSet.apply(limit) : null;
        for (int i = 0; i < collectedOrder.size(); i++) {
            int b = collectedOrder.id(i);
            long at = collectedOrder.time(i);
            if (at + settings.tombstoneTtlMs() > now) break;
            if (!registry.tombstoneCurrent(b, at) || !candidates.contains(b)) continue;
            if (taken == null) {
                pruned.add(table.hash(b));
            } else if (!taken.contains(b)) {
                if (taken.size() >= limit) break;
                takeGroup(b, candidates, taken, pruned);
            }
        }
        return pruned;
    }

    /** Adds {@code b} and every candidate joined to it by edges (either way, through candidates) to {@code pruned}. */
    private void takeGroup(int b, IntSet candidates, IntSet taken, List<BlobHash> pruned) {
        ArrayDeque<Integer> todo = new ArrayDeque<>(List.of(b));
        taken.add(b);
        while (!todo.isEmpty()) {
            int x = todo.poll();
            pruned.add(table.hash(x));
            for (int[] near : new int[][]{registry.graph.callers(x), registry.graph.callees(x)}) {
                for (int y : near) if (candidates.contains(y) && taken.add(y)) todo.add(y);
            }
        }
    }

    /** See {@link Ledger#planDeletion}. */
    List<BlobHash> planDeletion(int max) {
        if (views.warmingUp() || views.liveNodes() < settings.minNodesReporting()) return List.of();
        long confirmTick = views.minConfirmTick();
        List<BlobHash> out = new ArrayList<>();
        IntSet yes = newSet.apply(8), no = newSet.apply(8);
        IdTimeQueue marked = registry.markedOrder;
        for (int i = 0; i < marked.size() && out.size() < max; i++) {
            int b = marked.id(i);
            if (!registry.markedCurrent(b, marked.time(i))) continue;
            if (!holds.isProtected(b, yes, no) && !candidates.usedSinceCycle(b) && confirmTick > decisionTick(b)) {
                out.add(table.hash(b));
            }
        }
        return out;
    }

    /** A growable list of ids. */
    private static final class Ids {
        private int[] a = new int[16];
        int n;

        void add(int id) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            a[n++] = id;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
