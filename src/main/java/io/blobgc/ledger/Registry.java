package io.blobgc.ledger;

import io.blobgc.BlobHash;
import io.blobgc.ledger.CycleOutcome.PinRef;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The persistent half of the {@link Ledger}: every known blob's status and times, operator pins, the dependency
 * edges, failed deletions, the cycle counter and history, the store reconciliation's orphans and what earlier
 * coordinator instances may still be deleting (S10). It changes only through the {@code apply…} methods, which the
 * coordinator calls from its event handler, so the same events rebuild the same state on recovery; and it is what a
 * snapshot holds. It reads nothing soft: what its changes mean for the soft half it tells {@link Soft}.
 */
final class Registry {

    /** What the soft half hears of the registry's changes (and the one soft fact it asks for: a blob's hold). */
    interface Soft {
        /** Held directly now: by a node view, a node pin or an operator pin. */
        boolean held(int b);

        /** The next cycle looks at {@code b}: its status changed under it, or it is new. */
        void touched(int b);

        /** A registration added the edge {@code caller -> callee}: it may protect the callee (S2). */
        void edgeAdded(int caller, int callee);

        /** {@code b}'s operator pins changed (it was held before the change as {@code wasHeld} says). */
        void operatorPinsChanged(int b, boolean wasHeld);

        /** {@code b} is forgotten (a pruned tombstone): its id may be reused. */
        void forgotten(int b);

        /** A registration added the remote edge {@code caller -> callee} (partitions.md §1): it may be exported now. */
        void remoteEdgeAdded(int caller, BlobHash callee);

        /**
         * {@code b} is about to be forgotten with its edges: its local callees, and its remote ones, lose it as a
         * caller (a pruned tombstone).
         */
        void dependenciesDropped(int b, int[] localCallees, List<BlobHash> remoteCallees);
    }

    private final LedgerSettings settings;
    private final Soft soft;
    final BlobTable table;
    /** Known blobs by status (by ordinal): no boxing on every status change. */
    private final long[] counts = new long[BlobStatus.values().length];
    /**
     * MARKED_FOR_COLLECTION blobs in the order they were marked, with the cycle that marked each (an entry is current
     * while the blob is still marked by that cycle: {@link #markedCurrent}; those that moved on are skipped and dropped
     * from the head). 4 bytes a blob (the cycles are runs): a cycle that marks a million costs no object per blob.
     */
    final IdTimeQueue markedOrder = new IdTimeQueue();
    final Set<Integer> deleting = new LinkedHashSet<>();
    /** UNREFERENCED blobs in the order their grace started (cycles apply in time order): a cycle reads its head. */
    final IdTimeQueue graceQueue = new IdTimeQueue();
    /** COLLECTED blobs in the order they were collected: tombstones are pruned from the head. */
    final IdTimeQueue collectedOrder = new IdTimeQueue();
    final Map<Integer, Map<String, Pin>> operatorPins = new HashMap<>();
    /** The dependency edges (persistent) and the cache of clean closures (derived). */
    final DependencyGraph graph;
    /** The edges to callees another partition owns (persistent; empty at P = 1). */
    final RemoteEdges remote;
    /** How the hashes are split, and which part is this registry's: it never registers another's hash. */
    private final Partitioning partitioning;
    private final int self;
    private final Map<Integer, Integer> failedDeletions = new HashMap<>();
    private final Map<Integer, Long> deletionStartedAt = new HashMap<>();
    private final History history = new History();
    final Orphans orphans = new Orphans();
    final PredecessorDeletions predecessors = new PredecessorDeletions();
    /** The number of partitions the journal was written with, as the first takeover recording one said (0: none). */
    int partitions;
    /**
     * How the journal's partitions were hosted and which one it is, as the first takeover recording them said (null:
     * none did; coordinator hosting, and no partition entity's journal).
     */
    String hosting;
    Integer partition;
    long cycle;
    long graceResetAt;
    boolean frozen;
    private long totalCollected;
    private long totalFailedDeletions;
    private long totalCollectedBytes;

    /**
     * @param table and {@code graph}, {@code remote}: new, this registry's (the soft half reads them too)
     * @param self  the partition of {@code partitioning} this registry holds the blobs of
     */
    Registry(LedgerSettings settings, BlobTable table, DependencyGraph graph, RemoteEdges remote,
             Partitioning partitioning, int self, Soft soft) {
        this.settings = settings;
        this.table = table;
        this.graph = graph;
        this.remote = remote;
        this.partitioning = partitioning;
        this.self = self;
        this.soft = soft;
    }

    /** Whether this partition owns {@code hash} (always at P = 1). */
    boolean owns(BlobHash hash) {
        return partitioning.partitionOf(hash) == self;
    }

    // ---- applied from events

    /** See {@link Ledger#applyRegistered}. */
    void applyRegistered(Collection<Registration> registrations) {
        for (Registration r : registrations) {
            if (!owns(r.hash())) { // another partition's blob: never a row here (its owner registers it) …
                for (BlobHash d : r.dependencies()) { // … but an unknown callee here is registered, as at P = 1
                    if (owns(d) && table.find(d) < 0) registerOne(d);
                }
                continue;
            }
            int b = registerOne(r.hash());
            predecessors.applyNewContent(r.hash());
            for (BlobHash d : r.dependencies()) {
                if (d.equals(r.hash())) continue;
                if (!owns(d)) { // a remote callee: an edge by hash, never a row of this table (partitions.md §1)
                    if (remote.add(b, d)) soft.remoteEdgeAdded(b, d);
                    continue;
                }
                int dep = table.find(d);
                if (dep < 0) dep = registerOne(d);
                if (graph.add(b, dep)) soft.edgeAdded(b, dep);
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
        soft.touched(b);
        return b;
    }

    void applyPinned(BlobHash hash, Pin pin) {
        int b = table.find(hash);
        if (b < 0 || gone(b)) return;
        boolean wasHeld = soft.held(b);
        operatorPins.computeIfAbsent(b, k -> new LinkedHashMap<>()).put(pin.owner(), pin);
        setStatus(b, BlobStatus.PINNED);
        soft.operatorPinsChanged(b, wasHeld);
    }

    void applyUnpinned(BlobHash hash, String owner) {
        int b = table.find(hash);
        if (b < 0) return;
        Map<String, Pin> pins = operatorPins.get(b);
        if (pins == null || pins.remove(owner) == null) return;
        if (pins.isEmpty()) {
            operatorPins.remove(b);
            if (table.status(b) == BlobStatus.PINNED) setStatus(b, BlobStatus.ACTIVE);
        }
        soft.operatorPinsChanged(b, true);
        soft.touched(b); // still node-pinned (soft): the next cycle makes it PINNED again
    }

    /** Applies a cycle's outcome; {@code plan}: the ids of that very outcome when it was just planned, else null. */
    void applyCycle(CycleOutcome o, CyclePlan plan) {
        cycle = o.cycle();
        frozen = o.frozen();
        graceResetAt = o.graceResetAt();
        for (PinRef p : o.expiredPins()) applyUnpinned(p.hash(), p.owner());
        for (int i = 0; i < o.activated().size(); i++) {
            transition(plan != null ? plan.activated()[i] : table.find(o.activated().get(i)), BlobStatus.ACTIVE, o);
        }
        for (int i = 0; i < o.pinned().size(); i++) {
            transition(plan != null ? plan.pinned()[i] : table.find(o.pinned().get(i)), BlobStatus.PINNED, o);
        }
        for (int i = 0; i < o.unreferenced().size(); i++) {
            transition(plan != null ? plan.unreferenced()[i] : table.find(o.unreferenced().get(i)),
                    BlobStatus.UNREFERENCED, o);
        }
        if (!o.dryRun()) {
            for (int i = 0; i < o.marked().size(); i++) {
                transition(plan != null ? plan.marked()[i] : table.find(o.marked().get(i).hash()),
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
        tidy(graceQueue, BlobStatus.UNREFERENCED, this::graceCurrent);
        tidy(markedOrder, BlobStatus.MARKED_FOR_COLLECTION, this::markedCurrent);
        history.addLast(HistoryEntry.of(o));
        while (history.size() > settings.historySize()) history.removeFirst();
    }

    /**
     * Drops a status queue's entries that are no longer current from its head; and since a blob that moved on stays
     * queued until it reaches the head (with churn, a grace queue would grow by the rescues of a whole grace period),
     * when most entries are stale, keeps only the current ones, in order.
     */
    private void tidy(IdTimeQueue queue, BlobStatus status, IdTimeQueue.Keep current) {
        while (!queue.isEmpty() && !current.test(queue.id(0), queue.time(0))) queue.removeFirst();
        if (queue.size() > 2L * counts[status.ordinal()] + 1024) queue.retainIf(current);
    }

    private void prune(int b) {
        setStatus(b, null);
        soft.dependenciesDropped(b, graph.callees(b), remote.removeAll(b));
        graph.removeAll(b);
        failedDeletions.remove(b);
        soft.forgotten(b);
        table.remove(b);
    }

    private void transition(int b, BlobStatus to, CycleOutcome o) {
        if (b < 0 || gone(b)) return;
        if (to == BlobStatus.UNREFERENCED) {
            table.cycleAndTime(b, o.cycle(), o.at());
            graceQueue.addLast(b, o.at());
        } else if (to == BlobStatus.MARKED_FOR_COLLECTION) {
            // queued unless that very mark is already (the queue holds each current mark once)
            if (!markedCurrent(b, o.cycle())) markedOrder.addLast(b, o.cycle());
            table.cycle(b, o.cycle());
        }
        setStatus(b, to);
    }

    /** See {@link Ledger#applyUsed}. */
    void applyUsed(Collection<BlobHash> hashes) {
        for (BlobHash h : hashes) {
            int b = table.find(h);
            if (b < 0) continue;
            BlobStatus s = table.status(b);
            if (s != BlobStatus.UNREFERENCED && s != BlobStatus.MARKED_FOR_COLLECTION) continue;
            setStatus(b, operatorPins.containsKey(b) ? BlobStatus.PINNED : BlobStatus.ACTIVE);
            table.cycle(b, 0);
            soft.touched(b);
        }
    }

    /** The sweeper was handed these blobs: fenced, no acquire succeeds from now on (S6). */
    void applyDeletionStarted(Collection<BlobHash> hashes, long at) {
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
    void applyCollected(Collection<BlobHash> hashes, long at, long bytes) {
        long sum = totalCollectedBytes + Math.max(0, bytes);
        totalCollectedBytes = sum < totalCollectedBytes ? Long.MAX_VALUE : sum; // saturates
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

    void applyDeletionFailed(BlobHash hash) {
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
        if (from == BlobStatus.DELETING) deleting.remove(b);
        if (to == null) return;
        table.status(b, to);
        counts[to.ordinal()]++;
        if (to == BlobStatus.DELETING) deleting.add(b);
    }

    // ---- reads

    /** DELETING or COLLECTED: its content is (being) deleted. */
    boolean gone(int b) {
        BlobStatus s = table.status(b);
        return s == BlobStatus.DELETING || s == BlobStatus.COLLECTED;
    }

    /** The grace queue's entry ({@code b}, {@code since}) is still the blob's grace. */
    boolean graceCurrent(int b, long since) {
        return !table.isFree(b) && table.status(b) == BlobStatus.UNREFERENCED && table.time(b) == since;
    }

    /** The blobs in the dependency closures of {@code roots} that wait out their grace: UNREFERENCED or MARKED. */
    List<BlobHash> waitingOutGrace(Collection<Integer> roots) {
        return graph.inClosure(roots, s -> s == BlobStatus.UNREFERENCED || s == BlobStatus.MARKED_FOR_COLLECTION);
    }

    /** The marked queue's entry ({@code b}, {@code cycle}) is still the blob's mark. */
    boolean markedCurrent(int b, long cycle) {
        return !table.isFree(b) && table.status(b) == BlobStatus.MARKED_FOR_COLLECTION && table.cycle(b) == cycle;
    }

    /** The tombstone queue's entry ({@code b}, {@code at}) is still the blob's tombstone. */
    boolean tombstoneCurrent(int b, long at) {
        return !table.isFree(b) && table.status(b) == BlobStatus.COLLECTED && table.time(b) == at;
    }

    int failedDeletions(int b) {
        return failedDeletions.getOrDefault(b, 0);
    }

    /** A blob's facts for {@link Ledger#info}, with the nodes that reference and pin it (soft, given). */
    BlobInfo info(int b, List<String> refBy, List<String> pinBy) {
        BlobStatus s = table.status(b);
        boolean unref = s == BlobStatus.UNREFERENCED || s == BlobStatus.MARKED_FOR_COLLECTION;
        boolean decided = s == BlobStatus.MARKED_FOR_COLLECTION || s == BlobStatus.DELETING || s == BlobStatus.COLLECTED;
        Map<String, Pin> pins = operatorPins.getOrDefault(b, Map.of());
        return new BlobInfo(table.hash(b), s, unref ? table.time(b) : null,
                decided && table.cycle(b) > 0 ? table.cycle(b) : null,
                s == BlobStatus.COLLECTED ? table.time(b) : null, deletionStartedAt.get(b),
                refBy, List.copyOf(pins.values()), pinBy, dependencies(b),
                hashes(graph.callers(b)), failedDeletions(b));
    }

    Map<BlobStatus, Long> counts() {
        EnumMap<BlobStatus, Long> out = new EnumMap<>(BlobStatus.class);
        for (BlobStatus s : BlobStatus.values()) out.put(s, counts[s.ordinal()]);
        return out;
    }

    /** See {@link Ledger#operatorPins}. */
    Map.Entry<Integer, List<Ledger.PinnedBlob>> operatorPins(int offset, int limit) {
        List<Ledger.PinnedBlob> all = new ArrayList<>();
        operatorPins.forEach((b, pins) -> {
            for (Pin p : pins.values()) all.add(new Ledger.PinnedBlob(table.hash(b), p));
        });
        all.sort((x, y) -> x.pin().pinnedAt() != y.pin().pinnedAt() ? Long.compare(y.pin().pinnedAt(), x.pin().pinnedAt())
                : x.hash().toHex().compareTo(y.hash().toHex()) != 0 ? x.hash().toHex().compareTo(y.hash().toHex())
                : x.pin().owner().compareTo(y.pin().owner()));
        int from = Math.min(Math.max(0, offset), all.size());
        int to = (int) Math.min(all.size(), (long) from + Math.max(0, limit));
        return Map.entry(all.size(), List.copyOf(all.subList(from, to)));
    }

    /** Newest first. */
    List<HistoryEntry> history(int limit) {
        return history.newest(limit);
    }

    long totalCollected() {
        return totalCollected;
    }

    long totalFailedDeletions() {
        return totalFailedDeletions;
    }

    long totalCollectedBytes() {
        return totalCollectedBytes;
    }

    /** {@code b}'s callees: the local ones, then the remote ones. */
    private List<BlobHash> dependencies(int b) {
        List<BlobHash> out = hashes(graph.callees(b));
        out.addAll(remote.callees(b));
        return out;
    }

    List<BlobHash> hashes(int[] ids) {
        List<BlobHash> out = new ArrayList<>(ids.length);
        for (int b : ids) out.add(table.hash(b));
        return out;
    }

    // ---- snapshots

    LedgerSnapshot snapshot() {
        ByteBuffer packed = ByteBuffer.allocate(table.size() * LedgerSnapshot.BLOB_BYTES);
        List<LedgerSnapshot.Extra> extras = new ArrayList<>();
        for (int b = 0; b < table.highWater(); b++) {
            if (table.isFree(b)) continue;
            BlobHash h = table.hash(b);
            packed.putLong(h.w0()).putLong(h.w1()).putLong(h.w2()).putLong(h.w3());
            packed.put(table.status(b).code()).putLong(table.time(b)).putInt((int) table.cycle(b));
            int[] d = graph.hasCallees(b) ? graph.callees(b) : null;
            Map<String, Pin> pins = operatorPins.get(b);
            int failed = failedDeletions(b);
            Long started = deletionStartedAt.get(b);
            if (d != null || pins != null || failed > 0 || started != null) {
                extras.add(new LedgerSnapshot.Extra(h, d == null ? List.of() : hashes(d),
                        pins == null ? List.of() : List.copyOf(pins.values()), failed, started == null ? 0 : started));
            }
        }
        List<LedgerSnapshot.RemoteCallees> remoteEdges = new ArrayList<>();
        for (int b : remote.allCallers()) {
            remoteEdges.add(new LedgerSnapshot.RemoteCallees(table.hash(b), List.copyOf(remote.callees(b))));
        }
        return new LedgerSnapshot(cycle, graceResetAt, frozen, totalCollected, totalCollectedBytes,
                totalFailedDeletions, table.size(), packed.array(), extras, history.all(), orphans.snapshot(),
                predecessors.snapshot(), partitions, remoteEdges, hosting, partition);
    }

    /** Restores a snapshot into this registry, which must be new (no blob, no node view: the pinned flag is the operator's). */
    void restore(LedgerSnapshot s) {
        cycle = s.cycle();
        graceResetAt = s.graceResetAt();
        frozen = s.frozen();
        totalCollected = s.totalCollected();
        totalFailedDeletions = s.totalFailedDeletions();
        totalCollectedBytes = s.totalCollectedBytes();
        orphans.restore(s.orphans());
        predecessors.restore(s.predecessors());
        partitions = s.partitions();
        hosting = s.hosting();
        partition = s.partition();
        ByteBuffer packed = ByteBuffer.wrap(s.blobs());
        List<long[]> unreferenced = new ArrayList<>(), collected = new ArrayList<>(), marked = new ArrayList<>();
        for (int i = 0; i < s.blobCount(); i++) {
            BlobHash h = new BlobHash(packed.getLong(), packed.getLong(), packed.getLong(), packed.getLong());
            BlobStatus status = BlobStatus.ofCode(packed.get());
            long time = packed.getLong();
            long decided = Integer.toUnsignedLong(packed.getInt());
            int b = table.add(h);
            counts[BlobStatus.ACTIVE.ordinal()]++;
            setStatus(b, status);
            table.cycleAndTime(b, decided, time);
            if (status == BlobStatus.UNREFERENCED) unreferenced.add(new long[]{time, b});
            if (status == BlobStatus.COLLECTED) collected.add(new long[]{time, b});
            if (status == BlobStatus.MARKED_FOR_COLLECTION) marked.add(new long[]{decided, b});
        }
        for (LedgerSnapshot.Extra e : s.extras()) {
            int b = table.find(e.hash());
            if (b < 0) continue;
            if (e.failedDeletions() > 0) failedDeletions.put(b, e.failedDeletions());
            if (e.deletionStartedAt() != 0 && table.status(b) == BlobStatus.DELETING) {
                deletionStartedAt.put(b, e.deletionStartedAt());
            }
            if (!e.pins().isEmpty()) {
                Map<String, Pin> pins = new LinkedHashMap<>();
                for (Pin p : e.pins()) pins.put(p.owner(), p);
                operatorPins.put(b, pins);
                table.flag(b, BlobTable.FLAG_PINNED, true);
            }
            for (BlobHash d : e.dependencies()) {
                int dep = table.find(d);
                if (dep >= 0) graph.add(b, dep);
            }
        }
        for (LedgerSnapshot.RemoteCallees e : s.remoteEdges()) {
            int b = table.find(e.caller());
            if (b < 0) continue;
            for (BlobHash c : e.callees()) remote.add(b, c);
        }
        unreferenced.sort((x, y) -> Long.compare(x[0], y[0]));
        for (long[] e : unreferenced) graceQueue.addLast((int) e[1], e[0]);
        collected.sort((x, y) -> Long.compare(x[0], y[0]));
        for (long[] e : collected) collectedOrder.addLast((int) e[1], e[0]);
        marked.sort((x, y) -> Long.compare(x[0], y[0])); // by marking cycle; within one, in the snapshot's order
        for (long[] e : marked) markedOrder.addLast((int) e[1], e[0]);
        history.addAll(s.history());
        if (s.predecessors() == null) {
            // written before generations: whatever is being deleted, an earlier one handed out, and whatever was
            // collected may have been deleted for one that still holds it (refused for the next window only: the
            // first PredecessorsDone forgets them). Orphans deleted before it left no trace (design.md, S10).
            for (int b : deleting) predecessors.applyHandedOut(table.hash(b));
            for (BlobHash h : orphans.condemned(Integer.MAX_VALUE)) predecessors.applyHandedOut(h);
            for (long[] e : collected) predecessors.rememberDeletedBefore(table.hash((int) e[1]));
        }
    }
}
