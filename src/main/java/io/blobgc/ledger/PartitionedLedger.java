package io.blobgc.ledger;

import io.blobgc.BlobHash;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The registry split into P partitions in one JVM (partitions.md §5, step 4): one {@link Ledger} per partition, each
 * owning the hashes {@link Partitioning#partitionOf} gives it, and the messages between them — exports
 * ({@link #exchangeExports}) and the fence's {@code Protect}s ({@link #acquire}, {@link #checkPin}) — delivered at
 * once, by method call, in the order they are sent. It routes everything else by owner: a node's report is split into
 * one share per partition with the same (incarnation, seq, chunk, chunks), empty shares included, so every partition
 * orders that node's reports alike (S8); membership goes to every partition; a blob's events, queries and deletions
 * to its owner. P = 1 is one ledger, and every method passes straight to it.
 *
 * <p>A recovery recovers every partition at once: their warm-ups end together, by the settle round ({@link #settle}).
 *
 * <p>Not yet (partitions.md §5): the fence for a registration's new edges to other partitions' blobs (phase 2 of §3),
 * reservations for registrations and pins between their check and their event (here nothing runs in between: the
 * coordinator stashes commands while it persists).
 */
public final class PartitionedLedger {

    private final Partitioning partitioning;
    private final Ledger[] parts;
    /** At P &gt; 1, the hashes of a node's chunked FULL buffered so far, and its seq ({@link #fenceReportedHolds}). */
    private final Map<String, List<BlobHash>> fullChunks = new java.util.HashMap<>();
    private final Map<String, Long> fullChunksSeq = new java.util.HashMap<>();
    /** The partition {@link #planDeletion} asks first: each call starts one further, so none starves. */
    private int deletionTurn;
    /** At P &gt; 1, what became of the nodes' reports, once per report ({@link #reportOutcomes}). */
    private final Map<ReportOutcome, Long> reportOutcomes = new EnumMap<>(ReportOutcome.class);
    /** The latest local (monotonic) time a method was given: see {@link #checkPin(BlobHash)}. */
    private long lastLocalNow;
    /** Whether every partition holds a partition view of every other ({@link Ledger#partitionUp}). */
    private boolean connected;

    /** One partition: the single ledger of a coordinator that runs {@code blob-gc.partitions = 1}. */
    public PartitionedLedger(LedgerSettings settings) {
        this(settings, 1024);
    }

    /** One partition, its tables this large to start with. */
    public PartitionedLedger(LedgerSettings settings, int expectedBlobs) {
        this(settings, expectedBlobs, Partitioning.of(1));
    }

    /** P empty partitions of {@code partitioning}, each with its share of {@code expectedBlobs}. */
    public PartitionedLedger(LedgerSettings settings, int expectedBlobs, Partitioning partitioning) {
        this(partitioning, new Ledger[partitioning.count()]);
        int share = Math.max(16, expectedBlobs / partitioning.count());
        for (int p = 0; p < parts.length; p++) parts[p] = new Ledger(settings, share, partitioning, p);
    }

    private PartitionedLedger(Partitioning partitioning, Ledger[] parts) {
        this.partitioning = partitioning;
        this.parts = parts;
    }

    /** {@code single} as the one partition (P = 1): for tests that drive a ledger and a coordinator's decisions. */
    static PartitionedLedger of(Ledger single) {
        if (single.partitioning().count() != 1) throw new IllegalArgumentException("a ledger of P = 1");
        return new PartitionedLedger(single.partitioning(), new Ledger[]{single});
    }

    /** One partition restored from its snapshot. */
    public static PartitionedLedger fromSnapshot(LedgerSettings settings, LedgerSnapshot snapshot) {
        return fromSnapshots(settings, List.of(snapshot), Partitioning.of(1));
    }

    /** The partitions restored from their snapshots, in partition order (one per partition). */
    public static PartitionedLedger fromSnapshots(LedgerSettings settings, List<LedgerSnapshot> snapshots,
                                                  Partitioning partitioning) {
        if (snapshots.size() != partitioning.count()) {
            throw new IllegalArgumentException(snapshots.size() + " snapshots for " + partitioning.count()
                    + " partitions");
        }
        Ledger[] parts = new Ledger[partitioning.count()];
        for (int p = 0; p < parts.length; p++) {
            parts[p] = Ledger.fromSnapshot(settings, snapshots.get(p), partitioning, p);
        }
        return new PartitionedLedger(partitioning, parts);
    }

    public Partitioning partitioning() {
        return partitioning;
    }

    public LedgerSettings settings() {
        return parts[0].settings();
    }

    /** The closure walks of every partition so far, and the blobs they visited, summed: for tests. */
    long[] closureWalks() {
        long[] sum = new long[2];
        for (Ledger l : parts) {
            long[] w = l.closureWalks();
            sum[0] += w[0];
            sum[1] += w[1];
        }
        return sum;
    }

    /** Partition {@code p}'s ledger: for tests. */
    Ledger partition(int p) {
        return parts[p];
    }

    private Ledger owner(BlobHash hash) {
        return parts[partitioning.partitionOf(hash)];
    }

    /** {@code items} by the partition that owns each one's hash: one list per partition, empty ones included. */
    private <T> List<List<T>> byOwner(Collection<T> items, Function<T, BlobHash> hash) {
        List<List<T>> out = new ArrayList<>(parts.length);
        for (int p = 0; p < parts.length; p++) out.add(new ArrayList<>());
        for (T x : items) out.get(partitioning.partitionOf(hash.apply(x))).add(x);
        return out;
    }

    private List<List<BlobHash>> byOwner(Collection<BlobHash> hashes) {
        return byOwner(hashes, Function.identity());
    }

    /** Every partition views every other as a partition before any of their reports or {@code Protect}s. */
    private void connect(long now) {
        lastLocalNow = Math.max(lastLocalNow, now);
        if (connected) return;
        connected = true;
        for (Ledger l : parts) {
            for (Ledger other : parts) if (other != l) l.partitionUp(other.exportReporter(), now);
        }
    }

    // ==== Persistent half: applied from events

    /**
     * Every partition takes the registrations it owns, keeps callees owned elsewhere as remote edges, and registers
     * its unknown callees of other partitions' blobs ({@link Ledger#applyRegistered}).
     */
    public void applyRegistered(Collection<Registration> registrations) {
        for (Ledger l : parts) l.applyRegistered(registrations);
    }

    public void applyPinned(BlobHash hash, Pin pin) {
        owner(hash).applyPinned(hash, pin);
    }

    public void applyUnpinned(BlobHash hash, String owner) {
        owner(hash).applyUnpinned(hash, owner);
    }

    /** Each partition's outcome of one cycle, in partition order ({@link #planCycle}). */
    public void applyCycle(List<CycleOutcome> outcomes) {
        for (int p = 0; p < parts.length; p++) parts[p].applyCycle(outcomes.get(p));
    }

    /** Partition {@code partition}'s outcome of a cycle (one event each). */
    public void applyCycle(int partition, CycleOutcome outcome) {
        parts[partition].applyCycle(outcome);
    }

    public void applyUsed(Collection<BlobHash> hashes) {
        List<List<BlobHash>> split = byOwner(hashes);
        for (int p = 0; p < parts.length; p++) if (!split.get(p).isEmpty()) parts[p].applyUsed(split.get(p));
    }

    public void applyDeletionStarted(Collection<BlobHash> hashes, long at) {
        List<List<BlobHash>> split = byOwner(hashes);
        for (int p = 0; p < parts.length; p++) if (!split.get(p).isEmpty()) parts[p].applyDeletionStarted(split.get(p), at);
    }

    /** The bytes freed are counted by the owner of the first hash: the totals add up. */
    public void applyCollected(Collection<BlobHash> hashes, long at, long bytes) {
        List<List<BlobHash>> split = byOwner(hashes);
        for (int p = 0; p < parts.length; p++) {
            if (split.get(p).isEmpty()) continue;
            parts[p].applyCollected(split.get(p), at, bytes);
            bytes = 0;
        }
    }

    public void applyCollected(Collection<BlobHash> hashes, long at) {
        applyCollected(hashes, at, 0);
    }

    public void applyDeletionFailed(BlobHash hash) {
        owner(hash).applyDeletionFailed(hash);
    }

    public int failedDeletions(BlobHash hash) {
        return owner(hash).failedDeletions(hash);
    }

    // ---- store reconciliation: each partition condemns its own orphans; the walk over the store is one

    public boolean isOrphan(BlobHash hash) {
        return owner(hash).isOrphan(hash);
    }

    /** The condemned hashes go to their owners; every partition keeps where the walk resumes. */
    public void applyOrphansCondemned(Collection<BlobHash> hashes, BlobHash upTo) {
        List<List<BlobHash>> split = byOwner(hashes);
        for (int p = 0; p < parts.length; p++) parts[p].applyOrphansCondemned(split.get(p), upTo);
    }

    public List<BlobHash> condemnedOrphans(int max) {
        return upTo(max, 0, Ledger::condemnedOrphans);
    }

    /**
     * Up to {@code max} hashes that {@code ask} gives from the partitions in turn, from partition {@code first} on,
     * each asked for what is still missing.
     */
    private List<BlobHash> upTo(int max, int first, java.util.function.BiFunction<Ledger, Integer, List<BlobHash>> ask) {
        List<BlobHash> out = new ArrayList<>();
        for (int i = 0; i < parts.length && out.size() < max; i++) {
            out.addAll(ask.apply(parts[(first + i) % parts.length], max - out.size()));
        }
        return out;
    }

    public boolean isCondemnedOrphan(BlobHash hash) {
        return owner(hash).isCondemnedOrphan(hash);
    }

    public BlobHash orphanScanResumesAfter() {
        return parts[0].orphanScanResumesAfter();
    }

    public long orphansCondemned() {
        return sum(Ledger::orphansCondemned);
    }

    public long orphansDeleted() {
        return sum(Ledger::orphansDeleted);
    }

    private long sum(java.util.function.ToLongFunction<Ledger> f) {
        long n = 0;
        for (Ledger l : parts) n += f.applyAsLong(l);
        return n;
    }

    /** S10 is per persistence id: one journal for all P partitions, so every partition takes every takeover. */
    public void applyTookOver(String instance, long batchDeadlineMs) {
        for (Ledger l : parts) l.applyTookOver(instance, batchDeadlineMs);
    }

    public void applyPredecessorsDone(String instance) {
        for (Ledger l : parts) l.applyPredecessorsDone(instance);
    }

    public void applyPartitions(int partitions) {
        for (Ledger l : parts) l.applyPartitions(partitions);
    }

    public void applyHosting(String hosting, Integer partition) {
        for (Ledger l : parts) l.applyHosting(hosting, partition);
    }

    public int generation() {
        return parts[0].generation();
    }

    public long longestLiveBatchDeadlineMs() {
        return parts[0].longestLiveBatchDeadlineMs();
    }

    public Set<BlobHash> deletedForPredecessors() {
        if (parts.length == 1) return parts[0].deletedForPredecessors();
        Set<BlobHash> out = new HashSet<>();
        for (Ledger l : parts) out.addAll(l.deletedForPredecessors());
        return Set.copyOf(out);
    }

    public int recordedPartitions() {
        return parts[0].recordedPartitions();
    }

    public String recordedHosting() {
        return parts[0].recordedHosting();
    }

    public Integer recordedPartition() {
        return parts[0].recordedPartition();
    }

    // ==== Decisions

    /** The hashes among {@code candidates} that a registration cannot take now (asked of their owners). */
    public List<BlobHash> checkRegister(Collection<BlobHash> candidates) {
        List<BlobHash> out = new ArrayList<>();
        List<List<BlobHash>> split = byOwner(candidates);
        for (int p = 0; p < parts.length; p++) if (!split.get(p).isEmpty()) out.addAll(parts[p].checkRegister(split.get(p)));
        return out;
    }

    /**
     * Why an operator pin on {@code hash} cannot be taken, or empty when it can — then the fence has already recorded
     * every remote callee below it in its owner, on behalf of the partition whose exports will list it once the pin
     * is applied ({@link #protectRemoteClosure}): the pin's event must be applied before that partition's next
     * export (the coordinator persists it before it handles anything else). At P = 1, {@link Ledger#checkPin}.
     */
    public Optional<Refusal> checkPin(BlobHash hash, long now) {
        lastLocalNow = Math.max(lastLocalNow, now);
        Optional<Refusal> local = owner(hash).checkPin(hash);
        if (local.isPresent() || parts.length == 1) return local;
        List<BlobHash> gone = goneInClosure(hash);
        if (gone.isEmpty()) gone = protectRemoteClosure(hash, false, now).notRecorded();
        if (gone.isEmpty()) return Optional.empty();
        return Optional.of(Refusal.conflict("blob " + hash + " depends on " + gone
                + ", being deleted or collected: upload " + (gone.size() == 1 ? "it" : "them") + " again first"));
    }

    /**
     * {@link #checkPin(BlobHash, long)} at the latest local time this ledger was given (a report's, a cycle's or an
     * acquire's): the time only dates a partition view the fence would make, and {@link #connect} made them all.
     */
    public Optional<Refusal> checkPin(BlobHash hash) {
        return checkPin(hash, lastLocalNow);
    }

    public Optional<Refusal> checkUnpin(BlobHash hash, String owner) {
        return owner(hash).checkUnpin(hash, owner);
    }

    /** Every partition plans its cycle: the outcomes in partition order, to persist and then {@link #applyCycle}. */
    public List<CycleOutcome> planCycle(long now, long localNow, boolean dryRun) {
        connect(localNow);
        List<CycleOutcome> out = new ArrayList<>(parts.length);
        for (Ledger l : parts) out.add(l.planCycle(now, localNow, dryRun));
        return out;
    }

    /**
     * Flushes every partition's exports and delivers each report to its target at once (partitions.md §1, "When A
     * flushes": after every cycle's apply, live only — never while replaying events). A target that needs a FULL
     * gets one at the next exchange.
     */
    public void exchangeExports(long localNow) {
        if (parts.length == 1) return;
        exchange(localNow);
        settle(localNow);
    }

    /** One flush of every partition, delivered; whether any report added a hash to its target's view. */
    private boolean exchange(long localNow) {
        connect(localNow);
        boolean added = false;
        for (int p = 0; p < parts.length; p++) { // each partition flushes after taking what the ones before sent it
            for (Map.Entry<Integer, NodeReport> r : parts[p].exports().entrySet()) {
                Export e = new Export(p, r.getKey(), r.getValue());
                ReportOutcome o = apply(e, localNow);
                added |= o == ReportOutcome.NEED_FULL || o == ReportOutcome.APPLIED && !e.report().activeAdded().isEmpty();
            }
        }
        return added;
    }

    /** A report of partition {@code from}'s exports to partition {@code to}. */
    public record Export(int from, int to, NodeReport report) {
    }

    /**
     * Flushes every partition's exports without delivering them: what a driver that carries the partitions' messages
     * itself (the simulation, with delays, loss and reordering; part 2, over the network) sends, each to be handed to
     * {@link #deliverExport} when it arrives. {@link #exchangeExports} is this with every report delivered at once.
     */
    public List<Export> flushExports(long localNow) {
        List<Export> out = new ArrayList<>();
        if (parts.length == 1) return out;
        connect(localNow);
        for (int p = 0; p < parts.length; p++) {
            for (Map.Entry<Integer, NodeReport> e : parts[p].exports().entrySet()) out.add(new Export(p, e.getKey(), e.getValue()));
        }
        return out;
    }

    /** One export arrived: applied by its target (S8 orders it); a target that needs a FULL gets one next flush. */
    public ReportOutcome deliverExport(Export e, long localNow) {
        ReportOutcome o = apply(e, localNow);
        settle(localNow);
        return o;
    }

    private ReportOutcome apply(Export e, long localNow) {
        ReportOutcome o = parts[e.to()].report(e.report(), localNow);
        if (o == ReportOutcome.NEED_FULL) parts[e.from()].resendExportsFull(e.to());
        return o;
    }

    /**
     * Up to {@code max} blobs that may move to DELETING now, taken from the partitions in turn, starting each call
     * with the next partition (a partition with a long backlog does not starve the others).
     */
    public List<BlobHash> planDeletion(int max) {
        int first = deletionTurn;
        deletionTurn = (deletionTurn + 1) % parts.length;
        return upTo(max, first, Ledger::planDeletion);
    }

    public List<BlobHash> deleting(int max) {
        return upTo(max, 0, Ledger::deleting);
    }

    public boolean isProtected(BlobHash hash) {
        return owner(hash).isProtected(hash);
    }

    /**
     * The blobs of {@code hash}'s dependency closure, across partitions, that must be uploaded again before it can be
     * acquired: DELETING or COLLECTED ones, and remote callees their owner does not know (a pruned tombstone: no
     * content either, partitions.md §6 risk 9).
     */
    public List<BlobHash> goneInClosure(BlobHash hash) {
        if (parts.length == 1) return parts[0].goneInClosure(hash);
        Set<BlobHash> gone = new LinkedHashSet<>();
        List<List<BlobHash>> roots = closureRoots(List.of(hash));
        for (int p = 0; p < parts.length; p++) {
            for (BlobHash r : roots.get(p)) {
                if (parts[p].status(r).isPresent()) gone.addAll(parts[p].goneInClosure(r));
                else if (!r.equals(hash)) gone.add(r); // an unknown blob itself is no gone callee (as at P = 1)
            }
        }
        return List.copyOf(gone);
    }

    /** Whether a registration may name {@code hash} as a callee: known, and nothing gone in its closure. */
    public boolean hasContentInClosure(BlobHash hash) {
        if (parts.length == 1) return parts[0].hasContentInClosure(hash);
        return owner(hash).status(hash).isPresent() && goneInClosure(hash).isEmpty();
    }

    /** The blobs a use of {@code hash} keeps alive, across partitions, that wait out their grace now. */
    public List<BlobHash> waitingOutGrace(BlobHash hash) {
        return waitingOutGrace(List.of(hash));
    }

    /** The blobs a use of {@code hashes} keeps alive, across partitions, that wait out their grace now. */
    public List<BlobHash> waitingOutGrace(Collection<BlobHash> hashes) {
        List<BlobHash> out = new ArrayList<>();
        List<List<BlobHash>> roots = closureRoots(hashes);
        for (int p = 0; p < parts.length; p++) {
            if (!roots.get(p).isEmpty()) out.addAll(parts[p].waitingOutGrace(roots.get(p)));
        }
        return out;
    }

    /**
     * Where the dependency closures of {@code hashes} lie, by partition: the given hashes and every remote callee met
     * below them, each in its owner's list (reads only). A partition's local closure of its list is the rest.
     */
    private List<List<BlobHash>> closureRoots(Collection<BlobHash> hashes) {
        Set<BlobHash> seen = new HashSet<>();
        ArrayDeque<BlobHash> todo = new ArrayDeque<>(hashes);
        List<BlobHash> all = new ArrayList<>();
        while (!todo.isEmpty()) {
            BlobHash h = todo.poll();
            if (!seen.add(h)) continue;
            all.add(h);
            if (parts.length > 1) todo.addAll(owner(h).remoteCalleesBelow(List.of(h)));
        }
        return byOwner(all);
    }

    // ==== Soft half: node views

    public void memberUp(String node, long now) {
        for (Ledger l : parts) l.memberUp(node, now);
    }

    public void memberRemoved(String node, long now) {
        for (Ledger l : parts) l.memberRemoved(node, now);
    }

    /**
     * After a recovery (S5): every partition begins its warm-up, with a view of every other partition. They recover
     * together and would wait for each other's settled FULLs, which none sends while it warms up: the settle round
     * ({@link #settle}) ends their warm-ups together once every node's FULL is in.
     */
    public void beginWarmUp(Collection<String> upMembers, long now) {
        connected = false;
        connect(now);
        for (Ledger l : parts) l.beginWarmUp(upMembers, now);
    }

    /** The driver wrote its own takeover before it began the warm-up: see {@link Ledger#tookOverFirst}. */
    public void tookOverFirst() {
        for (Ledger l : parts) l.tookOverFirst();
    }

    /**
     * The settle round of partitions.md §1 in one JVM, where messages arrive at once: when every partition waits only
     * for the other partitions (every node's FULL is in), the partitions exchange their provisional exports until a
     * round adds nothing — exports only grow then (imports are added, never removed, and no node reports in between),
     * so they are at a fixpoint, which holds every root's closure — and then end their warm-ups together and send
     * settled FULLs. Nothing was decided before: no partition marked anything while warming up.
     */
    private void settle(long now) {
        if (parts.length == 1 || !warmingUp()) return;
        for (Ledger l : parts) {
            for (String blocker : l.warmUpBlockers()) if (!isPartition(blocker)) return;
        }
        while (exchange(now)) {
            // another round: something was added, which the next flush carries one hop further
        }
        for (Ledger l : parts) l.partitionsSettled();
        exchange(now); // the settled FULLs: they replace the views with the same sets, and confirm
    }

    private boolean isPartition(String reporter) {
        for (Ledger l : parts) if (l.exportReporter().equals(reporter)) return true;
        return false;
    }

    /**
     * Applies a node's report: one share per partition, each with the hashes it owns and the report's (incarnation,
     * seq, chunk, chunks). The outcome is the most telling of the shares' (they agree unless a partition lost
     * something): a FULL needed first, then a refusal, a chunk buffered, applied.
     */
    public ReportOutcome report(NodeReport r, long now) {
        if (parts.length == 1) return parts[0].report(r, now);
        connect(now);
        List<List<BlobHash>> added = byOwner(r.activeAdded()), removed = byOwner(r.activeRemoved()),
                pinsAdded = byOwner(r.pinsAdded()), pinsRemoved = byOwner(r.pinsRemoved());
        ReportOutcome out = null;
        for (int p = 0; p < parts.length; p++) {
            NodeReport share = new NodeReport(r.node(), r.incarnation(), r.seq(), r.kind(), added.get(p),
                    removed.get(p), pinsAdded.get(p), pinsRemoved.get(p), r.chunk(), r.chunks(), r.settled());
            ReportOutcome o = parts[p].report(share, now);
            if (out == null || rank(o) > rank(out)) out = o;
        }
        reportOutcomes.merge(out, 1L, Long::sum);
        fenceReportedHolds(r, out, now);
        settle(now);
        return out;
    }

    /**
     * A hold a report adds is fenced like an acquire (review of step 4): a node may hold a blob it did not acquire
     * from this instance — back from a policy {@code drop} with a FULL, or after a recovery — and its owner holds it at
     * once, while the owners of its remote callees would learn it only from the owner's next export, built later, and
     * meanwhile confirm with the node's share, which does not list them. So the remote closure of every blob a
     * report adds, and that is protected in its owner now, is recorded in its owners before anything else happens.
     * A chunked FULL is fenced when its last chunk is applied, with the hashes of all its chunks.
     */
    private void fenceReportedHolds(NodeReport r, ReportOutcome outcome, long now) {
        List<BlobHash> chunks = fullChunks.get(r.node());
        if (r.kind() == NodeReport.Kind.FULL && outcome == ReportOutcome.CHUNK_BUFFERED) {
            if (chunks == null || fullChunksSeq.getOrDefault(r.node(), -1L) != r.seq()) {
                fullChunks.put(r.node(), chunks = new ArrayList<>());
                fullChunksSeq.put(r.node(), r.seq());
            }
            chunks.addAll(r.activeAdded());
            chunks.addAll(r.pinsAdded());
            return;
        }
        if (outcome != ReportOutcome.APPLIED) return;
        Set<BlobHash> added = new LinkedHashSet<>(r.activeAdded());
        added.addAll(r.pinsAdded());
        if (r.kind() == NodeReport.Kind.FULL && chunks != null && fullChunksSeq.get(r.node()) == r.seq()) added.addAll(chunks);
        fullChunks.remove(r.node());
        fullChunksSeq.remove(r.node());
        List<BlobHash> held = new ArrayList<>();
        for (BlobHash h : added) if (owner(h).isProtected(h)) held.add(h);
        // all at once: a FULL of N blobs over a shared library of K costs N + K, not N x K (review of the actor at P > 1)
        if (!held.isEmpty()) protectRemoteClosure(held, false, now);
    }

    private static int rank(ReportOutcome o) {
        return switch (o) {
            case APPLIED -> 0;
            case CHUNK_BUFFERED -> 1;
            case DUPLICATE_OR_OLD -> 2;
            case FROM_REMOVED_NODE -> 3;
            case MALFORMED -> 4;
            case NEED_FULL -> 5;
        };
    }

    /**
     * The acquire fence (S6) across partitions (partitions.md §2): GONE first when something in the blob's closure,
     * in any partition, is gone (nothing recorded, as one ledger answers); else the owner records the acquire as today
     * ({@link Ledger#acquire}); then every remote callee below the blob is recorded in its owner, hop by hop, on
     * behalf of the partition whose exports will list it — all before the answer. ACQUIRED only when every one was
     * recorded; STALE when one was asked after a later report of that partition (in one JVM no hop can be gone
     * after the check: messages arrive at once).
     */
    public AcquireOutcome acquire(String node, long incarnation, long afterSeq, BlobHash hash, long now) {
        if (parts.length > 1 && !isNodeRemoved(node) && status(hash).isPresent() && !goneInClosure(hash).isEmpty()) {
            return AcquireOutcome.GONE; // before anything is recorded, as one ledger answers (review of step 4)
        }
        AcquireOutcome local = owner(hash).acquire(node, incarnation, afterSeq, hash, now);
        if (local != AcquireOutcome.ACQUIRED || parts.length == 1) return local;
        FenceWalk f = protectRemoteClosure(hash, false, now);
        if (!f.gone().isEmpty()) return AcquireOutcome.GONE;
        return f.stale().isEmpty() ? AcquireOutcome.ACQUIRED : AcquireOutcome.STALE;
    }

    private FenceWalk protectRemoteClosure(BlobHash hash, boolean used, long now) {
        return protectRemoteClosure(List.of(hash), used, now);
    }

    /**
     * The {@code Protect}s of partitions.md §2, steps 2 to 4, driven at once: a {@link FenceWalk} from the owners of
     * {@code roots}, each ask answered by its partition as soon as it is given, in the order given (breadth first);
     * each owner walks the closures of its roots in one pass, and a hash is asked once per fence (cycles end; a root
     * reached from another root is asked like any callee). The walk returned is done.
     */
    private FenceWalk protectRemoteClosure(Collection<BlobHash> roots, boolean used, long now) {
        connect(now);
        FenceWalk walk = new FenceWalk();
        ArrayDeque<FenceWalk.ProtectAsk> todo = new ArrayDeque<>();
        List<List<BlobHash>> byRoot = byOwner(roots);
        for (int root = 0; root < parts.length; root++) {
            if (!byRoot.get(root).isEmpty()) todo.addAll(walk.start(root, parts[root].frontier(byRoot.get(root))));
        }
        while (!walk.done()) {
            FenceWalk.ProtectAsk ask = todo.remove();
            ProtectOutcome o = parts[ask.to()].protect(parts[ask.onBehalfOf()].exportReporter(), ask.incarnation(),
                    ask.afterSeq(), ask.hashes(), used, now);
            todo.addAll(walk.answered(ask.to(), o));
        }
        return walk;
    }

    // ==== Queries

    public Optional<BlobInfo> info(BlobHash hash) {
        return owner(hash).info(hash);
    }

    public Optional<BlobStatus> status(BlobHash hash) {
        return owner(hash).status(hash);
    }

    public Map<BlobStatus, Long> counts() {
        Map<BlobStatus, Long> out = new EnumMap<>(BlobStatus.class);
        for (Ledger l : parts) l.counts().forEach((s, n) -> out.merge(s, n, Long::sum));
        return out;
    }

    public int knownBlobs() {
        int n = 0;
        for (Ledger l : parts) n += l.knownBlobs();
        return n;
    }

    /**
     * The nodes: their state and report age as the first partition that knows them sees them (every partition takes
     * each node's reports at the same moment; a node that acquired before its first report is known only where it
     * acquired), what they hold and pin added over the partitions, complete and rebuilt only if so in every partition
     * that knows them; the partitions' views of each other are left out.
     */
    public List<NodeInfo> nodes(long now) {
        if (parts.length == 1) return parts[0].nodes(now);
        Map<String, NodeInfo> byNode = new java.util.LinkedHashMap<>();
        for (Ledger l : parts) {
            for (NodeInfo n : l.nodes(now)) {
                if (isPartition(n.node())) continue;
                byNode.merge(n.node(), n, (a, b) -> new NodeInfo(a.node(), a.state(), a.lastReportAgeMs(),
                        a.active() + b.active(), a.pinned() + b.pinned(), a.complete() && b.complete(),
                        a.fullSinceRecovery() && b.fullSinceRecovery()));
            }
        }
        return List.copyOf(byNode.values());
    }

    public boolean warmingUp() {
        for (Ledger l : parts) if (l.warmingUp()) return true;
        return false;
    }

    public long cycle() {
        return parts[0].cycle();
    }

    public boolean isNodeRemoved(String node) {
        return parts[0].isNodeRemoved(node);
    }

    public List<String> members() {
        return parts[0].members();
    }

    /** Every partition's blockers (a node's FULL, another partition's settled FULL), each once. */
    public List<String> warmUpBlockers() {
        if (parts.length == 1) return parts[0].warmUpBlockers();
        Set<String> out = new LinkedHashSet<>();
        for (Ledger l : parts) out.addAll(l.warmUpBlockers());
        return List.copyOf(out);
    }

    /** What became of the nodes' reports (at P &gt; 1 counted here, once per report, not per share). */
    public Map<ReportOutcome, Long> reportOutcomes() {
        if (parts.length == 1) return parts[0].reportOutcomes();
        return new EnumMap<>(reportOutcomes);
    }

    public long reportedWhileDeleting() {
        return sum(Ledger::reportedWhileDeleting);
    }

    public long reportedUnknown() {
        return sum(Ledger::reportedUnknown);
    }

    public long totalCollected() {
        return sum(Ledger::totalCollected);
    }

    public long totalFailedDeletions() {
        return sum(Ledger::totalFailedDeletions);
    }

    public long totalCollectedBytes() {
        return sum(Ledger::totalCollectedBytes);
    }

    /** How many operator pins there are, and {@code limit} of them from {@code offset}, newest first. */
    public Map.Entry<Integer, List<Ledger.PinnedBlob>> operatorPins(int offset, int limit) {
        if (parts.length == 1) return parts[0].operatorPins(offset, limit);
        List<Ledger.PinnedBlob> all = new ArrayList<>();
        for (Ledger l : parts) all.addAll(l.operatorPins(0, Integer.MAX_VALUE).getValue());
        all.sort(Comparator.comparingLong((Ledger.PinnedBlob x) -> -x.pin().pinnedAt())
                .thenComparing(x -> x.hash().toHex()).thenComparing(x -> x.pin().owner()));
        int from = Math.min(Math.max(0, offset), all.size());
        int to = (int) Math.min(all.size(), (long) from + Math.max(0, limit));
        return Map.entry(all.size(), List.copyOf(all.subList(from, to)));
    }

    /**
     * Newest first. At P &gt; 1 every partition keeps its own entry of each cycle: an entry here is one cycle's
     * entries together (counts added, lists joined).
     */
    public List<HistoryEntry> history(int limit) {
        if (parts.length == 1) return parts[0].history(limit);
        java.util.TreeMap<Long, HistoryEntry> byCycle = new java.util.TreeMap<>(Comparator.reverseOrder());
        for (Ledger l : parts) {
            for (HistoryEntry e : l.history(limit)) byCycle.merge(e.cycle(), e, HistoryEntry::plus);
        }
        return byCycle.values().stream().limit(Math.max(0, limit)).toList();
    }

    /** The snapshot of the one partition; at P &gt; 1 there is one per partition ({@link #snapshots}). */
    public LedgerSnapshot snapshot() {
        if (parts.length > 1) throw new IllegalStateException(parts.length + " partitions: one snapshot each");
        return parts[0].snapshot();
    }

    /** One snapshot per partition, in partition order. */
    public List<LedgerSnapshot> snapshots() {
        List<LedgerSnapshot> out = new ArrayList<>(parts.length);
        for (Ledger l : parts) out.add(l.snapshot());
        return out;
    }
}
