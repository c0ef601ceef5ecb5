package io.blobgc.ledger;

import io.blobgc.BlobHash;

import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.IntFunction;

/**
 * The soft half of the {@link Ledger}: the coordinator's view of each node, built from its reports and acquires and
 * rebuilt from FULL reports after a recovery (S5) — report ordering (S8), chunked FULL reports, acquires that a
 * report built before them cannot drop (S6), staleness and quorum (S4, S7), the warm-up barrier (S5) and the
 * confirmation ticks of the two-phase delete (S3).
 *
 * <p>Views are sets of blob ids. The views tell the registry only one thing, through {@link Registry}: a blob's
 * hold changed (a reference or a node pin was added or dropped). Nothing here writes the persistent half; the
 * registry reads the views only through the holds they report and the queries below.
 *
 * <p>A view is of a {@link ViewKind}: a VM node's, or another partition's exports ({@link #partitionUp}); the kind
 * decides membership, policy drop and quorum, nothing else. Any report may be provisional
 * ({@link NodeReport#settled} false, sent by a partition that warms up): applied add-only, it protects and keeps the
 * view live, but confirms nothing (partitions.md §1, "Settled vs provisional").
 */
final class NodeViews {

    /** What the views need of the registry. */
    interface Registry {
        /** The id of a known blob, or -1. */
        int find(BlobHash hash);

        /**
         * {@link #find} of each hash into {@code out} (same order): a report's hashes in one batch, so that an
         * implementation can overlap their lookups (issue 24: ingest waited on one cache miss after another).
         */
        default void findAll(List<BlobHash> hashes, int[] out) {
            for (int i = 0; i < hashes.size(); i++) out[i] = find(hashes.get(i));
        }

        BlobStatus status(int b);

        /** A view added ({@code +1}) or dropped ({@code -1}) a reference ({@code refs}) or a node pin ({@code pins}). */
        void holdChanged(int b, int refs, int pins);
    }

    private final LedgerSettings settings;
    private final Registry registry;
    private final IntFunction<IntSet> newSet;
    private final Map<String, NodeView> views = new TreeMap<>();
    private final Map<String, Long> removedNodes = new HashMap<>();
    /** The Up members that run a reporter, as membership tells; null: no membership (every reporting node counts). */
    private Set<String> members;
    /** Counts complete views: a view's tick says when it was last confirmed, relative to cycles and marks. */
    private long tick;
    private boolean warmingUp;
    /**
     * Whether a node's FULL counts as fenced by every partition once applied (partitions-part2-plan §8): so when the
     * driver applies every partition's share and runs the report fence in one step, as one JVM does
     * ({@link InstantPartitions#report}); and at P = 1, with no partition to wait for. A hosted ledger's driver says
     * when its walk is done instead ({@link #fullFenced}).
     */
    private boolean fenceAtApply = true;
    private final EnumMap<ReportOutcome, Long> reportOutcomes = new EnumMap<>(ReportOutcome.class);
    private long reportedWhileDeleting;
    private long reportedUnknown;
    /** {@link #ids}' answer, reused: a report's ids are used before the next list is looked up. */
    private int[] ids = new int[64];
    /** A DELTA's adds and removes of one view's set ({@link #applyHolds}), and which of them changed it; reused. */
    private int[] ops = new int[64];
    private boolean[] changed = new boolean[64];

    /** @param newSet makes a set of ids for a given expected size (the ledger's, so each set has its own seed) */
    NodeViews(LedgerSettings settings, Registry registry, IntFunction<IntSet> newSet) {
        this.settings = settings;
        this.registry = registry;
        this.newSet = newSet;
        for (ReportOutcome o : ReportOutcome.values()) reportOutcomes.put(o, 0L);
    }

    // ---- membership and warm-up

    /**
     * {@code reporter} is another partition, which reports its exports to this one: its view is a
     * {@link ViewKind#PARTITION} view from now on (made if there is none, turned if a report or acquire made a node
     * view under that id first). Registered before any of its reports or acquires; called again after a recovery (it
     * is soft state, like every view), before or after {@link #beginWarmUp}: the warm-up waits for its settled FULL.
     * Membership never removes it, so a removal of a member by that name made earlier no longer applies.
     */
    void partitionUp(String reporter, long now) {
        removedNodes.remove(reporter);
        views.computeIfAbsent(reporter, n -> new NodeView(n, now)).kind = ViewKind.PARTITION;
    }

    /** A member that runs a reporter is up: it must report before anything it might hold can be marked. */
    void memberUp(String node, long now) {
        if (removedNodes.containsKey(node)) return;
        if (members != null) members.add(node);
        views.computeIfAbsent(node, n -> new NodeView(n, now));
    }

    /** Membership removed the member (it left, or was downed): its references and pins are dropped (S4). */
    void memberRemoved(String node, long now) {
        NodeView p = views.get(node);
        if (p != null && !p.kind.followsMembership()) return; // a partition, whatever a member's name says
        if (members != null) members.remove(node);
        NodeView v = views.remove(node);
        if (v != null) clearView(v);
        removedNodes.put(node, now);
        removedNodes.values().removeIf(at -> at + settings.tombstoneTtlMs() < now);
    }

    /** See {@link Ledger#beginWarmUp}: every view must be rebuilt from a FULL report before anything is marked. */
    void beginWarmUp(Collection<String> upMembers, long now) {
        members = upMembers == null ? null : new TreeSet<>(upMembers);
        if (members != null) for (String m : members) memberUp(m, now);
        warmingUp = true;
        for (NodeView v : views.values()) {
            v.fullSinceRecovery = false;
            v.fullHeardSinceRecovery = false;
        }
    }

    /**
     * The settle round found the partitions' exports at a fixpoint (partitions.md §1, "settle round"): every partition
     * view that took a provisional FULL since the recovery holds all its sender will export, so it counts as rebuilt,
     * and the warm-up may end. It still confirms nothing until a settled report.
     */
    void partitionsSettled() {
        for (NodeView v : views.values()) {
            if (v.kind == ViewKind.PARTITION && v.complete) v.fullSinceRecovery = true;
        }
        if (warmingUp && !warmingUp()) warmingUp = false;
    }

    boolean warmingUp() {
        if (!warmingUp) return false;
        boolean anyMember = false;
        for (NodeView v : views.values()) {
            if (!isMember(v)) continue;
            if (v.kind == ViewKind.NODE) anyMember = true; // partition views alone do not end it: some node must
            if (!v.fullSinceRecovery || !v.complete) return true;
        }
        return !anyMember;
    }

    /**
     * The views that hold up the warm-up barrier: no FULL report to this coordinator yet (a settled one, from a
     * partition).
     */
    List<String> warmUpBlockers() {
        if (!warmingUp()) return List.of();
        List<String> out = new ArrayList<>();
        for (NodeView v : views.values()) {
            if (isMember(v) && (!v.fullSinceRecovery || !v.complete)) out.add(v.node);
        }
        return out;
    }

    /**
     * Whether only the other partitions' settling holds the warm-up (the settle round's {@code haveAllInputs},
     * partitions.md §1): every blocker left is a partition view, and every partition view is complete and took a
     * FULL, provisional or settled, since the recovery — so each holds at least what its sender exported once, and
     * a settled FULL from each is all that is missing. True when not warming up.
     */
    boolean onlyPartitionsHoldTheWarmUp() {
        if (!warmingUp()) return true;
        boolean anyMember = false;
        for (NodeView v : views.values()) {
            if (!isMember(v)) continue;
            if (v.kind == ViewKind.PARTITION) {
                if (!v.complete || !v.fullHeardSinceRecovery) return false;
            } else {
                anyMember = true;
                if (!v.fullSinceRecovery || !v.complete) return false;
            }
        }
        return anyMember; // no node at all: the warm-up would not end if the partitions settled (warmingUp)
    }

    /**
     * The (incarnation, seq) of the last report with content ({@link Exports#withContent}, or as its sender's content
     * stamp says: {@link #report(NodeReport, Map, Long, long)}) applied to {@code reporter}'s view: ({@code Long.MIN_VALUE}, 0) when none. The settle round compares it with what the
     * sender says it sent ({@link SettleStatus}); heartbeats do not move it, so it stays put between polls when
     * nothing changes.
     */
    long[] lastContentApplied(String reporter) {
        NodeView v = views.get(reporter);
        return v == null ? new long[]{Long.MIN_VALUE, 0} : new long[]{v.contentIncarnation, v.contentSeq};
    }

    // ---- the settle round's cut (partitions-part2-plan §10, tier 2)

    /**
     * The cut seq of the last report from {@code reporter} applied in the cut taken (its {@link Cut#seq}; 0: none, or
     * no such view): the settle round compares it with its sender's ({@link SettleStatus#cutApplied}).
     */
    long cutApplied(String reporter) {
        NodeView v = views.get(reporter);
        return v == null ? 0 : v.cutStamp;
    }

    /** {@code reporter}'s report of cut seq {@code seq} was applied in the cut taken: its view's cut mark. */
    void cutApplied(String reporter, long seq) {
        NodeView v = views.get(reporter);
        if (v != null) v.cutStamp = seq;
    }

    /** A cut was taken or ended: no view has applied anything of it yet. */
    void resetCutMarks() {
        for (NodeView v : views.values()) v.cutStamp = 0;
    }

    /** The ids {@code reporter}'s view holds (stickies included; no pins); empty when there is no such view. */
    int[] idsOf(String reporter) {
        NodeView v = views.get(reporter);
        return v == null ? new int[0] : v.active.toArray();
    }

    // ---- reports

    /** Applies one report to its node's view (S8: ordered by incarnation, then seq). */
    ReportOutcome report(NodeReport r, long now) {
        return report(r, null, now);
    }

    /**
     * {@link #report(NodeReport, long)}, of another partition's export carrying {@code fenced}, the FULLs its sender
     * had fenced when it built it, by node (partitions-part2-plan §8; null: none): kept as the partition view's map
     * when the report is applied and settled. A provisional report's map is ignored (its sender warms up).
     */
    ReportOutcome report(NodeReport r, Map<String, FencedFull> fenced, long now) {
        return report(r, fenced, null, now);
    }

    /**
     * {@link #report(NodeReport, Map, long)}, carrying {@code contentStamp}: the seq of the last report with content
     * its sender had sent to this partition when it sent this one ({@link Exports#contentStamp}; null, as from an
     * older sender or a node: none). Once applied, the view's mark of the last report with content applied
     * ({@link #lastContentApplied}) is the stamp, not this view's own judgement ({@link Exports#withContent}): only
     * the sender knows whether a provisional report adds anything new to what it listed since its last FULL, since
     * this view holds acquires' stickies in the same set (partitions-part2-plan §10, tier 1). Applied in order, the
     * report is preceded by every report up to the stamp, so the mark still names the last report with content
     * applied. A stamp that cannot be one (negative, or past the report's own seq) is ignored.
     */
    ReportOutcome report(NodeReport r, Map<String, FencedFull> fenced, Long contentStamp, long now) {
        ReportOutcome o = doReport(r, contentStamp == null || contentStamp < 0 || contentStamp > r.seq() ? null
                : contentStamp, now);
        reportOutcomes.merge(o, 1L, Long::sum);
        if (o == ReportOutcome.APPLIED && r.settled()) {
            NodeView v = views.get(r.node());
            if (v != null && v.kind == ViewKind.PARTITION) v.fencedBy = copyOf(fenced);
        }
        return o;
    }

    /** {@code fenced} without null keys or values (CBOR can carry them), or empty. */
    private static Map<String, FencedFull> copyOf(Map<String, FencedFull> fenced) {
        Map<String, FencedFull> out = new HashMap<>();
        if (fenced != null) fenced.forEach((n, f) -> {
            if (n != null && f != null) out.put(n, f);
        });
        return out;
    }

    private ReportOutcome doReport(NodeReport r, Long contentStamp, long now) {
        // never a partition's: partitionUp and memberRemoved keep partition ids out of removedNodes
        if (removedNodes.containsKey(r.node())) return ReportOutcome.FROM_REMOVED_NODE;
        if (r.chunks() < 1 || r.chunk() < 0 || r.chunk() >= r.chunks()) return ReportOutcome.MALFORMED;
        NodeView v = views.computeIfAbsent(r.node(), n -> new NodeView(n, now));
        if (!v.kind.mayPin() && (!r.pinsAdded().isEmpty() || !r.pinsRemoved().isEmpty())) return ReportOutcome.MALFORMED;
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
            // each list's hashes are looked up in one batch; a view's adds and removes are applied in one batch too
            // (IntSet.update), then the holds are told in the same order: a hold changes no id, status nor view.
            // A provisional DELTA only adds: its removals are skipped (its sender may not know all it protects yet)
            boolean removes = r.settled();
            int n = 0;
            int[] found = ids(r.activeAdded());
            int[] ops = ops(r.activeAdded().size() + r.activeRemoved().size());
            for (int i = 0, k = r.activeAdded().size(); i < k; i++) {
                if (reportedId(found[i]) >= 0) ops[n++] = found[i];
            }
            found = ids(r.activeRemoved());
            for (int i = 0, k = removes ? r.activeRemoved().size() : 0; i < k; i++) {
                if (found[i] >= 0 && !acquiredAfter(v, found[i], r.incarnation(), r.seq())) ops[n++] = ~found[i];
            }
            applyHolds(v.active, n, true);
            n = 0;
            found = ids(r.pinsAdded());
            ops = ops(r.pinsAdded().size() + r.pinsRemoved().size());
            for (int i = 0, k = r.pinsAdded().size(); i < k; i++) {
                if (reportedId(found[i]) >= 0) ops[n++] = found[i];
            }
            found = ids(r.pinsRemoved());
            for (int i = 0, k = removes ? r.pinsRemoved().size() : 0; i < k; i++) {
                if (found[i] >= 0) ops[n++] = ~found[i];
            }
            applyHolds(v.pins, n, false);
            v.seq = r.seq();
            if (contentStamp != null) { // the sender's judgement: see report(NodeReport, Map, Long, long)
                v.contentIncarnation = r.incarnation();
                v.contentSeq = contentStamp;
            } else if (Exports.withContent(r)) {
                v.contentIncarnation = r.incarnation();
                v.contentSeq = r.seq();
            }
            if (r.settled()) {
                coverAcquires(v, r.incarnation(), r.seq());
                confirmed(v, now);
            } else {
                heardProvisionally(v, now);
            }
            return ReportOutcome.APPLIED;
        }
        // FULL, possibly in chunks
        if (!newIncarnation && r.seq() <= v.seq) return ReportOutcome.DUPLICATE_OR_OLD;
        v.lastReportAt = now;
        v.stale = false;
        if (v.pending == null || v.pending.incarnation != r.incarnation() || v.pending.seq != r.seq()
                || v.pending.chunks != r.chunks() || v.pending.settled != r.settled()) {
            v.pending = new PendingFull(r.incarnation(), r.seq(), r.chunks(), r.settled());
        }
        if (!v.pending.add(r)) return ReportOutcome.DUPLICATE_OR_OLD;
        if (!v.pending.isComplete()) return ReportOutcome.CHUNK_BUFFERED;
        PendingFull full = v.pending;
        v.pending = null;
        if (full.settled) {
            replaceView(v, full);
        } else {
            addToView(v, full);
        }
        v.incarnation = full.incarnation;
        v.seq = full.seq;
        v.contentIncarnation = full.incarnation; // a FULL has content, whoever judges: its stamp is its own seq
        v.contentSeq = full.seq;
        v.fullHeardSinceRecovery = true;
        v.lastFull = new FencedFull(full.incarnation, full.seq);
        if (fenceAtApply) {
            v.fencedFull = v.lastFull;
            v.fencedEverywhere = v.lastFull;
        }
        if (full.settled) {
            v.fullSinceRecovery = true;
            confirmed(v, now);
        } else {
            heardProvisionally(v, now);
        }
        return ReportOutcome.APPLIED;
    }

    /** {@link #ops} with room for {@code n} (its old contents are not kept). */
    private int[] ops(int n) {
        if (ops.length < n) {
            ops = new int[Math.max(n, ops.length * 2)];
            changed = new boolean[ops.length];
        }
        return ops;
    }

    /**
     * Applies {@code ops[0..n)} to a view's set ({@link IntSet#update}: an id adds it, {@code ~id} removes it), then
     * tells the registry of each change in the same order: what {@link #addRef}/{@link #removeRef} (refs) or
     * {@link #addNodePin}/{@link #removeNodePin} would have done one after another.
     */
    private void applyHolds(IntSet set, int n, boolean refs) {
        if (n == 0) return;
        set.update(ops, n, changed);
        for (int i = 0; i < n; i++) {
            if (!changed[i]) continue;
            int op = ops[i], d = op >= 0 ? 1 : -1;
            registry.holdChanged(op >= 0 ? op : ~op, refs ? d : 0, refs ? 0 : d);
        }
    }

    /**
     * The ids of {@code hashes} ({@link Registry#find}, -1 for an unknown one), looked up in one batch. The array is
     * reused: its first {@code hashes.size()} entries hold until the next call.
     */
    private int[] ids(List<BlobHash> hashes) {
        if (ids.length < hashes.size()) ids = new int[Math.max(hashes.size(), ids.length * 2)];
        registry.findAll(hashes, ids);
        return ids;
    }

    /**
     * The id a node reports, {@code b} as found for its hash, or -1 when the view cannot hold it: a report never
     * registers a blob nor revives a COLLECTED one (its content is gone; only a persisted registration, an upload,
     * makes it known again). A node lists hashes it asked for and may have been refused (GONE); those are not held.
     * Counted.
     */
    private int reportedId(int b) {
        if (b < 0 || registry.status(b) == BlobStatus.COLLECTED) {
            reportedUnknown++;
            return -1;
        }
        if (registry.status(b) == BlobStatus.DELETING) reportedWhileDeleting++;
        return b;
    }

    /**
     * A report was applied: the view is live and contiguous (the next DELTA follows it). A provisional report stops
     * here: it confirms nothing ({@link #lastCompleteTick} stays) and ends no warm-up.
     */
    private void heard(NodeView v, long now) {
        v.dropped = false;
        v.complete = true;
        v.lastReportAt = now;
        v.stale = false;
    }

    /**
     * A provisional report was applied. After a gap (the view was not complete: a report was lost) it also forgets the
     * view's last confirmation and its settled FULL since the recovery: what the lost report said is unknown until a
     * settled FULL, so until then the view confirms nothing and holds the warm-up (review of partition step 2: a
     * provisional FULL after a gap brought back the confirmation from before it).
     */
    private void heardProvisionally(NodeView v, long now) {
        if (!v.complete) {
            v.lastCompleteTick = -1;
            v.fullSinceRecovery = false;
        }
        heard(v, now);
    }

    /** A settled report was applied: the view confirms absence as of now (S3), and may end the warm-up (S5). */
    private void confirmed(NodeView v, long now) {
        heard(v, now);
        v.lastCompleteTick = ++tick;
        if (warmingUp && !warmingUp()) warmingUp = false;
    }

    private void replaceView(NodeView v, PendingFull full) {
        coverAcquires(v, full.incarnation, full.seq);
        IntSet active = reportedSet(full.active);
        IntSet pins = reportedSet(full.pins);
        for (int b : v.active.toArray()) if (!active.contains(b) && !v.sticky.containsKey(b)) removeRef(v, b);
        active.forEach(b -> addRef(v, b));
        for (int b : v.pins.toArray()) if (!pins.contains(b)) removeNodePin(v, b);
        pins.forEach(b -> addNodePin(v, b));
    }

    /**
     * A provisional FULL: added to the view, nothing removed (its sender, warming up, may under-report: partitions.md
     * §6, risk 3). Its stickies stay too, until a settled report covers them.
     */
    private void addToView(NodeView v, PendingFull full) {
        reportedSet(full.active).forEach(b -> addRef(v, b));
        reportedSet(full.pins).forEach(b -> addNodePin(v, b));
    }

    /** The ids of the hashes a FULL lists that a view can hold ({@link #reportedId}). */
    private IntSet reportedSet(Set<BlobHash> hashes) {
        IntSet out = newSet.apply(hashes.size());
        int[] found = ids(new ArrayList<>(hashes));
        for (int i = 0, n = hashes.size(); i < n; i++) {
            if (reportedId(found[i]) >= 0) out.add(found[i]);
        }
        return out;
    }

    // ---- acquires (S6)

    /**
     * Records {@code node}'s acquire of {@code b}, a known blob with nothing gone in its closure (the registry
     * checked): see {@link Ledger#acquire}.
     */
    AcquireOutcome acquire(String node, long incarnation, long afterSeq, int b, long now) {
        NodeView v = views.computeIfAbsent(node, n -> new NodeView(n, now));
        if (incarnation < v.incarnation || (incarnation == v.incarnation && afterSeq < v.seq)) {
            // the view already took a report built after this ask: while an ask waits, its reporter lists the blob in
            // every report, so that report holds it — or the reporter gave up on the ask (or this is a duplicate,
            // delivered after the release): recording it now would hold the blob for ever
            return v.active.contains(b) ? AcquireOutcome.ACQUIRED : AcquireOutcome.STALE;
        }
        addRef(v, b);
        // a sticky keeps the latest (incarnation, afterSeq) it was recorded with (partitions.md §2): a duplicate or
        // late ask with an older one must not lower it, or a report built between the two asks — before the later
        // one — could drop the blob. For a node this changes nothing but that case: its asks of one blob come in
        // (incarnation, seq) order, each later than the last, so the max is the latest, as put gave; an older one
        // can only be a duplicate or a delayed ask, which put let lower the sticky (more protection, never less)
        v.sticky.merge(b, new long[]{incarnation, afterSeq}, (kept, asked) -> later(kept, asked) ? kept : asked);
        return AcquireOutcome.ACQUIRED;
    }

    /** Whether (incarnation, seq) {@code a} is after, or the same as, {@code b}. */
    private static boolean later(long[] a, long[] b) {
        return a[0] > b[0] || (a[0] == b[0] && a[1] >= b[1]);
    }

    /** Whether {@code b} was acquired after the report (incarnation, seq) was built: that report cannot drop it. */
    private static boolean acquiredAfter(NodeView v, int b, long incarnation, long seq) {
        if (v.sticky.isEmpty()) return false;
        long[] at = v.sticky.get(b);
        return at != null && (incarnation < at[0] || (incarnation == at[0] && seq <= at[1]));
    }

    /** Drops the sticky acquires that a report built after them covers. */
    private static void coverAcquires(NodeView v, long incarnation, long seq) {
        if (v.sticky.isEmpty()) return;
        v.sticky.values().removeIf(at -> incarnation > at[0] || (incarnation == at[0] && seq > at[1]));
    }

    // ---- holds, told to the registry

    private void addRef(NodeView v, int b) {
        if (v.active.add(b)) registry.holdChanged(b, 1, 0);
    }

    private void removeRef(NodeView v, int b) {
        if (v.active.remove(b)) registry.holdChanged(b, -1, 0);
    }

    private void addNodePin(NodeView v, int b) {
        if (v.pins.add(b)) registry.holdChanged(b, 0, 1);
    }

    private void removeNodePin(NodeView v, int b) {
        if (v.pins.remove(b)) registry.holdChanged(b, 0, -1);
    }

    private void clearView(NodeView v) {
        for (int b : v.active.toArray()) removeRef(v, b);
        for (int b : v.pins.toArray()) removeNodePin(v, b);
        v.complete = false;
        v.pending = null;
        v.sticky.clear();
    }

    // ---- staleness, quorum, confirmation

    /** Marks each view stale or live at {@code now} (local clock) and applies the stale-node policy; the stale ones. */
    List<String> updateStaleness(long now) {
        List<String> stale = new ArrayList<>();
        for (NodeView v : views.values()) {
            v.stale = now - v.lastReportAt >= settings.staleThresholdMs();
            if (v.stale) stale.add(v.node);
        }
        // a stale view of a node that membership does not list is a removal we did not see (it was removed before
        // this coordinator subscribed, and its late report made the view): nothing will ever drop it otherwise
        views.values().removeIf(v -> {
            if (!v.stale || isMember(v)) return false;
            clearView(v);
            return true;
        });
        // policy drop (the original's behaviour) drops a stale member's references — but never below quorum (S7)
        // — and never a partition's view: a stale partition keeps protecting (partitions.md §6, risk 5)
        if (settings.staleNodePolicy() == StaleNodePolicy.DROP && liveNodes() >= settings.minNodesReporting()) {
            for (NodeView v : views.values()) if (v.stale && !v.dropped && v.kind.droppableWhenStale()) {
                clearView(v);
                v.dropped = true;
            }
        }
        return stale;
    }

    /** Membership lists the view's node as Up (always true without membership, and for a partition's view). */
    private boolean isMember(NodeView v) {
        return !v.kind.followsMembership() || members == null || members.contains(v.node);
    }

    /** Live: a member whose view is not stale. Only members' node views count towards quorum (S7). */
    int liveNodes() {
        return liveNodeNames().size();
    }

    /** The live VM nodes (never a partition's view: S7 is about nodes). */
    List<String> liveNodeNames() {
        List<String> out = new ArrayList<>();
        for (NodeView v : views.values()) {
            if (!v.stale && v.kind.countsForQuorum() && isMember(v)) out.add(v.node);
        }
        return out;
    }

    /**
     * The oldest complete view among live views, partitions' included (S3: a live partition must confirm too): a
     * blob is confirmed absent by all once this is after it. Only a settled report advances a view's tick. A live
     * node's view counts as not confirmed (-1) until its last FULL is fenced by every live partition
     * ({@link #fencedByAll}).
     */
    long minConfirmTick() {
        long min = Long.MAX_VALUE;
        for (NodeView v : views.values()) {
            if (v.stale) continue;
            min = Math.min(min, v.complete && fencedByAll(v) ? v.lastCompleteTick : -1);
        }
        return min == Long.MAX_VALUE ? -1 : min;
    }

    /**
     * The report-fence cut (partitions-part2-plan §8, "The closure"): whether node view {@code v}'s last FULL is
     * fenced by every live partition — the map of each live partition view's last settled export names that FULL or a
     * later one. A hold that arrives by report alone (a node back from policy drop, after a recovery) reaches each
     * partition with that node's FULL, and the partition records its remote closure in the callees' owners by its
     * report fence; until the map of each partition says that fence is done, a share here that lists nothing (or an
     * export built before the hold) could confirm a callee absent that the node uses. Stale partition views are left
     * out (S4: their last view keeps protecting); provisional maps are not kept. Open when no partition is viewed
     * (P = 1, an isolated partition), for a view of a partition, and when the FULL was fenced everywhere at once
     * ({@link #fencedEverywhere}).
     */
    private boolean fencedByAll(NodeView v) {
        if (v.kind != ViewKind.NODE || v.lastFull == null) return true;
        if (v.fencedEverywhere != null && v.fencedEverywhere.covers(v.lastFull.incarnation(), v.lastFull.seq())) {
            return true;
        }
        for (NodeView p : views.values()) {
            if (p.kind != ViewKind.PARTITION || p.stale) continue;
            FencedFull f = p.fencedBy == null ? null : p.fencedBy.get(v.node);
            if (f == null || !f.covers(v.lastFull.incarnation(), v.lastFull.seq())) return false;
        }
        return true;
    }

    /**
     * The live node views whose last FULL some live partition has not fenced yet, each as
     * "n: FULL s not fenced by partition:A" (the first such partition): what holds their confirmation back.
     */
    List<String> unfencedFulls() {
        List<String> out = new ArrayList<>();
        for (NodeView v : views.values()) {
            if (v.stale || fencedByAll(v)) continue;
            for (NodeView p : views.values()) {
                if (p.kind != ViewKind.PARTITION || p.stale) continue;
                FencedFull f = p.fencedBy == null ? null : p.fencedBy.get(v.node);
                if (f == null || !f.covers(v.lastFull.incarnation(), v.lastFull.seq())) {
                    out.add(v.node + ": FULL " + v.lastFull.seq() + " not fenced by " + p.node);
                    break;
                }
            }
        }
        return out;
    }

    /** See {@link #fenceAtApply}: false for a hosted ledger, whose driver calls {@link #fullFenced}. */
    void fenceAtApply(boolean atApply) {
        fenceAtApply = atApply;
    }

    /**
     * The report fence of {@code node}'s FULL (incarnation, seq) is done here: its walk ended (gone answers included).
     * Kept if this view applied that FULL (or a later one) and it is later than the one kept; the exports carry it
     * from now on ({@link #fencedFulls}).
     */
    void fullFenced(String node, long incarnation, long seq) {
        NodeView v = fencedView(node, incarnation, seq);
        if (v != null && (v.fencedFull == null || !v.fencedFull.covers(incarnation, seq))) {
            v.fencedFull = new FencedFull(incarnation, seq);
        }
    }

    /**
     * {@code node}'s FULL (incarnation, seq) is fenced by every partition already: a driver that applied every
     * partition's share and ran the walk over all of them in one step ({@link InstantPartitions#report}) says so to
     * each, so no partition waits for another's export to carry it.
     */
    void fencedEverywhere(String node, long incarnation, long seq) {
        NodeView v = fencedView(node, incarnation, seq);
        if (v == null) return;
        if (v.fencedFull == null || !v.fencedFull.covers(incarnation, seq)) v.fencedFull = new FencedFull(incarnation, seq);
        if (v.fencedEverywhere == null || !v.fencedEverywhere.covers(incarnation, seq)) {
            v.fencedEverywhere = new FencedFull(incarnation, seq);
        }
    }

    /** {@code node}'s view when it is a node's and applied the FULL (incarnation, seq) or a later one; else null. */
    private NodeView fencedView(String node, long incarnation, long seq) {
        NodeView v = views.get(node);
        if (v == null || v.kind != ViewKind.NODE || v.lastFull == null || !v.lastFull.covers(incarnation, seq)) return null;
        return v;
    }

    /** The latest fenced FULL of each node view that has one, by node: what an export carries. */
    Map<String, FencedFull> fencedFulls() {
        Map<String, FencedFull> out = new TreeMap<>();
        for (NodeView v : views.values()) if (v.kind == ViewKind.NODE && v.fencedFull != null) out.put(v.node, v.fencedFull);
        return out;
    }

    /** The tick of the latest complete view. */
    long tick() {
        return tick;
    }

    // ---- queries

    boolean isRemoved(String node) {
        return removedNodes.containsKey(node);
    }

    /** The nodes whose views reference {@code b}, and those that pin it. */
    void holders(int b, List<String> referencing, List<String> pinning) {
        for (NodeView v : views.values()) {
            if (v.active.contains(b)) referencing.add(v.node);
            if (v.pins.contains(b)) pinning.add(v.node);
        }
    }

    List<NodeInfo> nodes(long now) {
        List<NodeInfo> out = new ArrayList<>();
        for (NodeView v : views.values()) {
            boolean stale = now - v.lastReportAt >= settings.staleThresholdMs();
            out.add(new NodeInfo(v.node, stale ? NodeInfo.State.STALE : NodeInfo.State.LIVE, now - v.lastReportAt,
                    v.active.size(), v.pins.size(), v.complete, v.fullSinceRecovery));
        }
        return out;
    }

    Map<ReportOutcome, Long> reportOutcomes() {
        return new EnumMap<>(reportOutcomes);
    }

    long reportedWhileDeleting() {
        return reportedWhileDeleting;
    }

    long reportedUnknown() {
        return reportedUnknown;
    }

    List<String> members() {
        return members == null ? List.of() : List.copyOf(members);
    }

    // ---- state types

    /** The coordinator's soft view of one node: sets of blob ids. */
    private static final class NodeView {
        final String node;
        ViewKind kind = ViewKind.NODE;
        long incarnation = Long.MIN_VALUE;
        long seq = -1;
        boolean complete;
        boolean fullSinceRecovery;
        /** A FULL, provisional or settled, was applied since the recovery ({@link #onlyPartitionsHoldTheWarmUp}). */
        boolean fullHeardSinceRecovery;
        /** The (incarnation, seq) of the last report with content applied ({@link #lastContentApplied}). */
        long contentIncarnation = Long.MIN_VALUE;
        long contentSeq;
        /** The cut seq of the last report applied in the cut taken ({@link #cutApplied}); 0: none. */
        long cutStamp;
        boolean stale;
        /** Policy drop cleared this stale view; a report makes it live again. */
        boolean dropped;
        long lastReportAt;
        /** The tick of the last settled report applied; -1: none (a view made complete by provisional ones only). */
        long lastCompleteTick = -1;
        final IntSet active;
        final IntSet pins;
        /** Acquired blobs not yet covered by a report, with the (incarnation, seq) they were acquired after. */
        final Map<Integer, long[]> sticky = new HashMap<>();
        PendingFull pending;
        /** A node's: the last FULL applied (all its chunks in); null: none. */
        FencedFull lastFull;
        /** A node's: the latest FULL applied here whose report fence is done ({@link #fullFenced}); null: none. */
        FencedFull fencedFull;
        /** A node's: the latest FULL fenced by every partition at once ({@link #fencedEverywhere}); null: none. */
        FencedFull fencedEverywhere;
        /** A partition's: the fenced FULLs its last settled export carried, by node; null: none yet. */
        Map<String, FencedFull> fencedBy;

        NodeView(String node, long now) {
            this.node = node;
            this.lastReportAt = now;
            this.active = new IntSet(8, IntSet.seed(2 * node.hashCode()));
            this.pins = new IntSet(8, IntSet.seed(2 * node.hashCode() + 1));
        }
    }

    /** The chunks of one FULL report received so far. */
    private static final class PendingFull {
        final long incarnation;
        final long seq;
        final int chunks;
        final boolean settled;
        final Set<Integer> received = new java.util.HashSet<>();
        final Set<BlobHash> active = new LinkedHashSet<>();
        final Set<BlobHash> pins = new LinkedHashSet<>();

        PendingFull(long incarnation, long seq, int chunks, boolean settled) {
            this.incarnation = incarnation;
            this.seq = seq;
            this.chunks = chunks;
            this.settled = settled;
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
