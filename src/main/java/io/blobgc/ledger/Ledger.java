package io.blobgc.ledger;

import io.blobgc.BlobHash;
import io.blobgc.ledger.CycleOutcome.MarkedBlob;
import io.blobgc.ledger.CycleOutcome.PinRef;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The GC rules of design.md §2 and §3 (src/site/markdown/design.md), in plain Java: no actors, no I/O, no clock of its own (every
 * method that needs the time takes it). Two clocks: what is persisted (grace since, pin expiry, collection time) is
 * wall-clock epoch millis; what is local to this coordinator — when it received each node's last report, and so
 * staleness — is any monotonic millisecond count ({@code localNow}), so a step of the wall clock does not make every
 * node look stale.
 *
 * <p>The state has two halves. The <b>persistent</b> half (statuses, operator pins, dependencies, cycle counter,
 * history) changes only through the {@code apply…} methods, which the coordinator calls from its event handler,
 * so the same events rebuild the same state on recovery. The <b>soft</b> half — the node views, in {@link NodeViews},
 * and the reference counts derived from them — changes through {@link #report}, {@link #acquire} and membership,
 * and is rebuilt from FULL reports after a recovery (S5); the views tell the registry only that a blob's hold
 * changed. Decisions ({@link #planCycle}, {@link #planDeletion}, the
 * {@code check…} methods) read both halves and change neither persistent state nor anything a replay needs.
 *
 * <p>The work is incremental: reference counts follow the deltas, and a cycle visits only candidates — blobs
 * whose hold changed since the last cycle (and their dependency closures), and unreferenced ones whose grace is over.
 * The state is compact: blobs live in a {@link BlobTable} of primitive arrays by id, views are sets of ids, and only
 * rare facts (dependencies, pins, failures) live in maps.
 */
public final class Ledger {


    private final LedgerSettings settings;

    // ---- persistent half
    private final BlobTable table;
    /** Known blobs by status (by ordinal): no boxing on every status change. */
    private final long[] counts = new long[BlobStatus.values().length];
    private final Set<Integer> marked = new LinkedHashSet<>();
    private final Set<Integer> deleting = new LinkedHashSet<>();
    /** UNREFERENCED blobs in the order their grace started (cycles apply in time order): a cycle reads its head. */
    private final IdTimeQueue graceQueue = new IdTimeQueue();
    /** COLLECTED blobs in the order they were collected: tombstones are pruned from the head. */
    private final IdTimeQueue collectedOrder = new IdTimeQueue();
    private final Map<Integer, Map<String, Pin>> operatorPins = new HashMap<>();
    /** The dependency edges (persistent) and the cache of clean closures (derived). */
    private final DependencyGraph graph;
    private final Map<Integer, Integer> failedDeletions = new HashMap<>();
    private final Map<Integer, Long> deletionStartedAt = new HashMap<>();
    private final ArrayDeque<HistoryEntry> history = new ArrayDeque<>();
    private final Orphans orphans = new Orphans();
    private final PredecessorDeletions predecessors = new PredecessorDeletions();
    private long cycle;
    private long graceResetAt;
    private boolean frozen;
    private long totalCollected;
    private long totalFailedDeletions;
    private long totalCollectedBytes;

    // ---- soft half
    private final NodeViews views;
    private final java.util.function.IntPredicate held = this::held;
    private final Map<Integer, Integer> nodePins = new HashMap<>();
    /** What the next cycle looks at (created first: its sets' seeds come before the graph's). */
    private final Candidates candidates = new Candidates(this::newSet, this::callees);
    /**
     * The ids of the outcome {@link #planCycle} returned last, for {@link #applyCycle} of that very outcome (the live
     * path: nothing runs between a plan and its apply) — so it looks no hash up again; a replayed outcome is another
     * object and is looked up.
     */
    private Plan planned;
    /** How many sets this ledger made: each gets its own seed (see {@link IntSet}). */
    private int setsMade;
    /** The report tick at which each recent cycle was applied: a blob's since/mark tick is its cycle's. */
    private final LinkedHashMap<Long, Long> cycleTicks = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Long> eldest) {
            if (size() <= 100_000) return false;
            oldestEvictedTick = Math.max(oldestEvictedTick, eldest.getValue());
            return true;
        }
    };
    private long oldestEvictedTick;

    public Ledger(LedgerSettings settings) {
        this(settings, 1024);
    }

    /** @param expectedBlobs a size hint: the tables start this large */
    public Ledger(LedgerSettings settings, int expectedBlobs) {
        this.settings = settings;
        this.table = new BlobTable(expectedBlobs);
        this.graph = new DependencyGraph(table, this::newSet);
        this.views = new NodeViews(settings, new ViewHolds(), this::newSet);
    }

    public LedgerSettings settings() {
        return settings;
    }

    // =====================================================================================================
    // Persistent half: applied from events
    // =====================================================================================================

    /**
     * Registers blobs and their dependencies. Unknown hashes become ACTIVE; a COLLECTED, UNREFERENCED or MARKED
     * one becomes ACTIVE anew with a fresh grace (its content was uploaded again). Dependencies that are not
     * known yet are registered too. Callers leave out what {@link #checkRegister} rejects.
     */
    public void applyRegistered(Collection<Registration> registrations) {
        for (Registration r : registrations) {
            int b = registerOne(r.hash());
            predecessors.applyNewContent(r.hash());
            for (BlobHash d : r.dependencies()) {
                if (d.equals(r.hash())) continue;
                int dep = table.find(d);
                if (dep < 0) dep = registerOne(d);
                if (graph.add(b, dep)) {
                    // a new edge may protect the callee (S2): the next cycle looks at it and its closure
                    // a caller whose closure was walked as used since the last cycle passes that on: the walk
                    // stops at marked blobs, so everything below a marked one must be marked (review 20: a later
                    // hold of an ancestor would otherwise not reach the new callee)
                    boolean used = isProtected(b) || candidates.closureUsed(b);
                    if (used) candidates.used(dep);
                    else candidates.dirty(dep);
                    // a callee held itself already keeps everything below it: a new caller changes nothing there
                    // (a fan-in onto a held blob then costs O(1) per caller, not a walk of the callee's closure)
                    if (!held(dep)) candidates.markClosure(dep, used);
                }
            }
        }
    }

    private int registerOne(BlobHash h) {
        int b = table.find(h);
        if (b < 0) {
            b = table.add(h);
            counts[BlobStatus.ACTIVE.ordinal()]++;
        } else {
            BlobStatus s = table.status(b);
            if (s == BlobStatus.COLLECTED || s == BlobStatus.UNREFERENCED || s == BlobStatus.MARKED_FOR_COLLECTION) {
                // only persistent facts decide a status applied from an event (node pins are soft: the next cycle)
                setStatus(b, operatorPins.containsKey(b) ? BlobStatus.PINNED : BlobStatus.ACTIVE);
                table.cycle(b, 0);
            }
        }
        candidates.dirty(b);
        return b;
    }

    public void applyPinned(BlobHash hash, Pin pin) {
        int b = table.find(hash);
        if (b < 0 || gone(b)) return;
        boolean wasHeld = held(b);
        operatorPins.computeIfAbsent(b, k -> new LinkedHashMap<>()).put(pin.owner(), pin);
        updatePinnedFlag(b);
        setStatus(b, BlobStatus.PINNED);
        holdChanged(b, wasHeld);
    }

    public void applyUnpinned(BlobHash hash, String owner) {
        int b = table.find(hash);
        if (b < 0) return;
        Map<String, Pin> pins = operatorPins.get(b);
        if (pins == null || pins.remove(owner) == null) return;
        if (pins.isEmpty()) {
            operatorPins.remove(b);
            updatePinnedFlag(b);
            if (table.status(b) == BlobStatus.PINNED) setStatus(b, BlobStatus.ACTIVE);
        }
        holdChanged(b, true);
        candidates.dirty(b); // still node-pinned (soft): the next cycle makes it PINNED again
    }

    public void applyCycle(CycleOutcome o) {
        cycle = o.cycle();
        frozen = o.frozen();
        graceResetAt = o.graceResetAt();
        cycleTicks.put(o.cycle(), views.tick());
        // the plan looked at these; what changes from here on (an expired pin below) waits for the next cycle
        if (!o.frozen() && !o.warmingUp()) {
            candidates.cycleApplied();
        }
        Plan plan = planned != null && planned.outcome == o ? planned : null; // live: the outcome just planned
        planned = null;
        for (PinRef p : o.expiredPins()) applyUnpinned(p.hash(), p.owner());
        for (int i = 0; i < o.activated().size(); i++) {
            transition(plan != null ? plan.activated[i] : table.find(o.activated().get(i)), BlobStatus.ACTIVE, o);
        }
        for (int i = 0; i < o.pinned().size(); i++) {
            transition(plan != null ? plan.pinned[i] : table.find(o.pinned().get(i)), BlobStatus.PINNED, o);
        }
        for (int i = 0; i < o.unreferenced().size(); i++) {
            transition(plan != null ? plan.unreferenced[i] : table.find(o.unreferenced().get(i)),
                    BlobStatus.UNREFERENCED, o);
        }
        if (!o.dryRun()) {
            for (int i = 0; i < o.marked().size(); i++) {
                transition(plan != null ? plan.marked[i] : table.find(o.marked().get(i).hash()),
                        BlobStatus.MARKED_FOR_COLLECTION, o);
            }
        }
        for (BlobHash h : o.prunedTombstones()) {
            int b = table.find(h);
            if (b >= 0 && table.status(b) == BlobStatus.COLLECTED) prune(b);
        }
        while (!collectedOrder.isEmpty() && !tombstoneCurrent(collectedOrder.id(0), collectedOrder.time(0))) {
            collectedOrder.removeFirst();
        }
        while (!graceQueue.isEmpty() && !graceCurrent(graceQueue.id(0), graceQueue.time(0))) graceQueue.removeFirst();
        history.addLast(HistoryEntry.of(o));
        while (history.size() > settings.historySize()) history.removeFirst();
    }

    private void prune(int b) {
        setStatus(b, null);
        graph.removeAll(b);
        failedDeletions.remove(b);
        nodePins.remove(b);
        candidates.forget(b);
        table.remove(b);
    }

    private void transition(int b, BlobStatus to, CycleOutcome o) {
        if (b < 0 || gone(b)) return;
        if (to == BlobStatus.UNREFERENCED) {
            table.time(b, o.at());
            table.cycle(b, o.cycle());
            graceQueue.addLast(b, o.at());
        } else if (to == BlobStatus.MARKED_FOR_COLLECTION) {
            table.cycle(b, o.cycle());
        }
        setStatus(b, to);
    }

    /**
     * A node started to use these blobs (an acquire): one that was UNREFERENCED or MARKED is ACTIVE again (PINNED
     * with an operator pin), so its grace starts afresh from the next cycle that sees it unused — also on a
     * coordinator that recovers before that cycle (the use is in the journal, not only in soft state).
     */
    public void applyUsed(Collection<BlobHash> hashes) {
        for (BlobHash h : hashes) {
            int b = table.find(h);
            if (b < 0) continue;
            BlobStatus s = table.status(b);
            if (s != BlobStatus.UNREFERENCED && s != BlobStatus.MARKED_FOR_COLLECTION) continue;
            setStatus(b, operatorPins.containsKey(b) ? BlobStatus.PINNED : BlobStatus.ACTIVE);
            table.cycle(b, 0);
            candidates.dirty(b);
        }
    }

    /** The blobs a use of {@code hash} keeps alive (it and its callees) that are UNREFERENCED or MARKED now. */
    public List<BlobHash> waitingOutGrace(BlobHash hash) {
        return waitingOutGrace(List.of(hash));
    }

    /** {@link #waitingOutGrace(BlobHash)} of each of {@code hashes}, in one walk (a blob below several once). */
    public List<BlobHash> waitingOutGrace(Collection<BlobHash> hashes) {
        List<Integer> ids = new ArrayList<>();
        for (BlobHash h : hashes) {
            int b = table.find(h);
            if (b >= 0) ids.add(b);
        }
        return graph.inClosure(ids, s -> s == BlobStatus.UNREFERENCED || s == BlobStatus.MARKED_FOR_COLLECTION);
    }

    /** The sweeper was handed these blobs: fenced, no acquire succeeds from now on (S6). */
    public void applyDeletionStarted(Collection<BlobHash> hashes, long at) {
        for (BlobHash h : hashes) {
            int b = table.find(h);
            if (b >= 0 && table.status(b) == BlobStatus.MARKED_FOR_COLLECTION) {
                deletionStartedAt.put(b, at);
                setStatus(b, BlobStatus.DELETING);
            }
            if (b >= 0 && table.status(b) == BlobStatus.DELETING || orphans.isCondemned(h)) predecessors.applyHandedOut(h);
        }
    }

    /** The sweeper deleted these blobs, freeing {@code bytes} in the store. */
    public void applyCollected(Collection<BlobHash> hashes, long at, long bytes) {
        long sum = totalCollectedBytes + Math.max(0, bytes);
        totalCollectedBytes = sum < totalCollectedBytes ? Long.MAX_VALUE : sum; // saturates
        applyCollected(hashes, at);
    }

    public void applyCollected(Collection<BlobHash> hashes, long at) {
        for (BlobHash h : hashes) {
            if (orphans.applyDeleted(h)) { // a condemned orphan's content, deleted: the fence lifts
                predecessors.applyDeleted(h);
                continue;
            }
            int b = table.find(h);
            if (b >= 0 && table.status(b) == BlobStatus.DELETING) {
                predecessors.applyDeleted(h);
                deletionStartedAt.remove(b);
                table.time(b, at);
                setStatus(b, BlobStatus.COLLECTED);
                collectedOrder.addLast(b, at);
                totalCollected++;
            }
        }
    }

    /** How many failed deletions of {@code hash} were journaled. */
    public int failedDeletions(BlobHash hash) {
        int b = table.find(hash);
        return b < 0 ? 0 : failedDeletions.getOrDefault(b, 0);
    }

    public void applyDeletionFailed(BlobHash hash) {
        int b = table.find(hash);
        if (b >= 0) failedDeletions.merge(b, 1, Integer::sum);
        totalFailedDeletions++;
    }

    /** Moves a blob to a status (null: forgotten), keeping the counts and the marked/deleting indexes. */
    private void setStatus(int b, BlobStatus to) {
        BlobStatus from = table.status(b);
        if (from == to) return;
        if (to == null || to == BlobStatus.DELETING || to == BlobStatus.COLLECTED) graph.uncache(b);
        counts[from.ordinal()]--;
        if (from == BlobStatus.MARKED_FOR_COLLECTION) marked.remove(b);
        if (from == BlobStatus.DELETING) deleting.remove(b);
        if (to == null) return;
        table.status(b, to);
        counts[to.ordinal()]++;
        if (to == BlobStatus.MARKED_FOR_COLLECTION) marked.add(b);
        if (to == BlobStatus.DELETING) deleting.add(b);
    }

    private boolean gone(int b) {
        BlobStatus s = table.status(b);
        return s == BlobStatus.DELETING || s == BlobStatus.COLLECTED;
    }

    private boolean graceCurrent(int b, long since) {
        return !table.isFree(b) && table.status(b) == BlobStatus.UNREFERENCED && table.time(b) == since;
    }

    private boolean tombstoneCurrent(int b, long at) {
        return !table.isFree(b) && table.status(b) == BlobStatus.COLLECTED && table.time(b) == at;
    }

    /** The report tick of a blob's last status decision: when its cycle was applied (conservative if long ago). */
    private long decisionTick(int b) {
        Long t = cycleTicks.get(table.cycle(b));
        return t != null ? t : oldestEvictedTick;
    }

    /** A planned outcome and its blobs' ids, list by list, in the outcome's order. */
    private record Plan(CycleOutcome outcome, int[] activated, int[] pinned, int[] unreferenced, int[] marked) {
    }

    /** A growable list of ids. */
    private static final class Ids {
        private int[] a = new int[16];
        private int n;

        void add(int id) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            a[n++] = id;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }

    private int[] callees(int b) {
        return graph.callees(b);
    }

    /** A set with a seed of its own: ids taken from one set's iteration do not cluster in another. */
    private IntSet newSet(int expected) {
        return new IntSet(expected, IntSet.seed(++setsMade));
    }

    // =====================================================================================================
    // Decisions
    // =====================================================================================================

    /** The hashes among {@code candidates} that a registration cannot take now: they are being deleted. */
    public List<BlobHash> checkRegister(Collection<BlobHash> candidates) {
        List<BlobHash> rejected = new ArrayList<>();
        for (BlobHash h : candidates) {
            int b = table.find(h);
            if (b >= 0 && table.status(b) == BlobStatus.DELETING || orphans.isCondemned(h)) rejected.add(h);
        }
        return rejected;
    }

    // ---- store reconciliation: orphans (content the registry does not account for)

    /**
     * Whether content found in the store under {@code hash} is an orphan: the registry does not know the hash, or
     * holds it as COLLECTED, and it is not condemned already.
     */
    public boolean isOrphan(BlobHash hash) {
        int b = table.find(hash);
        return (b < 0 || table.status(b) == BlobStatus.COLLECTED) && !orphans.isCondemned(hash);
    }

    /** Orphans condemned for deletion (registrations of them refused meanwhile); the walk resumes after {@code upTo}. */
    public void applyOrphansCondemned(Collection<BlobHash> hashes, BlobHash upTo) {
        orphans.applyCondemned(hashes, upTo);
    }

    /** Up to {@code max} condemned orphans, for the sweeper (their deletion is confirmed like a blob's). */
    public List<BlobHash> condemnedOrphans(int max) {
        return orphans.condemned(max);
    }

    // ---- S10: what earlier coordinator instances may still be deleting

    /**
     * Coordinator {@code instance} wrote its takeover: a new generation begins; its sweeper stops each batch
     * {@code batchDeadlineMs} after the batch's write (0: unknown, an event from before it was written).
     */
    public void applyTookOver(String instance, long batchDeadlineMs) {
        predecessors.applyTookOver(instance, batchDeadlineMs);
    }

    /** The longest batch deadline of the coordinator instances not known to be done (0: none known). */
    public long longestLiveBatchDeadlineMs() {
        return predecessors.longestLiveDeadlineMs();
    }

    /** The generation of the instance writing now: how many takeovers were written. */
    public int generation() {
        return predecessors.generation();
    }

    /** Coordinator {@code instance} wrote that its window is over: no instance before it deletes any more. */
    public void applyPredecessorsDone(String instance) {
        predecessors.applyPredecessorsDone(instance);
    }

    /**
     * Hashes whose deletion a later generation confirmed for the one that handed them out, which may still hold them
     * in a batch: together with what is DELETING and condemned now, what a new instance refuses new content for.
     */
    public Set<BlobHash> deletedForPredecessors() {
        return Set.copyOf(predecessors.deletedForPredecessors());
    }

    public boolean isCondemnedOrphan(BlobHash hash) {
        return orphans.isCondemned(hash);
    }

    /** Where the store reconciliation's walk resumes after a recovery: after this hash (null: from the first). */
    public BlobHash orphanScanResumesAfter() {
        return orphans.scannedUpTo();
    }

    public long orphansCondemned() {
        return orphans.totalCondemned();
    }

    public long orphansDeleted() {
        return orphans.totalDeleted();
    }

    public int orphansAwaitingDeletion() {
        return orphans.condemnedCount();
    }

    /** Why an operator pin on {@code hash} cannot be taken, or empty when it can. */
    public Optional<Refusal> checkPin(BlobHash hash) {
        int b = table.find(hash);
        if (b < 0) return Optional.of(Refusal.notFound("unknown blob " + hash + ": register it before pinning"));
        if (table.status(b) == BlobStatus.DELETING) {
            return Optional.of(Refusal.conflict("blob " + hash + " is being deleted"));
        }
        if (table.status(b) == BlobStatus.COLLECTED) {
            return Optional.of(Refusal.conflict("blob " + hash + " was collected: upload it again"));
        }
        List<BlobHash> gone = graph.goneInClosure(b);
        if (!gone.isEmpty()) {
            return Optional.of(Refusal.conflict("blob " + hash + " depends on " + gone
                    + ", being deleted or collected: upload " + (gone.size() == 1 ? "it" : "them") + " again first"));
        }
        return Optional.empty();
    }

    /** Why {@code owner}'s pin on {@code hash} cannot be removed, or empty when it can. */
    public Optional<Refusal> checkUnpin(BlobHash hash, String owner) {
        int b = table.find(hash);
        if (b < 0) return Optional.of(Refusal.notFound("unknown blob " + hash));
        Map<String, Pin> pins = operatorPins.get(b);
        if (pins == null || !pins.containsKey(owner)) {
            return Optional.of(Refusal.notFound("blob " + hash + " has no pin by owner '" + owner + "'"
                    + (pins == null ? "" : " (pinned by " + String.join(", ", pins.keySet()) + ")")));
        }
        return Optional.empty();
    }

    /**
     * Plans one GC cycle at {@code now}. Updates node staleness (soft state) and returns the transitions, which
     * the caller persists and then applies with {@link #applyCycle}. In a dry run the marks are only reported
     * (S9).
     */
    public CycleOutcome planCycle(long now, boolean dryRun) {
        return planCycle(now, now, dryRun);
    }

    /**
     * The tombstones to prune: expired, not reported by any node (its id must not be reused under that node's
     * view), and with no dependent that stays — a tombstone a known blob depends on carries that blob's edge. The
     * dependents that are pruned with it don't count, so a collected dependency cycle goes as a whole (to a fixpoint:
     * a candidate with a dependent that stays falls, and so do the candidates that depend on it).
     */
    private List<BlobHash> expiredTombstones(long now) {
        IntSet candidates = newSet(8);
        for (int i = 0; i < collectedOrder.size(); i++) {
            int b = collectedOrder.id(i);
            long at = collectedOrder.time(i);
            if (at + settings.tombstoneTtlMs() > now) break;
            if (tombstoneCurrent(b, at) && !held(b)) candidates.add(b);
        }
        ArrayDeque<Integer> falling = new ArrayDeque<>();
        for (int b : candidates.toArray()) {
            for (int p : graph.callers(b)) {
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
            for (int d : graph.callees(b)) if (candidates.contains(d)) falling.add(d);
        }
        List<BlobHash> pruned = new ArrayList<>();
        for (int i = 0; i < collectedOrder.size(); i++) {
            int b = collectedOrder.id(i);
            long at = collectedOrder.time(i);
            if (at + settings.tombstoneTtlMs() > now) break;
            if (tombstoneCurrent(b, at) && candidates.contains(b)) pruned.add(table.hash(b));
        }
        return pruned;
    }

    /** @param localNow the monotonic clock the reports' receipt times were taken on (staleness) */
    public CycleOutcome planCycle(long now, long localNow, boolean dryRun) {
        planned = null;
        List<String> stale = views.updateStaleness(localNow);
        long next = cycle + 1;
        List<PinRef> expired = new ArrayList<>();
        operatorPins.forEach((b, pins) -> {
            for (Pin p : pins.values()) if (p.expiredAt(now)) expired.add(new PinRef(table.hash(b), p.owner()));
        });
        List<BlobHash> pruned = expiredTombstones(now);
        boolean warm = views.warmingUp();
        List<String> live = views.liveNodeNames();
        boolean quorum = live.size() >= settings.minNodesReporting();
        if (!quorum || warm) {
            // S7: below quorum no status changes and no grace clock runs; S5: while warming up nothing is decided
            return new CycleOutcome(next, now, dryRun, !quorum || frozen, warm, List.of(), List.of(), List.of(),
                    List.of(), List.of(), expired, pruned, live, stale, graceResetAt);
        }
        long resetAt = frozen ? now : graceResetAt;
        long confirmTick = views.minConfirmTick();
        List<BlobHash> toUnreferenced = new ArrayList<>();
        List<BlobHash> toActive = new ArrayList<>();
        List<BlobHash> toPinned = new ArrayList<>();
        List<BlobHash> rescued = new ArrayList<>();
        List<MarkedBlob> toMark = new ArrayList<>();
        // the candidates: blobs whose hold changed, and the unreferenced ones whose grace is over and that every
        // live node may have confirmed absent (the queue is in since order, and so in tick order: stop at the
        // first that is not over or not confirmed, all behind it are not either)
        IntSet elapsed = newSet(8);
        for (int i = 0; i < graceQueue.size(); i++) {
            int b = graceQueue.id(i);
            long since = graceQueue.time(i);
            if (!graceCurrent(b, since)) continue;
            if (now - Math.max(since, resetAt) < settings.gracePeriodMs() || confirmTick <= decisionTick(b)) break;
            if (!candidates.isDirty(b)) elapsed.add(b);
        }
        IntSet protectedNow = newSet(8), unprotectedNow = newSet(8);
        Ids activeIds = new Ids(), pinnedIds = new Ids(), unreferencedIds = new Ids(), markedIds = new Ids();
        java.util.function.IntConsumer decide = b -> {
            if (table.isFree(b) || gone(b)) return;
            BlobStatus status = table.status(b);
            if (isProtected(b, protectedNow, unprotectedNow)) {
                BlobStatus target = isPinnedDirectly(b) ? BlobStatus.PINNED : BlobStatus.ACTIVE;
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
        candidates.forEachDirty(decide);
        elapsed.forEach(decide);
        CycleOutcome outcome = new CycleOutcome(next, now, dryRun, false, warm, toUnreferenced, toActive, toPinned,
                rescued, toMark, expired, pruned, live, stale, resetAt);
        planned = new Plan(outcome, activeIds.toArray(), pinnedIds.toArray(), unreferencedIds.toArray(),
                markedIds.toArray());
        return outcome;
    }

    /**
     * Chooses up to {@code max} marked blobs that may move to DELETING now: still unprotected, and every live
     * node delivered a complete view after the blob was marked (the second confirmation of the two-phase
     * delete). Nothing while warming up or below quorum.
     */
    public List<BlobHash> planDeletion(int max) {
        if (views.warmingUp() || views.liveNodes() < settings.minNodesReporting()) return List.of();
        long confirmTick = views.minConfirmTick();
        List<BlobHash> out = new ArrayList<>();
        IntSet yes = newSet(8), no = newSet(8);
        for (int b : marked) {
            if (out.size() >= max) break;
            if (!isProtected(b, yes, no) && !candidates.usedSinceCycle(b) && confirmTick > decisionTick(b)) {
                out.add(table.hash(b));
            }
        }
        return out;
    }

    /** The blobs in DELETING, oldest first: after a failover the sweeper finishes or retries them. */
    public List<BlobHash> deleting(int max) {
        List<BlobHash> out = new ArrayList<>();
        for (int b : deleting) {
            if (out.size() >= max) break;
            out.add(table.hash(b));
        }
        return out;
    }

    /** Pinned directly, by a node or an operator. */
    private boolean isPinnedDirectly(int b) {
        return table.flag(b, BlobTable.FLAG_PINNED);
    }

    private void updatePinnedFlag(int b) {
        table.flag(b, BlobTable.FLAG_PINNED, nodePins.containsKey(b) || operatorPins.containsKey(b));
    }

    /** Held directly: referenced by a node view, pinned by a node, or pinned by an operator. */
    private boolean held(int b) {
        return table.refs(b) > 0 || isPinnedDirectly(b);
    }

    /** Whether {@code hash} is in use now: held or pinned, or reachable through dependencies from a blob that is. */
    public boolean isProtected(BlobHash hash) {
        int b = table.find(hash);
        return b >= 0 && isProtected(b);
    }

    /** Held directly, or reachable through dependencies from a blob that is held directly. */
    private boolean isProtected(int b) {
        if (held(b)) return true;
        if (!table.flag(b, BlobTable.FLAG_HAS_DEPENDENTS)) return false;
        return isProtected(b, newSet(8), newSet(8));
    }

    /** {@link #isProtected(int)} for many blobs of one unchanging state: see {@link DependencyGraph#isProtected}. */
    private boolean isProtected(int b, IntSet yes, IntSet no) {
        return graph.isProtected(b, held, yes, no);
    }

    // =====================================================================================================
    // Soft half: node views (in NodeViews), and what their holds change here
    // =====================================================================================================

    /** A member that runs a reporter is up: it must report before anything it might hold can be marked. */
    public void memberUp(String node, long now) {
        views.memberUp(node, now);
    }

    /** Membership removed the member (it left, or was downed): its references and pins are dropped (S4). */
    public void memberRemoved(String node, long now) {
        views.memberRemoved(node, now);
    }

    /**
     * After a recovery: every view must be rebuilt from a FULL report before anything is marked (S5). The barrier
     * waits for each of {@code upMembers} — the Up members that run a reporter, read from membership when the
     * recovery completes, before any report is handled — and for every member that comes Up later in the warm-up.
     * A report from a node that is not a member does not hold the barrier. {@code null}: no membership service
     * (a single process): every node that reports counts.
     */
    public void beginWarmUp(Collection<String> upMembers, long now) {
        views.beginWarmUp(upMembers, now);
        for (int b = 0; b < table.highWater(); b++) {
            if (table.isFree(b)) continue;
            BlobStatus s = table.status(b);
            if (s == BlobStatus.ACTIVE || s == BlobStatus.PINNED) candidates.dirty(b);
        }
    }

    /** Applies one report to its node's view (S8: ordered by incarnation, then seq). */
    public ReportOutcome report(NodeReport r, long now) {
        return views.report(r, now);
    }

    /** Outcome of {@link #acquire}. */
    public enum AcquireOutcome {
        /** The reference is recorded; the blob will not be deleted while the node holds it. */
        ACQUIRED,
        /** The blob, or a blob in its dependency closure, is DELETING or COLLECTED: upload again, then acquire. */
        GONE,
        /** The blob is not known: register it (persisted) first. */
        UNKNOWN,
        /** The node was removed by membership. */
        FROM_REMOVED_NODE,
        /** Asked before a report the view already took, which does not list the blob: the reporter gave up on it. */
        STALE
    }

    /**
     * The acquire fence (S6): a node starts to use {@code hash}. Unless the blob is DELETING or COLLECTED the
     * reference is recorded at once in the node's view, and a MARKED blob can no longer be handed to the sweeper.
     * {@code incarnation} and {@code afterSeq} are the reporter's and the seq of the last report it sent before
     * asking: a report sent earlier but delivered later cannot drop the reference; a later one covers it.
     */
    public AcquireOutcome acquire(String node, long incarnation, long afterSeq, BlobHash hash, long now) {
        if (views.isRemoved(node)) return AcquireOutcome.FROM_REMOVED_NODE;
        int b = table.find(hash);
        if (b < 0) return AcquireOutcome.UNKNOWN;
        if (!graph.goneInClosure(b).isEmpty()) return AcquireOutcome.GONE;
        return views.acquire(node, incarnation, afterSeq, b, now);
    }

    /** How the views' holds reach the registry: the reference counts and node pins behind {@link #held}. */
    private final class ViewHolds implements NodeViews.Registry {
        @Override
        public int find(BlobHash hash) {
            return table.find(hash);
        }

        @Override
        public BlobStatus status(int b) {
            return table.status(b);
        }

        @Override
        public void holdChanged(int b, int refs, int pins) {
            boolean wasHeld = held(b);
            if (refs != 0) table.addRefs(b, refs);
            if (pins != 0) {
                if (nodePins.merge(b, pins, Integer::sum) <= 0) nodePins.remove(b);
                updatePinnedFlag(b);
            }
            Ledger.this.holdChanged(b, wasHeld);
            if (pins != 0) candidates.dirty(b); // ACTIVE <-> PINNED is a status change even when the blob stays held
        }
    }

    /** The blobs in {@code hash}'s dependency closure that must be uploaded again before it can be acquired. */
    public List<BlobHash> goneInClosure(BlobHash hash) {
        int b = table.find(hash);
        return b < 0 ? List.of() : graph.goneInClosure(b);
    }

    /**
     * Whether a registration may name {@code hash} as a callee: the registry holds it, and nothing in its dependency
     * closure is DELETING or COLLECTED (walks cached: {@link DependencyGraph#hasContentInClosure}).
     */
    public boolean hasContentInClosure(BlobHash hash) {
        int b = table.find(hash);
        return b >= 0 && graph.hasContentInClosure(b);
    }

    /**
     * A blob's direct hold flipped: it, and everything it keeps alive, needs a look next cycle — as used either way:
     * a hold that ends was a use until now, of the whole closure below it (review 20: after a snapshot recovery, a
     * callee left UNREFERENCED under a pinned caller would otherwise count its grace from before the unpin).
     */
    private void holdChanged(int b, boolean wasHeld) {
        boolean nowHeld = held(b);
        if (nowHeld == wasHeld) return;
        if (nowHeld) candidates.used(b);
        else candidates.dirty(b);
        if (table.flag(b, BlobTable.FLAG_HAS_DEPS)) candidates.markClosure(b, true);
    }

    // =====================================================================================================
    // Queries
    // =====================================================================================================

    public Optional<BlobInfo> info(BlobHash hash) {
        int b = table.find(hash);
        if (b < 0) return Optional.empty();
        BlobStatus s = table.status(b);
        List<String> refBy = new ArrayList<>();
        List<String> pinBy = new ArrayList<>();
        views.holders(b, refBy, pinBy);
        boolean unref = s == BlobStatus.UNREFERENCED || s == BlobStatus.MARKED_FOR_COLLECTION;
        boolean decided = s == BlobStatus.MARKED_FOR_COLLECTION || s == BlobStatus.DELETING || s == BlobStatus.COLLECTED;
        Map<String, Pin> pins = operatorPins.getOrDefault(b, Map.of());
        return Optional.of(new BlobInfo(hash, s, unref ? table.time(b) : null,
                decided && table.cycle(b) > 0 ? table.cycle(b) : null,
                s == BlobStatus.COLLECTED ? table.time(b) : null, deletionStartedAt.get(b),
                refBy, List.copyOf(pins.values()), pinBy, hashes(graph.callees(b)),
                hashes(graph.callers(b)), failedDeletions.getOrDefault(b, 0)));
    }

    public Optional<BlobStatus> status(BlobHash hash) {
        int b = table.find(hash);
        return b < 0 ? Optional.empty() : Optional.of(table.status(b));
    }

    public Map<BlobStatus, Long> counts() {
        EnumMap<BlobStatus, Long> out = new EnumMap<>(BlobStatus.class);
        for (BlobStatus s : BlobStatus.values()) out.put(s, counts[s.ordinal()]);
        return out;
    }

    public int knownBlobs() {
        return table.size();
    }

    public List<NodeInfo> nodes(long now) {
        return views.nodes(now);
    }

    /** Newest first. */
    /** One operator pin with its blob (a page of {@link #operatorPins}). */
    public record PinnedBlob(BlobHash hash, Pin pin) implements io.blobgc.CborSerializable {
    }

    /** How many operator pins there are, and {@code limit} of them from {@code offset}, newest first (read only). */
    public Map.Entry<Integer, List<PinnedBlob>> operatorPins(int offset, int limit) {
        List<PinnedBlob> all = new ArrayList<>();
        operatorPins.forEach((b, pins) -> {
            for (Pin p : pins.values()) all.add(new PinnedBlob(table.hash(b), p));
        });
        all.sort((x, y) -> x.pin().pinnedAt() != y.pin().pinnedAt() ? Long.compare(y.pin().pinnedAt(), x.pin().pinnedAt())
                : x.hash().toHex().compareTo(y.hash().toHex()) != 0 ? x.hash().toHex().compareTo(y.hash().toHex())
                : x.pin().owner().compareTo(y.pin().owner()));
        int from = Math.min(Math.max(0, offset), all.size());
        int to = (int) Math.min(all.size(), (long) from + Math.max(0, limit));
        return Map.entry(all.size(), List.copyOf(all.subList(from, to)));
    }

    public List<HistoryEntry> history(int limit) {
        List<HistoryEntry> out = new ArrayList<>();
        var it = history.descendingIterator();
        while (it.hasNext() && out.size() < limit) out.add(it.next());
        return out;
    }

    public long cycle() {
        return cycle;
    }

    public boolean warmingUp() {
        return views.warmingUp();
    }

    /** The nodes that hold up the warm-up barrier: no FULL report to this coordinator yet. */
    public List<String> warmUpBlockers() {
        return views.warmUpBlockers();
    }

    public long totalCollected() {
        return totalCollected;
    }

    public long totalFailedDeletions() {
        return totalFailedDeletions;
    }

    public long totalCollectedBytes() {
        return totalCollectedBytes;
    }

    public Map<ReportOutcome, Long> reportOutcomes() {
        return views.reportOutcomes();
    }

    public long reportedWhileDeleting() {
        return views.reportedWhileDeleting();
    }

    /** Hashes reported by nodes that the registry does not hold (never uploaded, or collected): not protected. */
    public long reportedUnknown() {
        return views.reportedUnknown();
    }

    /** The Up members membership listed (empty without membership). */
    public List<String> members() {
        return views.members();
    }

    public boolean isNodeRemoved(String node) {
        return views.isRemoved(node);
    }

    // =====================================================================================================
    // Snapshots
    // =====================================================================================================

    public LedgerSnapshot snapshot() {
        ByteBuffer packed = ByteBuffer.allocate(table.size() * LedgerSnapshot.BLOB_BYTES);
        List<LedgerSnapshot.Extra> extras = new ArrayList<>();
        for (int b = 0; b < table.highWater(); b++) {
            if (table.isFree(b)) continue;
            BlobHash h = table.hash(b);
            packed.putLong(h.w0()).putLong(h.w1()).putLong(h.w2()).putLong(h.w3());
            packed.put(table.status(b).code()).putLong(table.time(b)).putInt((int) table.cycle(b));
            int[] d = graph.hasCallees(b) ? graph.callees(b) : null;
            Map<String, Pin> pins = operatorPins.get(b);
            int failed = failedDeletions.getOrDefault(b, 0);
            Long started = deletionStartedAt.get(b);
            if (d != null || pins != null || failed > 0 || started != null) {
                extras.add(new LedgerSnapshot.Extra(h, d == null ? List.of() : hashes(d),
                        pins == null ? List.of() : List.copyOf(pins.values()), failed, started == null ? 0 : started));
            }
        }
        return new LedgerSnapshot(cycle, graceResetAt, frozen, totalCollected, totalCollectedBytes,
                totalFailedDeletions, table.size(), packed.array(), extras, List.copyOf(history), orphans.snapshot(),
                predecessors.snapshot());
    }

    public static Ledger fromSnapshot(LedgerSettings settings, LedgerSnapshot s) {
        Ledger l = new Ledger(settings, s.blobCount());
        l.cycle = s.cycle();
        l.graceResetAt = s.graceResetAt();
        l.frozen = s.frozen();
        l.totalCollected = s.totalCollected();
        l.totalFailedDeletions = s.totalFailedDeletions();
        l.totalCollectedBytes = s.totalCollectedBytes();
        l.orphans.restore(s.orphans());
        l.predecessors.restore(s.predecessors());
        ByteBuffer packed = ByteBuffer.wrap(s.blobs());
        List<long[]> unreferenced = new ArrayList<>(), collected = new ArrayList<>();
        for (int i = 0; i < s.blobCount(); i++) {
            BlobHash h = new BlobHash(packed.getLong(), packed.getLong(), packed.getLong(), packed.getLong());
            BlobStatus status = BlobStatus.ofCode(packed.get());
            long time = packed.getLong();
            long decided = Integer.toUnsignedLong(packed.getInt());
            int b = l.table.add(h);
            l.counts[BlobStatus.ACTIVE.ordinal()]++;
            l.setStatus(b, status);
            l.table.time(b, time);
            l.table.cycle(b, decided);
            if (status == BlobStatus.UNREFERENCED) unreferenced.add(new long[]{time, b});
            if (status == BlobStatus.COLLECTED) collected.add(new long[]{time, b});
        }
        for (LedgerSnapshot.Extra e : s.extras()) {
            int b = l.table.find(e.hash());
            if (b < 0) continue;
            if (e.failedDeletions() > 0) l.failedDeletions.put(b, e.failedDeletions());
            if (e.deletionStartedAt() != 0 && l.table.status(b) == BlobStatus.DELETING) {
                l.deletionStartedAt.put(b, e.deletionStartedAt());
            }
            if (!e.pins().isEmpty()) {
                Map<String, Pin> pins = new LinkedHashMap<>();
                for (Pin p : e.pins()) pins.put(p.owner(), p);
                l.operatorPins.put(b, pins);
                l.updatePinnedFlag(b);
            }
            for (BlobHash d : e.dependencies()) {
                int dep = l.table.find(d);
                if (dep >= 0) l.graph.add(b, dep);
            }
        }
        unreferenced.sort((x, y) -> Long.compare(x[0], y[0]));
        for (long[] e : unreferenced) l.graceQueue.addLast((int) e[1], e[0]);
        collected.sort((x, y) -> Long.compare(x[0], y[0]));
        for (long[] e : collected) l.collectedOrder.addLast((int) e[1], e[0]);
        l.history.addAll(s.history());
        if (s.predecessors() == null) {
            // written before generations: whatever is being deleted, an earlier one handed out, and whatever was
            // collected may have been deleted for one that still holds it (refused for the next window only: the
            // first PredecessorsDone forgets them). Orphans deleted before it left no trace (design.md, S10).
            for (int b : l.deleting) l.predecessors.applyHandedOut(l.table.hash(b));
            for (BlobHash h : l.orphans.condemned(Integer.MAX_VALUE)) l.predecessors.applyHandedOut(h);
            for (long[] e : collected) l.predecessors.rememberDeletedBefore(l.table.hash((int) e[1]));
        }
        return l;
    }

    private List<BlobHash> hashes(int[] ids) {
        List<BlobHash> out = new ArrayList<>(ids.length);
        for (int b : ids) out.add(table.hash(b));
        return out;
    }
}
