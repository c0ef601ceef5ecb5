package io.blobgc.ledger;

import io.blobgc.BlobHash;

import java.util.ArrayList;
import java.util.Collection;
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
 * <p>The state has two halves. The <b>persistent</b> half, the {@link Registry} (statuses, operator pins,
 * dependencies, cycle counter, history), changes only through the {@code apply…} methods, which the coordinator calls
 * from its event handler, so the same events rebuild the same state on recovery. The <b>soft</b> half — the node
 * views ({@link NodeViews}) and the reference counts derived from them ({@link Holds}) — changes through
 * {@link #report}, {@link #acquire} and membership, and is rebuilt from FULL reports after a recovery (S5); the views
 * tell the registry only that a blob's hold changed. Decisions ({@link #planCycle} and {@link #planDeletion} in the
 * {@link CyclePlanner}, the {@code check…} methods) read both halves and change neither persistent state nor anything
 * a replay needs.
 *
 * <p>The work is incremental: reference counts follow the deltas, and a cycle visits only {@link Candidates} — blobs
 * whose hold changed since the last cycle (and their dependency closures), and unreferenced ones whose grace is over.
 * The state is compact: blobs live in a {@link BlobTable} of primitive arrays by id, views are sets of ids, and only
 * rare facts (dependencies in the {@link DependencyGraph}, pins, failures) live in maps.
 */
public final class Ledger {

    private final LedgerSettings settings;
    /** How many sets this ledger made: each gets its own seed (see {@link IntSet}). */
    private int setsMade;
    /** What the next cycle looks at (created first: its sets' seeds come before the graph's). */
    private final Candidates candidates;
    private final Registry registry;
    private final BlobTable table;
    private final Holds holds;
    private final NodeViews views;
    private final CyclePlanner planner;
    private final CrossPartitionFence fence;
    private final Admission admission;
    private final Partitioning partitioning;
    private final int self;
    /** What this partition exports to the others (soft; nothing at P = 1). */
    private final Exports exports;
    /**
     * Whether this instance may send exports and frontiers ({@link #exports}, {@link #frontier}): its (incarnation,
     * seq)s must be its own. Not for a ledger restored from a snapshot, nor after a takeover replayed from the journal
     * (a predecessor's generation: its seqs restart from 1, and the targets drop them as old or apply them to a
     * baseline they never had), until this instance began its warm-up ({@link #beginWarmUp}: until then its views are
     * empty, and a settled FULL of them would empty the targets' views) and wrote its own takeover after it.
     */
    private boolean mayExport = true;
    private boolean warmUpBegun;

    public Ledger(LedgerSettings settings) {
        this(settings, 1024);
    }

    /** @param expectedBlobs a size hint: the tables start this large */
    public Ledger(LedgerSettings settings, int expectedBlobs) {
        this(settings, expectedBlobs, Partitioning.of(1), 0);
    }

    /**
     * The ledger of partition {@code self} of {@code partitioning} (partitions.md): it registers only the hashes that
     * partition owns, keeps dependencies on other partitions' hashes as remote edges, exports their callees to their
     * owners ({@link #exports}) and protects its own blobs for the others ({@link #protect}). P = 1, partition 0: the
     * single ledger of every other constructor.
     *
     * @param expectedBlobs a size hint: the tables start this large
     */
    public Ledger(LedgerSettings settings, int expectedBlobs, Partitioning partitioning, int self) {
        this.settings = settings;
        this.partitioning = partitioning;
        this.self = self;
        this.candidates = new Candidates(this::newSet, this::callees);
        this.table = new BlobTable(expectedBlobs);
        DependencyGraph graph = new DependencyGraph(table, this::newSet);
        RemoteEdges remote = new RemoteEdges();
        this.exports = new Exports(partitioning, self, remote, this::callees,
                this::isProtected, this::newSet);
        this.holds = new Holds(table, graph, candidates, exports, this::operatorPinned, this::newSet);
        this.registry = new Registry(settings, table, graph, remote, partitioning, self, holds);
        this.views = new NodeViews(settings, holds, this::newSet);
        this.planner = new CyclePlanner(settings, registry, views, candidates, holds, this::newSet);
        this.fence = new CrossPartitionFence(registry, views, exports);
        this.admission = new Admission(registry);
    }

    private int[] callees(int b) {
        return registry.graph.callees(b);
    }

    /** {@link Holds#isProtected(int, IntSet, IntSet)}: for the exports, made before the holds. */
    private boolean isProtected(int b, IntSet yes, IntSet no) {
        return holds.isProtected(b, yes, no);
    }

    private boolean operatorPinned(int b) {
        return registry.operatorPins.containsKey(b);
    }

    /** A set with a seed of its own: ids taken from one set's iteration do not cluster in another. */
    private IntSet newSet(int expected) {
        return new IntSet(expected, IntSet.seed(++setsMade));
    }

    public LedgerSettings settings() {
        return settings;
    }

    /** How the hashes are split into partitions (P = 1 unless constructed with more). */
    public Partitioning partitioning() {
        return partitioning;
    }

    /** The partition whose blobs this ledger holds (0 at P = 1). */
    public int partition() {
        return self;
    }

    // ==== Persistent half: applied from events

    /**
     * Registers blobs and their dependencies. Unknown hashes become ACTIVE; a COLLECTED, UNREFERENCED or MARKED
     * one becomes ACTIVE anew with a fresh grace (its content was uploaded again). Dependencies that are not
     * known yet are registered too. Callers leave out what {@link #checkRegister} rejects. At P &gt; 1 only this
     * partition's hashes are registered: a registration of another partition's hash is skipped, and a dependency on
     * one is a remote edge (partitions.md §1), exported while its caller is protected.
     */
    public void applyRegistered(Collection<Registration> registrations) {
        registry.applyRegistered(registrations);
    }

    public void applyPinned(BlobHash hash, Pin pin) {
        registry.applyPinned(hash, pin);
    }

    public void applyUnpinned(BlobHash hash, String owner) {
        registry.applyUnpinned(hash, owner);
    }

    public void applyCycle(CycleOutcome o) {
        CyclePlan plan = planner.applying(o); // live: the outcome just planned
        // the plan looked at these; what changes from here on (an expired pin below) waits for the next cycle
        if (!o.frozen() && !o.warmingUp()) {
            if (plan != null) candidates.cycleApplied(plan.dirtyLookedAt());
            else candidates.clear(); // a replay: the candidates are rebuilt with the views after the recovery
        }
        registry.applyCycle(o, plan);
    }

    /**
     * A node started to use these blobs (an acquire): one that was UNREFERENCED or MARKED is ACTIVE again (PINNED
     * with an operator pin), so its grace starts afresh from the next cycle that sees it unused — also on a
     * coordinator that recovers before that cycle (the use is in the journal, not only in soft state).
     */
    public void applyUsed(Collection<BlobHash> hashes) {
        registry.applyUsed(hashes);
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
        return registry.waitingOutGrace(ids);
    }

    /** The sweeper was handed these blobs: fenced, no acquire succeeds from now on (S6). */
    public void applyDeletionStarted(Collection<BlobHash> hashes, long at) {
        registry.applyDeletionStarted(hashes, at);
    }

    /** The sweeper deleted these blobs, freeing {@code bytes} in the store. */
    public void applyCollected(Collection<BlobHash> hashes, long at, long bytes) {
        registry.applyCollected(hashes, at, bytes);
    }

    public void applyCollected(Collection<BlobHash> hashes, long at) {
        registry.applyCollected(hashes, at, 0);
    }

    /** How many failed deletions of {@code hash} were journaled. */
    public int failedDeletions(BlobHash hash) {
        int b = table.find(hash);
        return b < 0 ? 0 : registry.failedDeletions(b);
    }

    public void applyDeletionFailed(BlobHash hash) {
        registry.applyDeletionFailed(hash);
    }

    // ---- store reconciliation: orphans (content the registry does not account for)

    /** Whether content found in the store under {@code hash} is an orphan: see {@link Admission#isOrphan}. */
    public boolean isOrphan(BlobHash hash) {
        return admission.isOrphan(hash);
    }

    /** Orphans condemned for deletion (registrations of them refused meanwhile); the walk resumes after {@code upTo}. */
    public void applyOrphansCondemned(Collection<BlobHash> hashes, BlobHash upTo) {
        registry.orphans.applyCondemned(hashes, upTo);
    }

    /** Up to {@code max} condemned orphans, for the sweeper (their deletion is confirmed like a blob's). */
    public List<BlobHash> condemnedOrphans(int max) {
        return registry.orphans.condemned(max);
    }

    public boolean isCondemnedOrphan(BlobHash hash) {
        return registry.orphans.isCondemned(hash);
    }

    /** Where the store reconciliation's walk resumes after a recovery: after this hash (null: from the first). */
    public BlobHash orphanScanResumesAfter() {
        return registry.orphans.scannedUpTo();
    }

    public long orphansCondemned() {
        return registry.orphans.totalCondemned();
    }

    public long orphansDeleted() {
        return registry.orphans.totalDeleted();
    }

    // ---- S10: what earlier coordinator instances may still be deleting

    /**
     * Coordinator {@code instance} wrote its takeover: a new generation begins; its sweeper stops each batch
     * {@code batchDeadlineMs} after the batch's write (0: unknown, an event from before it was written).
     */
    public void applyTookOver(String instance, long batchDeadlineMs) {
        registry.predecessors.applyTookOver(instance, batchDeadlineMs);
        mayExport = warmUpBegun; // this instance's own takeover, or one replayed from the journal (see mayExport)
    }

    /**
     * The driver applied its own takeover and then began the warm-up ({@link #beginWarmUp}), the other order than
     * {@link #mayExport} expects: the last takeover applied was its own, so it may export from now on.
     */
    public void tookOverFirst() {
        if (!warmUpBegun) throw new IllegalStateException("partition " + self + ": tookOverFirst before beginWarmUp");
        mayExport = true;
    }

    /** The longest batch deadline of the coordinator instances not known to be done (0: none known). */
    public long longestLiveBatchDeadlineMs() {
        return registry.predecessors.longestLiveDeadlineMs();
    }

    /** The generation of the instance writing now: how many takeovers were written. */
    public int generation() {
        return registry.predecessors.generation();
    }

    // ---- the number of partitions the journal was written with (partitions.md, step 1)

    /**
     * A takeover recorded the number of partitions its instance ran with (0: it recorded none, an event from before
     * they were recorded). The first one recorded is kept: the number is fixed for the life of a journal.
     */
    public void applyPartitions(int partitions) {
        if (partitions > 0 && registry.partitions == 0) registry.partitions = partitions;
    }

    /** The number of partitions the journal was written with; 0 when no takeover recorded one (a journal of one). */
    public int recordedPartitions() {
        return registry.partitions;
    }

    /**
     * A takeover recorded how its instance hosts the partitions and which one it is (null: it recorded none; the
     * coordinator hosting them, and not a partition entity). The first one recorded is kept, as the number is.
     */
    public void applyHosting(String hosting, Integer partition) {
        if (hosting != null && registry.hosting == null) registry.hosting = hosting;
        if (partition != null && registry.partition == null) registry.partition = partition;
    }

    /** The hosting the journal was written with; null when no takeover recorded one (coordinator hosting). */
    public String recordedHosting() {
        return registry.hosting;
    }

    /** The partition whose entity wrote the journal; null when no takeover recorded one (not an entity's journal). */
    public Integer recordedPartition() {
        return registry.partition;
    }

    /** Coordinator {@code instance} wrote that its window is over: no instance before it deletes any more. */
    public void applyPredecessorsDone(String instance) {
        registry.predecessors.applyPredecessorsDone(instance);
    }

    /**
     * Hashes whose deletion a later generation confirmed for the one that handed them out, which may still hold them
     * in a batch: together with what is DELETING and condemned now, what a new instance refuses new content for.
     */
    public Set<BlobHash> deletedForPredecessors() {
        return Set.copyOf(registry.predecessors.deletedForPredecessors());
    }

    // ==== Decisions

    /** The hashes among {@code candidates} that a registration cannot take now: they are being deleted. */
    public List<BlobHash> checkRegister(Collection<BlobHash> candidates) {
        return admission.checkRegister(candidates);
    }

    /** Why an operator pin on {@code hash} cannot be taken, or empty when it can. */
    public Optional<Refusal> checkPin(BlobHash hash) {
        return admission.checkPin(hash);
    }

    /** Why {@code owner}'s pin on {@code hash} cannot be removed, or empty when it can. */
    public Optional<Refusal> checkUnpin(BlobHash hash, String owner) {
        return admission.checkUnpin(hash, owner);
    }

    /**
     * Plans one GC cycle at {@code now}. Updates node staleness (soft state) and returns the transitions, which
     * the caller persists and then applies with {@link #applyCycle}. In a dry run the marks are only reported
     * (S9).
     */
    public CycleOutcome planCycle(long now, boolean dryRun) {
        return planCycle(now, now, dryRun);
    }

    /** @param localNow the monotonic clock the reports' receipt times were taken on (staleness) */
    public CycleOutcome planCycle(long now, long localNow, boolean dryRun) {
        return planner.planCycle(now, localNow, dryRun);
    }

    /**
     * {@link #planCycle(long, long, boolean)} numbered {@code cycle}, not the next after this ledger's: a partition
     * entity's cycles are numbered by the conductor, which counts the cycles this partition missed too
     * (partitions-part2-plan §2, "Cycles"). {@code cycle} must be after this ledger's {@link #cycle()}.
     */
    public CycleOutcome planCycle(long cycle, long now, long localNow, boolean dryRun) {
        if (cycle <= registry.cycle) {
            throw new IllegalArgumentException("cycle " + cycle + " is not after this ledger's cycle " + registry.cycle);
        }
        return planner.planCycle(cycle, now, localNow, dryRun);
    }

    /**
     * Chooses up to {@code max} marked blobs that may move to DELETING now: still unprotected, and every live
     * node delivered a complete view after the blob was marked (the second confirmation of the two-phase
     * delete). Nothing while warming up or below quorum.
     */
    public List<BlobHash> planDeletion(int max) {
        return planner.planDeletion(max);
    }

    /** The blobs in DELETING, oldest first: after a failover the sweeper finishes or retries them. */
    public List<BlobHash> deleting(int max) {
        List<BlobHash> out = new ArrayList<>();
        for (int b : registry.deleting) {
            if (out.size() >= max) break;
            out.add(table.hash(b));
        }
        return out;
    }

    /** Whether {@code hash} is in use now: held or pinned, or reachable through dependencies from a blob that is. */
    public boolean isProtected(BlobHash hash) {
        int b = table.find(hash);
        return b >= 0 && holds.isProtected(b);
    }

    /** The blobs in {@code hash}'s dependency closure that must be uploaded again before it can be acquired. */
    public List<BlobHash> goneInClosure(BlobHash hash) {
        int b = table.find(hash);
        return b < 0 ? List.of() : registry.graph.goneInClosure(b);
    }

    /**
     * The gone blobs (DELETING or COLLECTED) of the dependency closures of {@code hashes}, in one walk; a hash the
     * registry does not hold is gone itself (a callee met on the way: never registered, or a pruned tombstone).
     */
    public List<BlobHash> goneInClosures(Collection<BlobHash> hashes) {
        Set<BlobHash> out = new java.util.LinkedHashSet<>();
        List<Integer> roots = new ArrayList<>();
        for (BlobHash h : hashes) {
            int b = table.find(h);
            if (b < 0) out.add(h);
            else roots.add(b);
        }
        if (!roots.isEmpty()) out.addAll(registry.graph.goneInClosures(roots));
        return List.copyOf(out);
    }

    /**
     * Whether a registration may name {@code hash} as a callee: the registry holds it, and nothing in its dependency
     * closure is DELETING or COLLECTED (walks cached: {@link DependencyGraph#hasContentInClosure}).
     */
    public boolean hasContentInClosure(BlobHash hash) {
        int b = table.find(hash);
        return b >= 0 && registry.graph.hasContentInClosure(b);
    }

    // ==== Soft half: node views

    /** A member that runs a reporter is up: it must report before anything it might hold can be marked. */
    public void memberUp(String node, long now) {
        views.memberUp(node, now);
    }

    /**
     * {@code reporter} (an id such as {@code partition:3}) is another partition, which reports its exports to this
     * one as {@link NodeReport}s and records remote callees through {@link #protect} (partitions.md §1): its view is a
     * partition view. Unlike a node's, it is always counted and never removed — by membership, policy drop or the
     * stale sweep — it does not count toward {@code min-nodes-reporting}, and it confirms (S3) and warms up (S5) like
     * a node's. Called for every other partition before any of its reports or acquires, and again after a recovery
     * (views are soft state). At P = 1 nobody calls it.
     */
    public void partitionUp(String reporter, long now) {
        views.partitionUp(reporter, now);
    }

    /**
     * Membership removed the member (it left, or was downed): its references and pins are dropped (S4). Never a
     * partition's view ({@link #partitionUp}), whatever the member's name.
     */
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
        warmUpBegun = true;
        views.beginWarmUp(upMembers, now);
        for (int b = 0; b < table.highWater(); b++) {
            if (table.isFree(b)) continue;
            BlobStatus s = table.status(b);
            if (s == BlobStatus.ACTIVE || s == BlobStatus.PINNED) candidates.dirty(b);
        }
    }

    /** The settle round's fixpoint: see {@link NodeViews#partitionsSettled}. */
    void partitionsSettled() {
        views.partitionsSettled();
        endCut();
    }

    /**
     * Takes the settle round's cut {@code k} when it is newer than the one taken (partitions-part2-plan §10, tier 2:
     * from a {@code SettleQuery}, or the cut part of an applied export — the marker rule); 0 ends the cut; an older
     * one is ignored. Every partition takes it, warming up or not: a chain can pass through a settled one. Taking it
     * resets the cut marks of every view; the next flush takes the exports as the cut's base.
     */
    public void beginCut(long k) {
        if (exports.beginCut(k)) views.resetCutMarks();
    }

    /** The cut ends (the warm-up settled): no cut content, no cut marks. */
    void endCut() {
        exports.endCut();
        views.resetCutMarks();
    }

    /** The settle round's cut taken here; 0: none. */
    public long cut() {
        return exports.cut();
    }

    /** Whether the next flush sends cut content ({@link Exports#cutDirty}). */
    boolean cutDirty() {
        return exports.cutDirty();
    }

    /** Applies one report to its node's view (S8: ordered by incarnation, then seq). */
    public ReportOutcome report(NodeReport r, long now) {
        return views.report(r, now);
    }

    /**
     * Applies another partition's export {@code r}, which carries {@code fenced}: the FULLs of each node its sender had
     * fenced when it built it (partitions-part2-plan §8). Kept, once applied and settled, as that partition's map: a
     * node's view confirms nothing absent until every live partition's map fenced the node's last FULL.
     */
    public ReportOutcome report(NodeReport r, Map<String, FencedFull> fenced, long now) {
        return views.report(r, fenced, now);
    }

    /**
     * {@link #report(NodeReport, Map, long)} of another partition's export carrying its sender's content stamp
     * ({@link PartitionedLedger.Export#contentStamp}; null: none, judged here as for a node's report).
     */
    public ReportOutcome report(NodeReport r, Map<String, FencedFull> fenced, Long contentStamp, long now) {
        return views.report(r, fenced, contentStamp, now);
    }

    /**
     * {@link #report(NodeReport, Map, Long, long)} of another partition's export carrying its sender's part of the
     * settle round's cut ({@link Cut}; null, as from an older sender or with no cut: none). Once the report is
     * applied: a newer cut is taken first (the marker rule: a part that arrives before this partition's own query
     * would be lost otherwise); a part of the cut taken sets the sender's view's cut mark and marks its content as
     * cut imports — every id the view holds for a base, the known ones {@code added} — whose remote callees the next
     * flush forwards. A part of an older cut is ignored; the report itself is applied as any other.
     */
    public ReportOutcome report(NodeReport r, Map<String, FencedFull> fenced, Long contentStamp, Cut cut, long now) {
        ReportOutcome o = views.report(r, fenced, contentStamp, now);
        if (o != ReportOutcome.APPLIED || cut == null || cut.id() <= 0) return o;
        if (cut.id() > exports.cut()) beginCut(cut.id());
        if (cut.id() != exports.cut()) return o;
        views.cutApplied(r.node(), cut.seq());
        if (cut.base()) for (int b : views.idsOf(r.node())) exports.cutImported(b);
        for (BlobHash h : cut.added()) {
            int b = table.find(h);
            if (b >= 0) exports.cutImported(b);
        }
        return o;
    }

    /**
     * The report fence of {@code node}'s FULL (incarnation, seq) is done in this partition (its walk ended): this
     * partition's exports say so from now on ({@link #fencedFulls}). A hosted partition's driver calls it; one that
     * applies and fences in one step ({@link #fenceReportsAtApply}) need not.
     */
    public void fullFenced(String node, long incarnation, long seq) {
        views.fullFenced(node, incarnation, seq);
    }

    /** See {@link NodeViews#fencedEverywhere}: the driver fenced {@code node}'s FULL in every partition at once. */
    void fencedEverywhere(String node, long incarnation, long seq) {
        views.fencedEverywhere(node, incarnation, seq);
    }

    /**
     * Whether a node's FULL counts as fenced by every partition once applied (true unless told otherwise): its driver
     * applies every share and fences in one step, or there is no other partition. False for a hosted partition, whose
     * driver calls {@link #fullFenced} when its walk is done.
     */
    void fenceReportsAtApply(boolean atApply) {
        views.fenceAtApply(atApply);
    }

    /** The latest FULL of each node whose report fence is done here, by node: what every export carries. */
    public Map<String, FencedFull> fencedFulls() {
        return views.fencedFulls();
    }

    /** The oldest confirmation among the live views ({@link NodeViews#minConfirmTick}): for tests. */
    long minConfirmTick() {
        return views.minConfirmTick();
    }

    /** The live nodes whose last FULL a live partition has not fenced yet: "n: FULL s not fenced by partition:A". */
    public List<String> unfencedFulls() {
        return views.unfencedFulls();
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
        if (!registry.graph.goneInClosure(b).isEmpty()) return AcquireOutcome.GONE;
        return views.acquire(node, incarnation, afterSeq, b, now);
    }

    // ==== Between partitions (partitions.md §1 and §2; nothing at P = 1)

    /**
     * {@code Protect} from partition {@code onBehalfOf} (its reporter id, {@code partition:<q>}): the fence of S6 for
     * this partition's blobs that are remote callees of blobs protected there (partitions.md §2, step 3). Each hash
     * that is unknown here (or not this partition's), DELETING or COLLECTED, or has something gone in its local
     * closure is {@code gone}; each other one is recorded as a sticky acquire in {@code onBehalfOf}'s view — which is
     * made a partition view ({@link #partitionUp}) if it is not one — so no report of that partition up to
     * {@code afterSeq} of {@code incarnation} drops it, and {@link #planDeletion} refuses it from now on; or it is
     * {@code stale}: the view already took a later report, which does not list it. Idempotent: a duplicate records
     * the same sticky (the latest (incarnation, seq) is kept).
     *
     * <p>The frontier lists the remote callees below the recorded hashes, by owner, with this partition's last
     * report to that owner read now: the next hop, recorded there in <b>this</b> partition's view. With {@code used},
     * the outcome names the blobs of the recorded closures waiting out their grace, which the caller persists as used
     * before answering ({@link ProtectOutcome#inGrace}).
     */
    public ProtectOutcome protect(String onBehalfOf, long incarnation, long afterSeq, List<BlobHash> hashes,
                                  boolean used, long now) {
        checkMayExport(); // the frontier carries this instance's seqs
        return fence.protect(onBehalfOf, incarnation, afterSeq, hashes, used, now, generation());
    }

    /**
     * The remote callees below {@code hashes} (this partition's blobs; their local closures), by owner partition,
     * with this partition's last (incarnation, seq) sent to that owner, read now: what an acquire of them here sends
     * on as {@code Protect}s (partitions.md §2, step 2). Empty at P = 1. They are remembered as asked: the next
     * report to each owner lists those not exported then as removed, so a sticky the {@code Protect} records there
     * does not outlive the protection here.
     */
    public List<ProtectOutcome.Frontier> frontier(Collection<BlobHash> hashes) {
        checkMayExport();
        return fence.frontier(hashes, generation());
    }

    /**
     * The remote callees below {@code hashes} (this partition's blobs; their local closures), whatever their owner:
     * what the closures continue with in other partitions, for walks across partitions that change nothing (unlike
     * {@link #frontier}, nothing is remembered as asked). Empty at P = 1.
     */
    public Set<BlobHash> remoteCalleesBelow(Collection<BlobHash> hashes) {
        List<Integer> ids = new ArrayList<>();
        for (BlobHash h : hashes) {
            int b = table.find(h);
            if (b >= 0) ids.add(b);
        }
        return exports.remoteCalleesBelow(ids.stream().mapToInt(Integer::intValue).toArray());
    }

    // ---- registrations across partitions (partitions.md §3, phase 2)

    /**
     * The remote callees a registration batch needs protected by their owners before this partition may persist it:
     * of each registration whose hash this partition owns, the dependencies another partition owns, and the remote
     * callees below its dependencies this partition owns and knows already (their local closures: a new edge to a
     * local callee that is not protected here puts its remote callees under the caller too). A dependency in the batch
     * brings its own remote dependencies in its own registration. Empty at P = 1. Reads only.
     */
    public Set<BlobHash> remoteCalleesOf(Collection<Registration> registrations) {
        Set<BlobHash> out = new LinkedHashSet<>();
        List<BlobHash> local = new ArrayList<>();
        for (Registration r : registrations) {
            if (partitioning.partitionOf(r.hash()) != self) continue;
            for (BlobHash d : r.dependencies()) {
                if (partitioning.partitionOf(d) != self) out.add(d);
                else local.add(d);
            }
        }
        if (!local.isEmpty()) out.addAll(remoteCalleesBelow(local));
        return out;
    }

    /**
     * Reserves {@code remoteCallees} (other partitions' hashes) for a pending registration of this partition's: every
     * export to their owners lists them until {@link #release}, whatever protects them here ({@link Exports}, "Reservations").
     * Their frontier, by owner, read after the reservation: what the driver's {@code Protect}s carry, so a report that
     * drops their stickies was built after the reservation, and lists them. Refused (IllegalArgumentException) for a
     * hash this partition owns, and like {@link #frontier} before this instance's own takeover.
     */
    public List<ProtectOutcome.Frontier> reserve(Collection<BlobHash> remoteCallees) {
        checkMayExport();
        return exports.reserve(remoteCallees, generation());
    }

    /**
     * Ends one reservation of each of {@code remoteCallees} ({@link #reserve}): after the registration was persisted
     * and applied (or refused). From the next flush each is exported iff a caller protects it here.
     */
    public void release(Collection<BlobHash> remoteCallees) {
        exports.release(remoteCallees);
    }

    /** How many pending registrations reserve {@code hash} here (0: none): for tests. */
    int reservations(BlobHash hash) {
        return exports.reservations(hash);
    }

    /** The closure walks of the exports and the fence so far, and the blobs they visited: for tests. */
    long[] closureWalks() {
        return exports.walkCounts();
    }

    /** The blobs the status walks of the dependency closures visited so far: for tests. */
    long inClosureVisits() {
        return registry.graph.inClosureVisits;
    }

    /** See {@link #mayExport}: refused with a clear error, a bug in the driver. */
    private void checkMayExport() {
        if (!mayExport) {
            throw new IllegalStateException("partition " + self + " sends no exports before its own takeover: it was "
                    + "restored (snapshot or journal), and must begin its warm-up and write its takeover first");
        }
    }

    /**
     * Flushes this partition's exports (partitions.md §1, "Flush"): one report per other partition, from reporter
     * {@code partition:<self>}, ordered by (incarnation = {@link #generation}, seq per target) — a DELTA against what
     * was last sent (empty when nothing changed: the heartbeat), or a FULL (the first, after a new generation, when
     * asked by {@link #resendExportsFull}, and the first settled one after provisional ones). Exact: every remote
     * callee whose callers' protection may have changed since the last flush is recomputed now. Provisional while
     * this ledger warms up (S5). Empty at P = 1.
     */
    public Map<Integer, NodeReport> exports() {
        checkMayExport();
        return exports.flush(generation(), !warmingUp());
    }

    /**
     * The content stamp of this partition's reports to partition {@code target} ({@link Exports#contentStamp}): read
     * after {@link #exports}, it goes with that flush's report to it.
     */
    long exportContentStamp(int target) {
        return exports.contentStamp(target);
    }

    /**
     * The cut part of this partition's last report to partition {@code target} ({@link Exports#cutPart}; null: no
     * cut): read after {@link #exports}, it goes with that flush's report to it.
     */
    Cut exportCut(int target) {
        return exports.cutPart(target);
    }

    /** The cut content this partition's exports to {@code target} carried so far: for tests. */
    Set<BlobHash> cutContent(int target) {
        return exports.cutContent(target);
    }

    /**
     * The next report to partition {@code target} is a FULL: it asked ({@code ExportResend}), at its generation
     * {@code echo}, which this partition's reports to it echo from now on ({@link #exportEcho}).
     */
    public void resendExportsFull(int target, int echo) {
        exports.resendFull(target, echo);
    }

    /** The generation of partition {@code target} that this partition's reports to it echo (0: it asked none). */
    public int exportEcho(int target) {
        return exports.echo(target);
    }

    /**
     * Whether this partition takes a FULL export of another partition that echoes {@code echo}: always, but while it
     * warms up, when only the FULL it asked for since its recovery is taken — one that echoes its generation
     * (partitions.md, review of steps 1–3: a FULL built before this recovery, still in flight, was built before a
     * {@code Protect} whose sticky the recovery forgot; taken, it would end the warm-up and confirm without it).
     */
    public boolean takesFullExport(int echo) {
        return !warmingUp() || echo == generation();
    }

    /**
     * What this partition answers the settle round (partitions.md §1; {@link SettleStatus}): read only — the driver
     * flushes the exports first ({@link #exports}), so that {@code dirty} tells only what came after that flush.
     */
    SettleStatus settleStatus() {
        java.util.Map<Integer, SettleStatus.ReportId> sent = new java.util.TreeMap<>(), applied = new java.util.TreeMap<>();
        java.util.Map<Integer, Long> cutSent = new java.util.TreeMap<>(), cutApplied = new java.util.TreeMap<>();
        for (int q = 0; q < partitioning.count(); q++) {
            if (q == self) continue;
            sent.put(q, SettleStatus.ReportId.of(exports.lastContentSent(q)));
            applied.put(q, SettleStatus.ReportId.of(views.lastContentApplied(Exports.reporterOf(q))));
            cutSent.put(q, exports.cutSent(q));
            cutApplied.put(q, views.cutApplied(Exports.reporterOf(q)));
        }
        return new SettleStatus(self, generation(), warmingUp(), views.onlyPartitionsHoldTheWarmUp(), sent, applied,
                exports.dirty(generation()), exports.cut(), cutSent, cutApplied, exports.cutDirty());
    }

    /** What the last flush left partition {@code target} holding for this one: for tests and queries. */
    Set<BlobHash> exportedTo(int target) {
        return exports.exported(target);
    }

    /** The reporter id this partition's exports go under. */
    public String exportReporter() {
        return exports.reporter();
    }

    // ==== Queries

    public Optional<BlobInfo> info(BlobHash hash) {
        int b = table.find(hash);
        if (b < 0) return Optional.empty();
        List<String> refBy = new ArrayList<>();
        List<String> pinBy = new ArrayList<>();
        views.holders(b, refBy, pinBy);
        return Optional.of(registry.info(b, refBy, pinBy));
    }

    public Optional<BlobStatus> status(BlobHash hash) {
        int b = table.find(hash);
        return b < 0 ? Optional.empty() : Optional.of(table.status(b));
    }

    public Map<BlobStatus, Long> counts() {
        return registry.counts();
    }

    public int knownBlobs() {
        return table.size();
    }

    public List<NodeInfo> nodes(long now) {
        return views.nodes(now);
    }

    /** One operator pin with its blob (a page of {@link #operatorPins}). */
    public record PinnedBlob(BlobHash hash, Pin pin) implements io.blobgc.CborSerializable {
    }

    /** How many operator pins there are, and {@code limit} of them from {@code offset}, newest first (read only). */
    public Map.Entry<Integer, List<PinnedBlob>> operatorPins(int offset, int limit) {
        return registry.operatorPins(offset, limit);
    }

    /** Newest first. */
    public List<HistoryEntry> history(int limit) {
        return registry.history(limit);
    }

    public long cycle() {
        return registry.cycle;
    }

    public boolean warmingUp() {
        return views.warmingUp();
    }

    /**
     * The nodes that hold up the warm-up barrier: no FULL report to this coordinator yet; and the partitions
     * ({@link #partitionUp}) with no settled FULL yet.
     */
    public List<String> warmUpBlockers() {
        return views.warmUpBlockers();
    }

    public long totalCollected() {
        return registry.totalCollected();
    }

    public long totalFailedDeletions() {
        return registry.totalFailedDeletions();
    }

    public long totalCollectedBytes() {
        return registry.totalCollectedBytes();
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

    /** How many entries the grace queue has room for (each costs 4 bytes, besides its runs of times): for tests and the benchmark. */
    int graceQueueCapacity() {
        return registry.graceQueue.capacity();
    }

    /** How many entries the marked queue has room for (each costs 4 bytes, besides its runs of times): for tests. */
    int markedQueueCapacity() {
        return registry.markedOrder.capacity();
    }

    /** How many dirty candidates wait for a cycle to look at them: for tests. */
    int candidatesWaiting() {
        return candidates.dirtyCount();
    }

    // ==== Snapshots: the persistent half only (S5)

    public LedgerSnapshot snapshot() {
        return registry.snapshot();
    }

    public static Ledger fromSnapshot(LedgerSettings settings, LedgerSnapshot s) {
        return fromSnapshot(settings, s, Partitioning.of(1), 0);
    }

    /** The ledger of partition {@code self} restored from its snapshot. */
    public static Ledger fromSnapshot(LedgerSettings settings, LedgerSnapshot s, Partitioning partitioning, int self) {
        Ledger l = new Ledger(settings, s.blobCount(), partitioning, self);
        l.registry.restore(s);
        l.mayExport = false; // see mayExport
        return l;
    }
}
