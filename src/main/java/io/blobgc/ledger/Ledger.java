package io.blobgc.ledger;

import io.blobgc.BlobHash;
import io.blobgc.ledger.CycleOutcome.MarkedBlob;
import io.blobgc.ledger.CycleOutcome.PinRef;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The GC rules of DESIGN.md sections 3 and 4, in plain Java: no actors, no I/O, no clock of its own (every
 * method that needs the time takes it, in epoch millis).
 *
 * <p>The state has two halves. The <b>persistent</b> half (statuses, operator pins, dependencies, cycle counter,
 * history) changes only through the {@code apply…} methods, which the coordinator calls from its event handler,
 * so the same events rebuild the same state on recovery. The <b>soft</b> half (node views and the reference
 * counts derived from them) changes through {@link #report}, {@link #acquire} and membership, and is rebuilt
 * from FULL reports after a recovery (S5). Decisions ({@link #planCycle}, {@link #planDeletion}, the
 * {@code check…} methods) read both halves and change neither persistent state nor anything a replay needs.
 *
 * <p>The work is incremental: reference counts follow the deltas, and a cycle visits only candidates — blobs
 * whose hold changed since the last cycle (and their dependency closures), and unreferenced ones whose grace is over.
 */
public final class Ledger {

    private final LedgerSettings settings;

    // ---- persistent half
    private final Map<BlobHash, Blob> blobs = new HashMap<>();
    private final EnumMap<BlobStatus, Long> counts = new EnumMap<>(BlobStatus.class);
    private final Set<Blob> marked = new LinkedHashSet<>();
    /** UNREFERENCED blobs in the order their grace started (cycles apply in time order): a cycle reads its head. */
    private final ArrayDeque<GraceEntry> graceQueue = new ArrayDeque<>();
    private final Set<Blob> deleting = new LinkedHashSet<>();
    private final ArrayDeque<Tombstone> collectedOrder = new ArrayDeque<>();
    private final Map<Blob, Map<String, Pin>> operatorPins = new HashMap<>();
    private final ArrayDeque<HistoryEntry> history = new ArrayDeque<>();
    private long cycle;
    private long graceResetAt;
    private boolean frozen;
    private long totalCollected;
    private long totalFailedDeletions;
    private long totalCollectedBytes;

    // ---- soft half
    private final Map<String, NodeView> views = new TreeMap<>();
    private final Map<String, Long> removedNodes = new HashMap<>();
    private final Set<Blob> dirty = new LinkedHashSet<>();
    private long tick;
    private boolean warmingUp;
    private final EnumMap<ReportOutcome, Long> reportOutcomes = new EnumMap<>(ReportOutcome.class);
    private long reportedWhileDeleting;

    public Ledger(LedgerSettings settings) {
        this.settings = settings;
        for (BlobStatus s : BlobStatus.values()) counts.put(s, 0L);
        for (ReportOutcome o : ReportOutcome.values()) reportOutcomes.put(o, 0L);
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
            Blob b = registerOne(r.hash());
            for (BlobHash d : r.dependencies()) {
                if (d.equals(r.hash())) continue;
                Blob dep = blobs.get(d);
                if (dep == null) dep = registerOne(d);
                if (b.addDependency(dep)) dep.addDependent(b);
            }
        }
    }

    private Blob registerOne(BlobHash h) {
        Blob b = blobs.get(h);
        if (b == null) {
            b = new Blob(h);
            blobs.put(h, b);
            counts.merge(BlobStatus.ACTIVE, 1L, Long::sum);
        } else if (b.status == BlobStatus.COLLECTED || b.status == BlobStatus.UNREFERENCED
                || b.status == BlobStatus.MARKED_FOR_COLLECTION) {
            setStatus(b, isPinnedDirectly(b) ? BlobStatus.PINNED : BlobStatus.ACTIVE);
        }
        dirty.add(b);
        return b;
    }

    public void applyPinned(BlobHash hash, Pin pin) {
        Blob b = blobs.get(hash);
        if (b == null || b.status == BlobStatus.DELETING || b.status == BlobStatus.COLLECTED) return;
        boolean wasHeld = b.held(this);
        operatorPins.computeIfAbsent(b, k -> new LinkedHashMap<>()).put(pin.owner(), pin);
        setStatus(b, BlobStatus.PINNED);
        holdChanged(b, wasHeld);
    }

    public void applyUnpinned(BlobHash hash, String owner) {
        Blob b = blobs.get(hash);
        if (b == null) return;
        Map<String, Pin> pins = operatorPins.get(b);
        if (pins == null || pins.remove(owner) == null) return;
        boolean wasHeld = true;
        if (pins.isEmpty()) {
            operatorPins.remove(b);
            if (b.status == BlobStatus.PINNED) setStatus(b, BlobStatus.ACTIVE);
        }
        holdChanged(b, wasHeld);
    }

    public void applyCycle(CycleOutcome o) {
        cycle = o.cycle();
        frozen = o.frozen();
        graceResetAt = o.graceResetAt();
        for (PinRef p : o.expiredPins()) applyUnpinned(p.hash(), p.owner());
        for (BlobHash h : o.activated()) transition(h, BlobStatus.ACTIVE, o);
        for (BlobHash h : o.pinned()) transition(h, BlobStatus.PINNED, o);
        for (BlobHash h : o.unreferenced()) transition(h, BlobStatus.UNREFERENCED, o);
        if (!o.dryRun()) {
            for (MarkedBlob m : o.marked()) transition(m.hash(), BlobStatus.MARKED_FOR_COLLECTION, o);
        }
        for (BlobHash h : o.prunedTombstones()) {
            Blob b = blobs.get(h);
            if (b != null && b.status == BlobStatus.COLLECTED) {
                setStatus(b, null);
                blobs.remove(h);
                for (Blob d : b.deps) d.removeDependent(b);
                for (Blob parent : b.dependents) parent.removeDependency(b);
            }
        }
        while (!collectedOrder.isEmpty() && !collectedOrder.peekFirst().current()) collectedOrder.removeFirst();
        while (!graceQueue.isEmpty() && !graceQueue.peekFirst().current()) graceQueue.removeFirst();
        if (!o.frozen() && !o.warmingUp()) dirty.clear();
        history.addLast(HistoryEntry.of(o));
        while (history.size() > settings.historySize()) history.removeFirst();
    }

    private void transition(BlobHash h, BlobStatus to, CycleOutcome o) {
        Blob b = blobs.get(h);
        if (b == null || b.status == BlobStatus.DELETING || b.status == BlobStatus.COLLECTED) return;
        if (to == BlobStatus.UNREFERENCED) {
            b.since = o.at();
            b.sinceTick = tick;
            graceQueue.addLast(new GraceEntry(b, b.since));
        } else if (to == BlobStatus.MARKED_FOR_COLLECTION) {
            b.markedCycle = o.cycle();
            b.markTick = tick;
        }
        setStatus(b, to);
    }

    /** The sweeper was handed these blobs: fenced, no acquire succeeds from now on (S6). */
    public void applyDeletionStarted(Collection<BlobHash> hashes, long at) {
        for (BlobHash h : hashes) {
            Blob b = blobs.get(h);
            if (b != null && b.status == BlobStatus.MARKED_FOR_COLLECTION) {
                b.deletionStartedAt = at;
                setStatus(b, BlobStatus.DELETING);
            }
        }
    }

    /** The sweeper deleted these blobs, freeing {@code bytes} in the store. */
    public void applyCollected(Collection<BlobHash> hashes, long at, long bytes) {
        totalCollectedBytes += bytes;
        applyCollected(hashes, at);
    }

    public void applyCollected(Collection<BlobHash> hashes, long at) {
        for (BlobHash h : hashes) {
            Blob b = blobs.get(h);
            if (b != null && b.status == BlobStatus.DELETING) {
                b.collectedAt = at;
                setStatus(b, BlobStatus.COLLECTED);
                collectedOrder.addLast(new Tombstone(b, at));
                totalCollected++;
            }
        }
    }

    public void applyDeletionFailed(BlobHash hash) {
        Blob b = blobs.get(hash);
        if (b != null) b.failedDeletions++;
        totalFailedDeletions++;
    }

    private void setStatus(Blob b, BlobStatus to) {
        BlobStatus from = b.status;
        if (from == to) return;
        counts.merge(from, -1L, Long::sum);
        indexOf(from).ifPresent(s -> s.remove(b));
        b.status = to;
        if (to == null) return;
        counts.merge(to, 1L, Long::sum);
        indexOf(to).ifPresent(s -> s.add(b));
    }

    private Optional<Set<Blob>> indexOf(BlobStatus s) {
        if (s == null) return Optional.empty();
        return switch (s) {
            case MARKED_FOR_COLLECTION -> Optional.of(marked);
            case DELETING -> Optional.of(deleting);
            default -> Optional.empty();
        };
    }

    // =====================================================================================================
    // Decisions
    // =====================================================================================================

    /** The hashes among {@code candidates} that a registration cannot take now: they are being deleted. */
    public List<BlobHash> checkRegister(Collection<BlobHash> candidates) {
        List<BlobHash> rejected = new ArrayList<>();
        for (BlobHash h : candidates) {
            Blob b = blobs.get(h);
            if (b != null && b.status == BlobStatus.DELETING) rejected.add(h);
        }
        return rejected;
    }

    /** The hashes of a report that must be registered (persisted) before it is applied: unknown or COLLECTED. */
    public List<BlobHash> needsRegistration(NodeReport r) {
        List<BlobHash> out = new ArrayList<>();
        addUnregistered(r.activeAdded(), out);
        addUnregistered(r.pinsAdded(), out);
        return out;
    }

    /** Whether {@code hash} must be registered (persisted) before a node may hold it. */
    public boolean needsRegistration(BlobHash hash) {
        Blob b = blobs.get(hash);
        return b == null || b.status == BlobStatus.COLLECTED;
    }

    private void addUnregistered(List<BlobHash> hashes, List<BlobHash> out) {
        for (BlobHash h : hashes) {
            if (needsRegistration(h)) out.add(h);
        }
    }

    /** Why an operator pin on {@code hash} cannot be taken, or empty when it can. */
    public Optional<Refusal> checkPin(BlobHash hash) {
        Blob b = blobs.get(hash);
        if (b == null) return Optional.of(Refusal.notFound("unknown blob " + hash + ": register it before pinning"));
        if (b.status == BlobStatus.DELETING) return Optional.of(Refusal.conflict("blob " + hash + " is being deleted"));
        if (b.status == BlobStatus.COLLECTED) {
            return Optional.of(Refusal.conflict("blob " + hash + " was collected: upload it again"));
        }
        List<BlobHash> gone = goneInClosure(b);
        if (!gone.isEmpty()) {
            return Optional.of(Refusal.conflict("blob " + hash + " depends on " + gone
                    + ", being deleted or collected: upload " + (gone.size() == 1 ? "it" : "them") + " again first"));
        }
        return Optional.empty();
    }

    /** Why {@code owner}'s pin on {@code hash} cannot be removed, or empty when it can. */
    public Optional<Refusal> checkUnpin(BlobHash hash, String owner) {
        Blob b = blobs.get(hash);
        if (b == null) return Optional.of(Refusal.notFound("unknown blob " + hash));
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
        List<String> stale = updateStaleness(now);
        long next = cycle + 1;
        List<PinRef> expired = new ArrayList<>();
        for (Map.Entry<Blob, Map<String, Pin>> e : operatorPins.entrySet()) {
            for (Pin p : e.getValue().values()) {
                if (p.expiredAt(now)) expired.add(new PinRef(e.getKey().hash, p.owner()));
            }
        }
        List<BlobHash> pruned = new ArrayList<>();
        for (Tombstone t : collectedOrder) {
            if (t.at + settings.tombstoneTtlMs() > now) break;
            // a tombstone that known blobs depend on stays: it carries their dependency edges
            if (t.current() && t.blob.dependents.isEmpty()) pruned.add(t.blob.hash);
        }
        boolean warm = warmingUpNow();
        boolean quorum = liveNodes() >= settings.minNodesReporting();
        List<String> live = liveNodeNames();
        if (!quorum || warm) {
            // S7: below quorum no status changes and no grace clock runs; S5: while warming up nothing is decided
            return new CycleOutcome(next, now, dryRun, !quorum || frozen, warm, List.of(), List.of(), List.of(), List.of(),
                    List.of(), expired, pruned, live, stale, graceResetAt);
        }
        long resetAt = frozen ? now : graceResetAt;
        long confirmTick = minConfirmTick();
        List<BlobHash> toUnreferenced = new ArrayList<>();
        List<BlobHash> toActive = new ArrayList<>();
        List<BlobHash> toPinned = new ArrayList<>();
        List<BlobHash> rescued = new ArrayList<>();
        List<MarkedBlob> toMark = new ArrayList<>();
        // the candidates: blobs whose hold changed, and the unreferenced ones whose grace is over and that every
        // live node may have confirmed absent (the queue is in since order, and so in tick order: stop at the
        // first that is not over or not confirmed, all behind it are not either)
        Set<Blob> candidates = new LinkedHashSet<>(dirty);
        for (GraceEntry e : graceQueue) {
            if (!e.current()) continue;
            if (now - Math.max(e.since, resetAt) < settings.gracePeriodMs() || confirmTick <= e.blob.sinceTick) break;
            candidates.add(e.blob);
        }
        for (Blob b : candidates) {
            if (b.status == BlobStatus.DELETING || b.status == BlobStatus.COLLECTED || b.status == null) continue;
            if (isProtected(b)) {
                BlobStatus target = isPinnedDirectly(b) ? BlobStatus.PINNED : BlobStatus.ACTIVE;
                if (target != b.status) {
                    (target == BlobStatus.PINNED ? toPinned : toActive).add(b.hash);
                    if (b.status == BlobStatus.UNREFERENCED || b.status == BlobStatus.MARKED_FOR_COLLECTION) {
                        rescued.add(b.hash);
                    }
                }
            } else if (b.status == BlobStatus.ACTIVE || b.status == BlobStatus.PINNED) {
                toUnreferenced.add(b.hash);
            } else if (b.status == BlobStatus.UNREFERENCED
                    && now - Math.max(b.since, resetAt) >= settings.gracePeriodMs()
                    && confirmTick > b.sinceTick) {
                toMark.add(new MarkedBlob(b.hash, b.since));
            }
        }
        return new CycleOutcome(next, now, dryRun, false, warm, toUnreferenced, toActive, toPinned, rescued,
                toMark, expired, pruned, live, stale, resetAt);
    }

    /**
     * Chooses up to {@code max} marked blobs that may move to DELETING now: still unprotected, and every live
     * node delivered a complete view after the blob was marked (the second confirmation of the two-phase
     * delete). Nothing while warming up or below quorum.
     */
    public List<BlobHash> planDeletion(int max) {
        if (warmingUpNow() || liveNodes() < settings.minNodesReporting()) return List.of();
        long confirmTick = minConfirmTick();
        List<BlobHash> out = new ArrayList<>();
        for (Blob b : marked) {
            if (out.size() >= max) break;
            if (!isProtected(b) && confirmTick > b.markTick) out.add(b.hash);
        }
        return out;
    }

    /** The blobs in DELETING, oldest first: after a failover the sweeper finishes or retries them. */
    public List<BlobHash> deleting(int max) {
        List<BlobHash> out = new ArrayList<>();
        for (Blob b : deleting) {
            if (out.size() >= max) break;
            out.add(b.hash);
        }
        return out;
    }

    /** Held directly: referenced by a node view, pinned by a node, or pinned by an operator. */
    private boolean isPinnedDirectly(Blob b) {
        return b.nodePins > 0 || operatorPins.containsKey(b);
    }

    /** Held directly, or reachable through dependencies from a blob that is held directly. */
    private boolean isProtected(Blob b) {
        if (b.held(this)) return true;
        if (b.dependents.isEmpty()) return false;
        ArrayDeque<Blob> todo = new ArrayDeque<>(b.dependents);
        Set<Blob> seen = new HashSet<>();
        seen.add(b);
        while (!todo.isEmpty()) {
            Blob p = todo.poll();
            if (!seen.add(p)) continue;
            if (p.held(this)) return true;
            todo.addAll(p.dependents);
        }
        return false;
    }

    // =====================================================================================================
    // Soft half: node views
    // =====================================================================================================

    /** A member that runs a reporter is up: it must report before anything it might hold can be marked. */
    public void memberUp(String node, long now) {
        if (removedNodes.containsKey(node)) return;
        views.computeIfAbsent(node, n -> new NodeView(n, now));
    }

    /** Membership removed the member (it left, or was downed): its references and pins are dropped (S4). */
    public void memberRemoved(String node, long now) {
        NodeView v = views.remove(node);
        if (v != null) clearView(v);
        removedNodes.put(node, now);
        removedNodes.values().removeIf(at -> at + settings.tombstoneTtlMs() < now);
    }

    /** After a recovery: every view must be rebuilt from a FULL report before anything is marked (S5). */
    public void beginWarmUp() {
        warmingUp = true;
        for (NodeView v : views.values()) v.fullSinceRecovery = false;
        for (Blob b : blobs.values()) {
            if (b.status == BlobStatus.ACTIVE || b.status == BlobStatus.PINNED) dirty.add(b);
        }
    }

    /** Applies one report to its node's view (S8: ordered by incarnation, then seq). */
    public ReportOutcome report(NodeReport r, long now) {
        ReportOutcome o = doReport(r, now);
        reportOutcomes.merge(o, 1L, Long::sum);
        return o;
    }

    private ReportOutcome doReport(NodeReport r, long now) {
        if (removedNodes.containsKey(r.node())) return ReportOutcome.FROM_REMOVED_NODE;
        if (r.chunks() < 1 || r.chunk() < 0 || r.chunk() >= r.chunks()) return ReportOutcome.MALFORMED;
        NodeView v = views.computeIfAbsent(r.node(), n -> new NodeView(n, now));
        if (r.incarnation() < v.incarnation) return ReportOutcome.DUPLICATE_OR_OLD;
        boolean newIncarnation = r.incarnation() > v.incarnation;
        if (r.kind() == NodeReport.Kind.DELTA) {
            if (!newIncarnation && r.seq() <= v.seq) return ReportOutcome.DUPLICATE_OR_OLD;
            if (newIncarnation || !v.complete || r.seq() != v.seq + 1) {
                v.complete = false;
                v.lastReportAt = now;
                v.stale = false;
                return ReportOutcome.NEED_FULL;
            }
            registerAll(r.activeAdded());
            registerAll(r.pinsAdded());
            for (BlobHash h : r.activeAdded()) addRef(v, blobs.get(h));
            for (BlobHash h : r.activeRemoved()) {
                Blob b = blobs.get(h);
                if (b != null && !acquiredAfter(v, b, r.incarnation(), r.seq())) removeRef(v, b);
            }
            for (BlobHash h : r.pinsAdded()) addNodePin(v, blobs.get(h));
            for (BlobHash h : r.pinsRemoved()) removeNodePin(v, blobs.get(h));
            v.seq = r.seq();
            coverAcquires(v, r.incarnation(), r.seq());
            confirmed(v, now);
            return ReportOutcome.APPLIED;
        }
        // FULL, possibly in chunks
        if (!newIncarnation && r.seq() <= v.seq) return ReportOutcome.DUPLICATE_OR_OLD;
        v.lastReportAt = now;
        v.stale = false;
        if (v.pending == null || v.pending.incarnation != r.incarnation() || v.pending.seq != r.seq()
                || v.pending.chunks != r.chunks()) {
            v.pending = new PendingFull(r.incarnation(), r.seq(), r.chunks());
        }
        if (!v.pending.add(r)) return ReportOutcome.DUPLICATE_OR_OLD;
        if (!v.pending.isComplete()) return ReportOutcome.CHUNK_BUFFERED;
        PendingFull full = v.pending;
        v.pending = null;
        registerAll(full.active);
        registerAll(full.pins);
        replaceView(v, full);
        v.incarnation = full.incarnation;
        v.seq = full.seq;
        v.fullSinceRecovery = true;
        confirmed(v, now);
        return ReportOutcome.APPLIED;
    }

    private void confirmed(NodeView v, long now) {
        v.complete = true;
        v.lastReportAt = now;
        v.stale = false;
        v.lastCompleteTick = ++tick;
        if (warmingUp && !warmingUpNow()) warmingUp = false;
    }

    private void registerAll(Collection<BlobHash> hashes) {
        List<Registration> missing = new ArrayList<>();
        for (BlobHash h : hashes) {
            if (needsRegistration(h)) missing.add(Registration.of(h));
        }
        if (!missing.isEmpty()) applyRegistered(missing);
        for (BlobHash h : hashes) {
            if (blobs.get(h).status == BlobStatus.DELETING) reportedWhileDeleting++;
        }
    }

    private void replaceView(NodeView v, PendingFull full) {
        coverAcquires(v, full.incarnation, full.seq);
        List<Blob> gone = new ArrayList<>();
        for (Blob b : v.active) if (!full.active.contains(b.hash) && !v.sticky.containsKey(b)) gone.add(b);
        for (Blob b : gone) removeRef(v, b);
        for (BlobHash h : full.active) addRef(v, blobs.get(h));
        List<Blob> unpinned = new ArrayList<>();
        for (Blob b : v.pins) if (!full.pins.contains(b.hash)) unpinned.add(b);
        for (Blob b : unpinned) removeNodePin(v, b);
        for (BlobHash h : full.pins) addNodePin(v, blobs.get(h));
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
        FROM_REMOVED_NODE
    }

    /**
     * The acquire fence (S6): a node starts to use {@code hash}. Unless the blob is DELETING or COLLECTED the
     * reference is recorded at once in the node's view, and a MARKED blob can no longer be handed to the sweeper.
     * {@code incarnation} and {@code afterSeq} are the reporter's and the seq of the last report it sent before
     * asking: a report sent earlier but delivered later cannot drop the reference; a later one covers it.
     */
    public AcquireOutcome acquire(String node, long incarnation, long afterSeq, BlobHash hash, long now) {
        if (removedNodes.containsKey(node)) return AcquireOutcome.FROM_REMOVED_NODE;
        Blob b = blobs.get(hash);
        if (b == null) return AcquireOutcome.UNKNOWN;
        if (!goneInClosure(b).isEmpty()) return AcquireOutcome.GONE;
        NodeView v = views.computeIfAbsent(node, n -> new NodeView(n, now));
        addRef(v, b);
        v.sticky.put(b, new long[]{incarnation, afterSeq});
        return AcquireOutcome.ACQUIRED;
    }

    /**
     * The blobs in {@code b}'s dependency closure (itself included) that are DELETING or COLLECTED: a holder
     * of {@code b} uses its callees too, so none of them may be gone.
     */
    private List<BlobHash> goneInClosure(Blob b) {
        List<BlobHash> gone = new ArrayList<>();
        ArrayDeque<Blob> todo = new ArrayDeque<>(List.of(b));
        Set<Blob> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            Blob x = todo.poll();
            if (!seen.add(x)) continue;
            if (x.status == BlobStatus.DELETING || x.status == BlobStatus.COLLECTED) gone.add(x.hash);
            todo.addAll(x.deps);
        }
        return gone;
    }

    /** The blobs in {@code hash}'s dependency closure that must be uploaded again before it can be acquired. */
    public List<BlobHash> goneInClosure(BlobHash hash) {
        Blob b = blobs.get(hash);
        return b == null ? List.of() : goneInClosure(b);
    }

    /** Whether {@code b} was acquired after the report (incarnation, seq) was built: that report cannot drop it. */
    private static boolean acquiredAfter(NodeView v, Blob b, long incarnation, long seq) {
        long[] at = v.sticky.get(b);
        return at != null && (incarnation < at[0] || (incarnation == at[0] && seq <= at[1]));
    }

    /** Drops the sticky acquires that a report built after them covers. */
    private void coverAcquires(NodeView v, long incarnation, long seq) {
        if (v.sticky.isEmpty()) return;
        v.sticky.values().removeIf(at -> incarnation > at[0] || (incarnation == at[0] && seq > at[1]));
    }

    private void addRef(NodeView v, Blob b) {
        if (!v.active.add(b)) return;
        boolean wasHeld = b.held(this);
        b.refs++;
        holdChanged(b, wasHeld);
    }

    private void removeRef(NodeView v, Blob b) {
        if (b == null || !v.active.remove(b)) return;
        boolean wasHeld = b.held(this);
        b.refs--;
        holdChanged(b, wasHeld);
    }

    private void addNodePin(NodeView v, Blob b) {
        if (!v.pins.add(b)) return;
        boolean wasHeld = b.held(this);
        b.nodePins++;
        holdChanged(b, wasHeld);
        dirty.add(b); // ACTIVE -> PINNED is a status change even when the blob was held already
    }

    private void removeNodePin(NodeView v, Blob b) {
        if (b == null || !v.pins.remove(b)) return;
        boolean wasHeld = b.held(this);
        b.nodePins--;
        holdChanged(b, wasHeld);
        dirty.add(b);
    }

    /** A blob's direct hold flipped: it, and everything it keeps alive, needs a look next cycle. */
    private void holdChanged(Blob b, boolean wasHeld) {
        boolean held = b.held(this);
        if (held == wasHeld) return;
        dirty.add(b);
        if (!b.deps.isEmpty()) {
            ArrayDeque<Blob> todo = new ArrayDeque<>(b.deps);
            while (!todo.isEmpty()) {
                Blob d = todo.poll();
                if (dirty.add(d)) todo.addAll(d.deps);
            }
        }
    }

    private void clearView(NodeView v) {
        for (Blob b : new ArrayList<>(v.active)) removeRef(v, b);
        for (Blob b : new ArrayList<>(v.pins)) removeNodePin(v, b);
        v.complete = false;
        v.pending = null;
        v.sticky.clear();
    }

    private List<String> updateStaleness(long now) {
        List<String> stale = new ArrayList<>();
        for (NodeView v : views.values()) {
            boolean isStale = now - v.lastReportAt >= settings.staleThresholdMs();
            if (isStale && !v.stale && settings.staleNodePolicy() == StaleNodePolicy.DROP) clearView(v);
            v.stale = isStale;
            if (isStale) stale.add(v.node);
        }
        return stale;
    }

    private int liveNodes() {
        int n = 0;
        for (NodeView v : views.values()) if (!v.stale) n++;
        return n;
    }

    private List<String> liveNodeNames() {
        List<String> out = new ArrayList<>();
        for (NodeView v : views.values()) if (!v.stale) out.add(v.node);
        return out;
    }

    /** The oldest complete view among live nodes: a blob is confirmed absent by all once this is after it. */
    private long minConfirmTick() {
        long min = Long.MAX_VALUE;
        for (NodeView v : views.values()) {
            if (v.stale) continue;
            min = Math.min(min, v.complete ? v.lastCompleteTick : -1);
        }
        return min == Long.MAX_VALUE ? -1 : min;
    }

    private boolean warmingUpNow() {
        if (!warmingUp) return false;
        if (views.isEmpty()) return true;
        for (NodeView v : views.values()) {
            if (!v.fullSinceRecovery || !v.complete) return true;
        }
        return false;
    }

    // =====================================================================================================
    // Queries
    // =====================================================================================================

    public Optional<BlobInfo> info(BlobHash hash) {
        Blob b = blobs.get(hash);
        if (b == null) return Optional.empty();
        List<String> refBy = new ArrayList<>();
        List<String> pinBy = new ArrayList<>();
        for (NodeView v : views.values()) {
            if (v.active.contains(b)) refBy.add(v.node);
            if (v.pins.contains(b)) pinBy.add(v.node);
        }
        boolean unref = b.status == BlobStatus.UNREFERENCED || b.status == BlobStatus.MARKED_FOR_COLLECTION;
        Map<String, Pin> pins = operatorPins.getOrDefault(b, Map.of());
        return Optional.of(new BlobInfo(b.hash, b.status, unref ? b.since : null,
                b.markedCycle > 0 ? b.markedCycle : null,
                b.status == BlobStatus.COLLECTED ? b.collectedAt : null,
                b.status == BlobStatus.DELETING || b.status == BlobStatus.COLLECTED ? b.deletionStartedAt : null,
                refBy, List.copyOf(pins.values()), pinBy, hashes(b.deps), hashes(b.dependents), b.failedDeletions));
    }

    public Optional<BlobStatus> status(BlobHash hash) {
        Blob b = blobs.get(hash);
        return b == null ? Optional.empty() : Optional.of(b.status);
    }

    public Map<BlobStatus, Long> counts() {
        return new EnumMap<>(counts);
    }

    public int knownBlobs() {
        return blobs.size();
    }

    public List<NodeInfo> nodes(long now) {
        List<NodeInfo> out = new ArrayList<>();
        for (NodeView v : views.values()) {
            boolean stale = now - v.lastReportAt >= settings.staleThresholdMs();
            out.add(new NodeInfo(v.node, stale ? NodeInfo.State.STALE : NodeInfo.State.LIVE, now - v.lastReportAt,
                    v.active.size(), v.pins.size(), v.complete, v.fullSinceRecovery));
        }
        return out;
    }

    /** Newest first. */
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
        return warmingUpNow();
    }

    /** The nodes that hold up the warm-up barrier: no FULL report to this coordinator yet. */
    public List<String> warmUpBlockers() {
        if (!warmingUpNow()) return List.of();
        List<String> out = new ArrayList<>();
        for (NodeView v : views.values()) if (!v.fullSinceRecovery || !v.complete) out.add(v.node);
        return out;
    }

    public boolean frozen() {
        return frozen;
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
        return new EnumMap<>(reportOutcomes);
    }

    public long reportedWhileDeleting() {
        return reportedWhileDeleting;
    }

    public boolean isNodeKnown(String node) {
        return views.containsKey(node);
    }

    public boolean isNodeRemoved(String node) {
        return removedNodes.containsKey(node);
    }

    /** Active operator pins, by blob. */
    public Map<BlobHash, List<Pin>> operatorPins() {
        Map<BlobHash, List<Pin>> out = new LinkedHashMap<>();
        operatorPins.forEach((b, pins) -> out.put(b.hash, List.copyOf(pins.values())));
        return out;
    }

    // =====================================================================================================
    // Snapshots
    // =====================================================================================================

    public LedgerSnapshot snapshot() {
        List<LedgerSnapshot.BlobRecord> records = new ArrayList<>(blobs.size());
        for (Blob b : blobs.values()) {
            records.add(new LedgerSnapshot.BlobRecord(b.hash, b.status, b.since, b.markedCycle, b.collectedAt,
                    b.deletionStartedAt, hashes(b.deps), List.copyOf(operatorPins.getOrDefault(b, Map.of()).values()), b.failedDeletions));
        }
        return new LedgerSnapshot(cycle, graceResetAt, frozen, totalCollected, totalCollectedBytes,
                totalFailedDeletions, records, List.copyOf(history));
    }

    public static Ledger fromSnapshot(LedgerSettings settings, LedgerSnapshot s) {
        Ledger l = new Ledger(settings);
        l.cycle = s.cycle();
        l.graceResetAt = s.graceResetAt();
        l.frozen = s.frozen();
        l.totalCollected = s.totalCollected();
        l.totalFailedDeletions = s.totalFailedDeletions();
        l.totalCollectedBytes = s.totalCollectedBytes();
        List<LedgerSnapshot.BlobRecord> collected = new ArrayList<>();
        for (LedgerSnapshot.BlobRecord r : s.blobs()) {
            Blob b = new Blob(r.hash());
            b.since = r.since();
            b.markedCycle = r.markedCycle();
            b.collectedAt = r.collectedAt();
            b.deletionStartedAt = r.deletionStartedAt();
            b.failedDeletions = r.failedDeletions();
            l.blobs.put(r.hash(), b);
            l.counts.merge(BlobStatus.ACTIVE, 1L, Long::sum);
            l.setStatus(b, r.status());
            if (!r.pins().isEmpty()) {
                Map<String, Pin> pins = new LinkedHashMap<>();
                for (Pin p : r.pins()) pins.put(p.owner(), p);
                l.operatorPins.put(b, pins);
            }
            if (r.status() == BlobStatus.COLLECTED) collected.add(r);
        }
        for (LedgerSnapshot.BlobRecord r : s.blobs()) {
            Blob b = l.blobs.get(r.hash());
            for (BlobHash d : r.dependencies()) {
                Blob dep = l.blobs.get(d);
                if (dep != null && b.addDependency(dep)) dep.addDependent(b);
            }
        }
        List<Blob> unreferencedBlobs = new ArrayList<>();
        for (Blob b : l.blobs.values()) if (b.status == BlobStatus.UNREFERENCED) unreferencedBlobs.add(b);
        unreferencedBlobs.sort((a, b) -> Long.compare(a.since, b.since));
        for (Blob b : unreferencedBlobs) l.graceQueue.addLast(new GraceEntry(b, b.since));
        collected.sort((a, b) -> Long.compare(a.collectedAt(), b.collectedAt()));
        for (LedgerSnapshot.BlobRecord r : collected) {
            l.collectedOrder.addLast(new Tombstone(l.blobs.get(r.hash()), r.collectedAt()));
        }
        l.history.addAll(s.history());
        return l;
    }

    private static List<BlobHash> hashes(Collection<Blob> bs) {
        List<BlobHash> out = new ArrayList<>(bs.size());
        for (Blob b : bs) out.add(b.hash);
        return out;
    }

    // =====================================================================================================
    // Internal state types
    // =====================================================================================================

    /** One known blob. Identity-hashed: the ledger's maps key blobs by hash, sets hold the objects. */
    private static final class Blob {
        final BlobHash hash;
        BlobStatus status = BlobStatus.ACTIVE;
        long since;
        long sinceTick;
        long markedCycle;
        long markTick;
        long collectedAt;
        long deletionStartedAt;
        int failedDeletions;
        int refs;
        int nodePins;
        List<Blob> deps = List.of();
        List<Blob> dependents = List.of();

        Blob(BlobHash hash) {
            this.hash = hash;
        }

        boolean held(Ledger l) {
            return refs > 0 || nodePins > 0 || l.operatorPins.containsKey(this);
        }

        boolean addDependency(Blob d) {
            if (deps.contains(d)) return false;
            if (deps.isEmpty()) deps = new ArrayList<>(2);
            deps.add(d);
            return true;
        }

        void removeDependency(Blob d) {
            if (!deps.isEmpty()) deps.remove(d);
        }

        void addDependent(Blob p) {
            if (dependents.isEmpty()) dependents = new ArrayList<>(2);
            dependents.add(p);
        }

        void removeDependent(Blob p) {
            if (!dependents.isEmpty()) dependents.remove(p);
        }
    }

    /** An UNREFERENCED blob in grace order; outdated once the blob changed status (or became unreferenced anew). */
    private record GraceEntry(Blob blob, long since) {
        boolean current() {
            return blob.status == BlobStatus.UNREFERENCED && blob.since == since;
        }
    }

    /** A COLLECTED blob in collection order; outdated once the blob was registered again or pruned. */
    private record Tombstone(Blob blob, long at) {
        boolean current() {
            return blob.status == BlobStatus.COLLECTED && blob.collectedAt == at;
        }
    }

    /** The coordinator's soft view of one node. */
    private static final class NodeView {
        final String node;
        long incarnation = Long.MIN_VALUE;
        long seq = -1;
        boolean complete;
        boolean fullSinceRecovery;
        boolean stale;
        long lastReportAt;
        long lastCompleteTick;
        final Set<Blob> active = new HashSet<>();
        final Set<Blob> pins = new HashSet<>();
        /** Acquired blobs not yet covered by a report, with the (incarnation, seq) they were acquired after. */
        final Map<Blob, long[]> sticky = new HashMap<>();
        PendingFull pending;

        NodeView(String node, long now) {
            this.node = node;
            this.lastReportAt = now;
        }
    }

    /** The chunks of one FULL report received so far. */
    private static final class PendingFull {
        final long incarnation;
        final long seq;
        final int chunks;
        final Set<Integer> received = new HashSet<>();
        final Set<BlobHash> active = new LinkedHashSet<>();
        final Set<BlobHash> pins = new LinkedHashSet<>();

        PendingFull(long incarnation, long seq, int chunks) {
            this.incarnation = incarnation;
            this.seq = seq;
            this.chunks = chunks;
        }

        boolean add(NodeReport r) {
            if (!received.add(r.chunk())) return false;
            active.addAll(r.activeAdded());
            pins.addAll(r.pinsAdded());
            return true;
        }

        boolean isComplete() {
            return received.size() == chunks;
        }
    }
}
