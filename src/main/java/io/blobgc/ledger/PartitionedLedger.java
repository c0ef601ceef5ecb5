package io.blobgc.ledger;

import io.blobgc.BlobHash;

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
 * <p>A ledger may host only some of the partitions ({@link #hosting}): a partition entity's (part 2). It does the
 * local part of everything and leaves what crosses partitions to its driver, which carries the messages: see
 * {@link #hosting}.
 *
 * <p>Not yet (partitions.md §5): the fence for a registration's new edges to other partitions' blobs (phase 2 of §3),
 * reservations for registrations and pins between their check and their event (here nothing runs in between: the
 * coordinator stashes commands while it persists).
 */
public final class PartitionedLedger {

    private final Partitioning partitioning;
    /** The ledger of each partition, by partition: null where another ledger hosts it ({@link #hosting}). */
    private final Ledger[] parts;
    /** The partitions hosted here, in partition order: all of them unless {@link #hosting}. */
    private final Ledger[] hosted;
    /** Whether this ledger hosts only some partitions, and leaves what crosses partitions to a driver. */
    private final boolean hostingMode;
    /**
     * What crosses partitions, delivered at once among the partitions hosted here: all of them, or when
     * {@link #hostingMode} the hosted ones only (what reaches another is refused: {@link InstantPartitions#host}).
     */
    private final InstantPartitions instant;
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
    /** Whether the hosted partitions view no other partition ({@link #isolated}). */
    private boolean isolated;
    /** The reservations not released yet, by id ({@link #reserve}): what each reserved, by caller partition. Soft. */
    private final Map<Long, Map<Integer, Set<BlobHash>>> reservations = new java.util.HashMap<>();
    /**
     * Reservation ids: counted in this JVM, not per ledger. A fence's self-message carries its reservation
     * ({@code PinFenced}, {@code Fenced}), and one sent by an instance before a restart in place reaches the next (the
     * same mailbox, and Pekko keeps the event-sourced behaviour's stash across that restart), whose ledger is new: an
     * id counted per ledger named the new one's reservation of that number, another request's still walking, and
     * released it early (StaleFenceAcrossRestartTest). Unique, a stale reservation names none here and its release
     * changes nothing.
     */
    private static final java.util.concurrent.atomic.AtomicLong RESERVATIONS = new java.util.concurrent.atomic.AtomicLong();

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
        this(partitioning, newParts(settings, expectedBlobs, partitioning, allOf(partitioning)), false);
    }

    /**
     * A ledger that hosts only partitions {@code hosted} of {@code partitioning} (each empty, with its share of
     * {@code expectedBlobs}): a partition entity's (partitions-part2-plan §2; one partition there, several in tests).
     * Its loops run over the hosted partitions only; a hash another partition owns is not here — a batch's such
     * hashes are left out, a query of one answers unknown, and a command for one alone is refused. What crosses
     * partitions is left to the driver, which carries the messages between hosts:
     * <ul>
     *   <li>the fence: {@link #acquireLocally}, {@link #checkPinLocally} and {@link #reportedHolds} do the local part;
     *       {@link #fenceStarts} gives the frontiers a {@link FenceWalk} starts from, and
     *       {@link #protect(FenceWalk.ProtectAsk, boolean, long)} answers its asks;</li>
     *   <li>the closure queries: {@link #remoteCalleesBelow(BlobHash)}, {@link #localGoneInClosure} and
     *       {@link #localWaitingOutGrace} answer for one owner;</li>
     *   <li>a registration whose callees other partitions own: {@link #checkRegister} and
     *       {@link #hasLocalContentInClosure} check the local part; {@link #reserve} reserves the remote callees in the
     *       caller's partition and gives the walk's starts; {@link #release} after the persist (partitions.md §3);</li>
     *   <li>a report: {@link #report} applies the hosted shares only;</li>
     *   <li>the exports: {@link #flushExports(int, long)}, {@link #deliverExport} (a target that needs a FULL answers
     *       NEED_FULL, and the driver asks the sender's host: {@link #resendExportsFull(int, int, int)});</li>
     *   <li>the settle round: {@link #settleStatus} answers a poll, and {@link #partitionsSettled} ends the warm-up
     *       when a {@link SettleRound} of the driver says so. {@link #exchangeExports} and the settle round in one
     *       JVM ({@link #settle}) are off.</li>
     * </ul>
     * The methods that need other partitions ({@link #acquire}, {@link #checkPin}, the closure queries) are answered
     * when all they need is hosted here — a blob whose closure stays in the hosted partitions: the answer is exact —
     * and refused (IllegalStateException, before anything is recorded) when they reach a partition hosted elsewhere.
     */
    public static PartitionedLedger hosting(LedgerSettings settings, int expectedBlobs, Partitioning partitioning,
                                            int... hosted) {
        boolean[] here = new boolean[partitioning.count()];
        for (int p : hosted) here[p] = true;
        return new PartitionedLedger(partitioning, newParts(settings, expectedBlobs, partitioning, here), true);
    }

    private static boolean[] allOf(Partitioning partitioning) {
        boolean[] all = new boolean[partitioning.count()];
        java.util.Arrays.fill(all, true);
        return all;
    }

    /** Empty ledgers of the partitions {@code here} marks, each with its share of {@code expectedBlobs}; null others. */
    private static Ledger[] newParts(LedgerSettings settings, int expectedBlobs, Partitioning partitioning,
                                     boolean[] here) {
        Ledger[] parts = new Ledger[partitioning.count()];
        int share = Math.max(16, expectedBlobs / partitioning.count());
        for (int p = 0; p < parts.length; p++) if (here[p]) parts[p] = new Ledger(settings, share, partitioning, p);
        return parts;
    }

    private PartitionedLedger(Partitioning partitioning, Ledger[] parts, boolean hostingMode) {
        this.partitioning = partitioning;
        this.parts = parts;
        this.hosted = java.util.Arrays.stream(parts).filter(java.util.Objects::nonNull).toArray(Ledger[]::new);
        if (hosted.length == 0) throw new IllegalArgumentException("no partition hosted");
        this.hostingMode = hostingMode;
        // the whole applies every share and fences the holds in one step: a FULL is fenced everywhere once applied
        // (partitions-part2-plan §8); a hosted partition's driver tells when its walk is done (fullFenced)
        for (Ledger l : hosted) l.fenceReportsAtApply(!hostingMode);
        PartitionedLedger[] self = new PartitionedLedger[parts.length];
        for (int p = 0; p < parts.length; p++) if (parts[p] != null) self[p] = this;
        this.instant = new InstantPartitions(partitioning, self);
    }

    /** {@code single} as the one partition (P = 1): for tests that drive a ledger and a coordinator's decisions. */
    static PartitionedLedger of(Ledger single) {
        if (single.partitioning().count() != 1) throw new IllegalArgumentException("a ledger of P = 1");
        return new PartitionedLedger(single.partitioning(), new Ledger[]{single}, false);
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
        return new PartitionedLedger(partitioning, parts, false);
    }

    /**
     * Partition {@code self} of {@code partitioning} restored from its snapshot, hosted alone: a partition entity's
     * ledger ({@link #hosting}).
     */
    public static PartitionedLedger hostingFromSnapshot(LedgerSettings settings, LedgerSnapshot snapshot,
                                                        Partitioning partitioning, int self) {
        if (self < 0 || self >= partitioning.count()) {
            throw new IllegalArgumentException("no partition " + self + " of " + partitioning.count());
        }
        Ledger[] parts = new Ledger[partitioning.count()];
        parts[self] = Ledger.fromSnapshot(settings, snapshot, partitioning, self);
        return new PartitionedLedger(partitioning, parts, true);
    }

    /**
     * This ledger, its hosted partitions viewing no other partition: no partition's export is waited for — not by the
     * warm-up, not to confirm a blob absent — and none is asked for. Exact only while no blob hosted here has a
     * callee of another partition: a partition entity while cross-partition dependencies are refused
     * (partitions-part2-plan S1.3; its registrations naming one are refused), until exports and the settle round run
     * between entities (S1.4, S1.5). Returns this.
     */
    public PartitionedLedger isolated() {
        if (!hostingMode) throw new IllegalStateException("only a hosting ledger is isolated from other partitions");
        isolated = true;
        return this;
    }

    public Partitioning partitioning() {
        return partitioning;
    }

    public LedgerSettings settings() {
        return hosted[0].settings();
    }

    /** Whether partition {@code p} is hosted here (always, unless {@link #hosting}). */
    public boolean hosts(int p) {
        return parts[p] != null;
    }

    /** The closure walks of every partition so far, and the blobs they visited, summed: for tests. */
    long[] closureWalks() {
        long[] sum = new long[2];
        for (Ledger l : hosted) {
            long[] w = l.closureWalks();
            sum[0] += w[0];
            sum[1] += w[1];
        }
        return sum;
    }

    /**
     * The blobs the status walks of the dependency closures (gone blobs, waiting out grace) visited so far, summed over
     * the hosted partitions: for tests of what one request costs.
     */
    public long inClosureVisits() {
        long sum = 0;
        for (Ledger l : hosted) sum += l.inClosureVisits();
        return sum;
    }

    /** Partition {@code p}'s ledger: for tests. */
    Ledger partition(int p) {
        return parts[p];
    }

    /** Whether {@code hash}'s partition is hosted here (always, unless {@link #hosting}). */
    public boolean ownsHash(BlobHash hash) {
        return parts[partitioning.partitionOf(hash)] != null;
    }

    /** Partition {@code p}'s ledger, which must be hosted here. */
    private Ledger hosted(int p) {
        if (parts[p] == null) throw new IllegalArgumentException("partition " + p + " is not hosted here");
        return parts[p];
    }

    /** The ledger of {@code hash}'s owner, which must be hosted here. */
    private Ledger owner(BlobHash hash) {
        return hosted(partitioning.partitionOf(hash));
    }

    /** The ledger of {@code hash}'s owner, or null when another ledger hosts it ({@link #hosting}). */
    private Ledger here(BlobHash hash) {
        return parts[partitioning.partitionOf(hash)];
    }

    /** Refuses {@code what}, which needs every partition, when only some are hosted here. */
    private void requireAll(String what) {
        if (hostingMode) {
            throw new IllegalStateException(what + " needs every partition; this ledger hosts only some: its driver "
                    + "composes it from the local parts (see PartitionedLedger.hosting)");
        }
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
        if (isolated) return;
        for (Ledger l : hosted) {
            for (int q = 0; q < parts.length; q++) if (q != l.partition()) l.partitionUp(Exports.reporterOf(q), now);
        }
    }

    // ==== Persistent half: applied from events

    /**
     * Every partition takes the registrations it owns, keeps callees owned elsewhere as remote edges, and registers
     * its unknown callees of other partitions' blobs ({@link Ledger#applyRegistered}).
     */
    public void applyRegistered(Collection<Registration> registrations) {
        for (Ledger l : hosted) l.applyRegistered(registrations);
    }

    public void applyPinned(BlobHash hash, Pin pin) {
        owner(hash).applyPinned(hash, pin);
    }

    public void applyUnpinned(BlobHash hash, String owner) {
        owner(hash).applyUnpinned(hash, owner);
    }

    /** Each hosted partition's outcome of one cycle, in partition order ({@link #planCycle}). */
    public void applyCycle(List<CycleOutcome> outcomes) {
        for (int i = 0; i < hosted.length; i++) hosted[i].applyCycle(outcomes.get(i));
    }

    /** Partition {@code partition}'s outcome of a cycle (one event each). */
    public void applyCycle(int partition, CycleOutcome outcome) {
        hosted(partition).applyCycle(outcome);
    }

    public void applyUsed(Collection<BlobHash> hashes) {
        List<List<BlobHash>> split = byOwner(hashes);
        for (Ledger l : hosted) if (!split.get(l.partition()).isEmpty()) l.applyUsed(split.get(l.partition()));
    }

    public void applyDeletionStarted(Collection<BlobHash> hashes, long at) {
        List<List<BlobHash>> split = byOwner(hashes);
        for (Ledger l : hosted) {
            if (!split.get(l.partition()).isEmpty()) l.applyDeletionStarted(split.get(l.partition()), at);
        }
    }

    /**
     * The bytes freed are counted by the hosted partition that owns the first of the hashes it is given: the totals
     * add up (a driver of hosted ledgers gives the bytes to one host, and none to the others).
     */
    public void applyCollected(Collection<BlobHash> hashes, long at, long bytes) {
        List<List<BlobHash>> split = byOwner(hashes);
        for (Ledger l : hosted) {
            if (split.get(l.partition()).isEmpty()) continue;
            l.applyCollected(split.get(l.partition()), at, bytes);
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
        for (Ledger l : hosted) l.applyOrphansCondemned(split.get(l.partition()), upTo);
    }

    public List<BlobHash> condemnedOrphans(int max) {
        return upTo(max, 0, List.of(hosted), Ledger::condemnedOrphans);
    }

    /**
     * Up to {@code max} hashes that {@code ask} gives from {@code sources} (partitions, or their hosts) in turn, from
     * the one at {@code first} on, each asked for what is still missing.
     */
    static <T> List<BlobHash> upTo(int max, int first, List<T> sources,
                                   java.util.function.BiFunction<T, Integer, List<BlobHash>> ask) {
        List<BlobHash> out = new ArrayList<>();
        for (int i = 0; i < sources.size() && out.size() < max; i++) {
            out.addAll(ask.apply(sources.get((first + i) % sources.size()), max - out.size()));
        }
        return out;
    }

    public boolean isCondemnedOrphan(BlobHash hash) {
        return owner(hash).isCondemnedOrphan(hash);
    }

    public BlobHash orphanScanResumesAfter() {
        return hosted[0].orphanScanResumesAfter();
    }

    public long orphansCondemned() {
        return sum(Ledger::orphansCondemned);
    }

    public long orphansDeleted() {
        return sum(Ledger::orphansDeleted);
    }

    private long sum(java.util.function.ToLongFunction<Ledger> f) {
        long n = 0;
        for (Ledger l : hosted) n += f.applyAsLong(l);
        return n;
    }

    /** S10 is per persistence id: one journal for all P partitions, so every partition takes every takeover. */
    public void applyTookOver(String instance, long batchDeadlineMs) {
        for (Ledger l : hosted) l.applyTookOver(instance, batchDeadlineMs);
    }

    public void applyPredecessorsDone(String instance) {
        for (Ledger l : hosted) l.applyPredecessorsDone(instance);
    }

    public void applyPartitions(int partitions) {
        for (Ledger l : hosted) l.applyPartitions(partitions);
    }

    public void applyHosting(String hosting, Integer partition) {
        for (Ledger l : hosted) l.applyHosting(hosting, partition);
    }

    public int generation() {
        return hosted[0].generation();
    }

    public long longestLiveBatchDeadlineMs() {
        return hosted[0].longestLiveBatchDeadlineMs();
    }

    public Set<BlobHash> deletedForPredecessors() {
        if (hosted.length == 1) return hosted[0].deletedForPredecessors();
        Set<BlobHash> out = new HashSet<>();
        for (Ledger l : hosted) out.addAll(l.deletedForPredecessors());
        return Set.copyOf(out);
    }

    public int recordedPartitions() {
        return hosted[0].recordedPartitions();
    }

    public String recordedHosting() {
        return hosted[0].recordedHosting();
    }

    public Integer recordedPartition() {
        return hosted[0].recordedPartition();
    }

    // ==== Decisions

    /**
     * The hashes among {@code candidates} that a registration cannot take now (asked of their owners). Local, so safe
     * when only some partitions are hosted here ({@link #hosting}): a hash hosted elsewhere is left to its owner (not
     * among the answer) — the driver asks its host, or, for a remote callee, the {@code Protect} of {@link #reserve}
     * answers it gone.
     */
    public List<BlobHash> checkRegister(Collection<BlobHash> candidates) {
        List<BlobHash> out = new ArrayList<>();
        List<List<BlobHash>> split = byOwner(candidates);
        for (Ledger l : hosted) if (!split.get(l.partition()).isEmpty()) out.addAll(l.checkRegister(split.get(l.partition())));
        return out;
    }

    /**
     * Why an operator pin on {@code hash} cannot be taken, or empty when it can — then the fence has already recorded
     * every remote callee below it in its owner, on behalf of the partition whose exports will list it once the pin
     * is applied ({@link InstantPartitions#protectRemoteClosure}): the pin's event must be applied before that partition's next
     * export (the coordinator persists it before it handles anything else). At P = 1, {@link Ledger#checkPin}.
     * When only some partitions are hosted here, refused if it reaches another ({@link #hosting}): see
     * {@link #checkPinLocally}.
     */
    public Optional<Refusal> checkPin(BlobHash hash, long now) {
        if (partitioning.count() == 1) return checkPinLocally(hash, now);
        return instant.checkPin(hash, now);
    }

    /**
     * The local part of {@link #checkPin(BlobHash, long)}, asked of the owner's host: why the owner refuses the pin
     * ({@link Ledger#checkPin}). When it does not, the driver checks the closure across partitions and runs the fence
     * ({@link #fenceStarts}) before the pin's event.
     */
    public Optional<Refusal> checkPinLocally(BlobHash hash, long now) {
        lastLocalNow = Math.max(lastLocalNow, now);
        return owner(hash).checkPin(hash);
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
        List<CycleOutcome> out = new ArrayList<>(hosted.length);
        for (Ledger l : hosted) out.add(l.planCycle(now, localNow, dryRun));
        return out;
    }

    /** {@link #planCycle(long, long, boolean)} numbered {@code cycle}: see {@link Ledger#planCycle(long, long, long, boolean)}. */
    public List<CycleOutcome> planCycle(long cycle, long now, long localNow, boolean dryRun) {
        connect(localNow);
        List<CycleOutcome> out = new ArrayList<>(hosted.length);
        for (Ledger l : hosted) out.add(l.planCycle(cycle, now, localNow, dryRun));
        return out;
    }

    /** The partitions hosted here, in partition order: what {@link #planCycle}'s outcomes are of, one each. */
    public List<Integer> hostedPartitions() {
        List<Integer> out = new ArrayList<>(hosted.length);
        for (Ledger l : hosted) out.add(l.partition());
        return out;
    }

    /**
     * Flushes every partition's exports and delivers each report to its target at once (partitions.md §1, "When A
     * flushes": after every cycle's apply, live only — never while replaying events). A target that needs a FULL
     * gets one at the next exchange. Refused when only some partitions are hosted here: the driver carries the
     * exports ({@link #flushExports(int, long)}).
     */
    public void exchangeExports(long localNow) {
        if (partitioning.count() == 1) return;
        requireAll("exchangeExports");
        instant.exchange(localNow);
        settle(localNow);
    }

    /**
     * A report of partition {@code from}'s exports to partition {@code to}, echoing {@code to}'s generation of its
     * last ask for a FULL (0: none; see {@link #deliverExport}), with {@code fenced}: the latest FULL of each node
     * whose report fence {@code from} had done when it built the report ({@link #fullFenced}; partitions-part2-plan
     * §8). The target keeps the map of the last settled one, and confirms a node's view only once every live
     * partition's map fenced the node's last FULL.
     *
     * <p>{@code contentStamp}: the seq of the last report with content {@code from} had sent to {@code to} when it
     * sent this one ({@link Exports#contentStamp}), which the target keeps, once the report is applied, as its mark of
     * the last report with content applied: the settle round compares it with the sender's ({@link SettleStatus}).
     * The sender decides what has content, since only it knows what it listed since its last FULL
     * (partitions-part2-plan §10, tier 1). Null, as from an older sender: the target judges as for a node's report.
     *
     * <p>{@code cut}: the sender's part of the settle round's cut ({@link Cut}; partitions-part2-plan §10, tier 2).
     * Null, as from an older sender or when the sender has taken no cut: none.
     */
    public record Export(int from, int to, NodeReport report, int echo, Map<String, FencedFull> fenced,
                         Long contentStamp, Cut cut) {
        public Export {
            java.util.TreeMap<String, FencedFull> copy = new java.util.TreeMap<>();
            if (fenced != null) fenced.forEach((n, f) -> { // no null key or value (CBOR can carry them)
                if (n != null && f != null) copy.put(n, f);
            });
            fenced = java.util.Collections.unmodifiableMap(copy);
        }

        /** An export with no content stamp (as an older sender's). */
        public Export(int from, int to, NodeReport report, int echo, Map<String, FencedFull> fenced) {
            this(from, to, report, echo, fenced, null, null);
        }

        /** An export with no cut part (as an older sender's). */
        public Export(int from, int to, NodeReport report, int echo, Map<String, FencedFull> fenced,
                      Long contentStamp) {
            this(from, to, report, echo, fenced, contentStamp, null);
        }
    }

    /**
     * The report fence of {@code node}'s FULL (incarnation, seq) is done in the partitions hosted here: the driver's
     * {@link FenceWalk} for the holds it added ({@link #reportedHolds}) is {@code done()}, gone answers included — or
     * it added none. Each hosted partition that applied that FULL (or a later one) keeps it as fenced, and its exports
     * say so from then on ({@link Export#fenced}). The whole need not call it: it fences as it applies.
     */
    public void fullFenced(String node, long incarnation, long seq) {
        for (Ledger l : hosted) l.fullFenced(node, incarnation, seq);
    }

    /**
     * {@code node}'s FULL (incarnation, seq) is fenced in every partition already: its driver applied every share and
     * ran the walk over all partitions in one step ({@link InstantPartitions#report}).
     */
    void fencedEverywhere(String node, long incarnation, long seq) {
        for (Ledger l : hosted) l.fencedEverywhere(node, incarnation, seq);
    }

    /** The live nodes whose last FULL some live partition has not fenced yet, each once: what holds them back. */
    public List<String> unfencedFulls() {
        Set<String> out = new LinkedHashSet<>();
        for (Ledger l : hosted) out.addAll(l.unfencedFulls());
        return List.copyOf(out);
    }

    /**
     * Flushes every hosted partition's exports without delivering them: what a driver that carries the partitions'
     * messages itself (the simulation, with delays, loss and reordering; part 2, over the network) sends, each to be
     * handed to {@link #deliverExport} when it arrives. {@link #exchangeExports} is this with every report delivered
     * at once.
     */
    public List<Export> flushExports(long localNow) {
        List<Export> out = new ArrayList<>();
        if (partitioning.count() == 1) return out;
        for (Ledger l : hosted) out.addAll(flushExports(l.partition(), localNow));
        return out;
    }

    /** Flushes hosted partition {@code p}'s exports without delivering them (see {@link #flushExports(long)}). */
    public List<Export> flushExports(int p, long localNow) {
        List<Export> out = new ArrayList<>();
        if (partitioning.count() == 1) return out;
        connect(localNow);
        Map<Integer, NodeReport> reports = hosted(p).exports();
        Map<String, FencedFull> fenced = hosted(p).fencedFulls(); // read in the same step as the reports are built
        for (Map.Entry<Integer, NodeReport> e : reports.entrySet()) {
            out.add(new Export(p, e.getKey(), e.getValue(), hosted(p).exportEcho(e.getKey()), fenced,
                    hosted(p).exportContentStamp(e.getKey()), hosted(p).exportCut(e.getKey())));
        }
        return out;
    }

    /**
     * One export arrived: applied by its target (S8 orders it); a target that needs a FULL gets one next flush. When
     * only some partitions are hosted here, the target only applies it: on NEED_FULL, the driver asks the sender's
     * host ({@link #resendExportsFull(int, int, int)}) with the target's {@link #generation}. A hosted target that
     * warms up takes no FULL but the one it asked for since its recovery, which echoes its generation
     * ({@link Ledger#takesFullExport}): any other is answered NEED_FULL. Partitions hosted together recover together,
     * so no export of one predates another's recovery: the rule is for hosted partitions, which recover alone.
     */
    public ReportOutcome deliverExport(Export e, long localNow) {
        if (hostingMode) return applyExport(e, localNow);
        ReportOutcome o = instant.deliver(e, localNow);
        settle(localNow);
        return o;
    }

    /** Export {@code e} applied by its target, hosted here. */
    ReportOutcome applyExport(Export e, long localNow) {
        Ledger target = hosted(e.to());
        if (hostingMode && e.report().kind() != NodeReport.Kind.DELTA && !target.takesFullExport(e.echo())) {
            return ReportOutcome.NEED_FULL;
        }
        return target.report(e.report(), e.fenced(), e.contentStamp(), e.cut(), localNow);
    }

    /**
     * Hosted partition {@code p} takes the settle round's cut {@code k} if it is newer than its own (0: ends it;
     * {@link Ledger#beginCut}): the driver calls it for each {@code SettleQuery}, before it decides to flush.
     */
    public void beginCut(int p, long k) {
        hosted(p).beginCut(k);
    }

    /** Whether hosted partition {@code p}'s next flush sends cut content ({@link SettleStatus#cutDirty}). */
    public boolean cutDirty(int p) {
        return hosted(p).cutDirty();
    }

    /** The settle round's cut hosted partition {@code p} has taken; 0: none. */
    public long cut(int p) {
        return hosted(p).cut();
    }

    /** The cut content hosted partition {@code p}'s exports to {@code target} carried so far: for tests. */
    Set<BlobHash> cutContent(int p, int target) {
        return hosted(p).cutContent(target);
    }

    /**
     * Hosted partition {@code from}'s next report to partition {@code target} is a FULL: the target asked, at its
     * generation {@code echo}, which the reports to it echo from now on.
     */
    public void resendExportsFull(int from, int target, int echo) {
        hosted(from).resendExportsFull(target, echo);
    }

    /**
     * Up to {@code max} blobs that may move to DELETING now, taken from the partitions in turn, starting each call
     * with the next partition (a partition with a long backlog does not starve the others).
     */
    public List<BlobHash> planDeletion(int max) {
        int first = deletionTurn;
        deletionTurn = (deletionTurn + 1) % hosted.length;
        return upTo(max, first, List.of(hosted), Ledger::planDeletion);
    }

    public List<BlobHash> deleting(int max) {
        return upTo(max, 0, List.of(hosted), Ledger::deleting);
    }

    /** Whether {@code hash} is protected; false for a hash another ledger hosts ({@link #hosting}): not here. */
    public boolean isProtected(BlobHash hash) {
        Ledger l = here(hash);
        return l != null && l.isProtected(hash);
    }

    /**
     * The blobs of {@code hash}'s dependency closure, across partitions, that must be uploaded again before it can be
     * acquired: DELETING or COLLECTED ones, and remote callees their owner does not know (a pruned tombstone: no
     * content either, partitions.md §6 risk 9). When only some partitions are hosted here, refused if it reaches another: see
     * {@link #localGoneInClosure}.
     */
    public List<BlobHash> goneInClosure(BlobHash hash) {
        if (partitioning.count() == 1) return hosted[0].goneInClosure(hash);
        return instant.goneInClosure(hash);
    }

    /**
     * The gone blobs of the closures of {@code hashes} (what a refused registration names to upload again), each once,
     * breadth first from them: at P = 1 in one walk ({@link Ledger#goneInClosures}: an unknown hash is gone itself);
     * across partitions hosted here, {@link #goneInClosure} of each.
     */
    public List<BlobHash> goneInClosures(Collection<BlobHash> hashes) {
        if (partitioning.count() == 1) return hosted[0].goneInClosures(hashes);
        Set<BlobHash> out = new LinkedHashSet<>();
        for (BlobHash h : hashes) out.addAll(status(h).isPresent() ? goneInClosure(h) : List.of(h));
        return List.copyOf(out);
    }

    /**
     * Whether a registration may name {@code hash} as a callee: known, and nothing gone in its closure. When only
     * some partitions are hosted here, refused if it reaches another.
     */
    public boolean hasContentInClosure(BlobHash hash) {
        if (partitioning.count() == 1) return hosted[0].hasContentInClosure(hash);
        return instant.hasContentInClosure(hash);
    }

    /**
     * The local part of {@link #hasContentInClosure}, safe when only some partitions are hosted here: whether
     * {@code hash}'s owner, hosted here, knows it and nothing in its local closure is DELETING or COLLECTED; false for a
     * hash hosted elsewhere. What a hosted partition checks of a registration's local callees (partitions.md §3, phase
     * 1); the remote callees below them ({@link #remoteCallees}) are checked by the {@code Protect}s of
     * {@link #reserve} instead — gone, or recorded until the registration is persisted.
     */
    public boolean hasLocalContentInClosure(BlobHash hash) {
        Ledger l = here(hash);
        return l != null && l.hasContentInClosure(hash);
    }

    /** The blobs a use of {@code hash} keeps alive, across partitions, that wait out their grace now. */
    public List<BlobHash> waitingOutGrace(BlobHash hash) {
        return waitingOutGrace(List.of(hash));
    }

    /**
     * The blobs a use of {@code hashes} keeps alive, across partitions, that wait out their grace now. When only
     * some partitions are hosted here, refused if it reaches another: see {@link #localWaitingOutGrace}.
     */
    public List<BlobHash> waitingOutGrace(Collection<BlobHash> hashes) {
        return instant.waitingOutGrace(hashes);
    }

    /**
     * One step of a closure query across partitions, asked of {@code hash}'s owner: the remote callees below it (its
     * local closure's edges to other partitions' blobs), which the query asks of their owners next.
     */
    public Set<BlobHash> remoteCalleesBelow(BlobHash hash) {
        return owner(hash).remoteCalleesBelow(List.of(hash));
    }

    /**
     * The local part of {@link #goneInClosure}, asked of {@code hash}'s owner for each blob the closure meets here: the
     * gone blobs of its local closure when it is known here; else itself when it is a callee met on the way (a pruned
     * tombstone), and nothing when it is the blob {@code asked} about (an unknown blob itself is no gone callee, as
     * at P = 1).
     */
    public List<BlobHash> localGoneInClosure(BlobHash hash, boolean asked) {
        Ledger l = owner(hash);
        if (l.status(hash).isPresent()) return l.goneInClosure(hash);
        return asked ? List.of() : List.of(hash);
    }

    /**
     * What a linked partition's acquire of {@code hash} answers GONE with, when its own part of the closure has gone
     * blobs: those ({@link #localGoneInClosure}), and the remote callees below each of them. Their owners are not
     * asked (a gone blob's closure is not walked: nothing below it is to be protected now), and a VM told GONE uploads
     * what the answer names again, then acquires again: one that is still there is uploaded again for nothing (content
     * addressing makes that harmless), while one gone too and left out would have the VM upload the caller again and
     * again, each registration refused for its gone callee (the demo at P = 4: a function and its library in two
     * partitions, both collected). A gone callee two partitions away is not named (its owner alone knows it).
     */
    public List<BlobHash> goneToUploadAgain(BlobHash hash) {
        List<BlobHash> gone = localGoneInClosure(hash, true);
        if (gone.isEmpty()) return gone;
        Set<BlobHash> out = new LinkedHashSet<>(gone);
        for (BlobHash g : gone) if (ownsHash(g)) out.addAll(remoteCalleesBelow(g));
        return List.copyOf(out);
    }

    /**
     * One step of a {@link GoneWalk}, asked of the owner of {@code hashes}: the gone blobs of their local closures (an
     * unknown hash is gone itself: {@link Ledger#goneInClosures}) and the remote callees below those closures, by owner
     * partition, each once — one walk from all of them (review 31: a walk per hash cost k × n over a shared library,
     * and listed its remote callees k times). Hashes not hosted here are left out. Reads only.
     */
    public GoneWalk.Found goneBelow(Collection<BlobHash> hashes) {
        Map<Integer, Set<BlobHash>> below = new java.util.TreeMap<>();
        for (List<BlobHash> share : hostedShares(hashes)) {
            for (BlobHash r : owner(share.get(0)).remoteCalleesBelow(share)) {
                below.computeIfAbsent(partitioning.partitionOf(r), k -> new LinkedHashSet<>()).add(r);
            }
        }
        Map<Integer, List<BlobHash>> out = new java.util.TreeMap<>();
        below.forEach((p, hs) -> out.put(p, List.copyOf(hs)));
        return new GoneWalk.Found(localGoneInClosures(hashes), out);
    }

    /**
     * The gone blobs of the local closures of {@code hashes} hosted here (an unknown hash is gone itself), one walk
     * per hosting partition ({@link Ledger#goneInClosures}): what a linked partition knows of them. Others left out.
     */
    public List<BlobHash> localGoneInClosures(Collection<BlobHash> hashes) {
        Set<BlobHash> gone = new LinkedHashSet<>();
        for (List<BlobHash> share : hostedShares(hashes)) gone.addAll(owner(share.get(0)).goneInClosures(share));
        return List.copyOf(gone);
    }

    /** {@code hashes} hosted here, by owner partition: the non-empty shares. */
    private List<List<BlobHash>> hostedShares(Collection<BlobHash> hashes) {
        List<BlobHash> own = new ArrayList<>();
        for (BlobHash h : hashes) if (h != null && ownsHash(h)) own.add(h);
        return byOwner(own).stream().filter(share -> !share.isEmpty()).toList();
    }

    /**
     * The local part of {@link #waitingOutGrace(Collection)}: the blobs of the local closures of {@code roots} (the
     * ones hosted here: the roots and remote callees the closure met in these partitions) that wait out their grace.
     */
    public List<BlobHash> localWaitingOutGrace(Collection<BlobHash> roots) {
        List<BlobHash> out = new ArrayList<>();
        List<List<BlobHash>> split = byOwner(roots);
        for (Ledger l : hosted) {
            if (!split.get(l.partition()).isEmpty()) out.addAll(l.waitingOutGrace(split.get(l.partition())));
        }
        return out;
    }

    // ==== Soft half: node views

    public void memberUp(String node, long now) {
        for (Ledger l : hosted) l.memberUp(node, now);
    }

    public void memberRemoved(String node, long now) {
        for (Ledger l : hosted) l.memberRemoved(node, now);
    }

    /**
     * After a recovery (S5): every partition begins its warm-up, with a view of every other partition. They recover
     * together and would wait for each other's settled FULLs, which none sends while it warms up: the settle round
     * ({@link #settle}) ends their warm-ups together once every node's FULL is in.
     */
    public void beginWarmUp(Collection<String> upMembers, long now) {
        connected = false;
        connect(now);
        for (Ledger l : hosted) l.beginWarmUp(upMembers, now);
    }

    /** The driver wrote its own takeover before it began the warm-up: see {@link Ledger#tookOverFirst}. */
    public void tookOverFirst() {
        for (Ledger l : hosted) l.tookOverFirst();
    }

    /**
     * The settle round of partitions.md §1 in one JVM, where messages arrive at once: when every partition waits only
     * for the other partitions (every node's FULL is in), the partitions exchange their provisional exports until a
     * round adds nothing — exports only grow then (imports are added, never removed, and no node reports in between),
     * so they are at a fixpoint, which holds every root's closure — and then end their warm-ups together and send
     * settled FULLs. Nothing was decided before: no partition marked anything while warming up.
     */
    private void settle(long now) {
        if (partitioning.count() == 1 || hostingMode || !warmingUp()) return;
        for (Ledger l : hosted) {
            for (String blocker : l.warmUpBlockers()) if (!isPartition(blocker)) return;
        }
        while (instant.exchange(now)) {
            // another round: something was added, which the next flush carries one hop further
        }
        partitionsSettled();
        instant.exchange(now); // the settled FULLs: they replace the views with the same sets, and confirm
    }

    /**
     * The settle round's fixpoint reached (partitions.md §1): every hosted partition ends its warm-up
     * ({@link Ledger#partitionsSettled}). Called by the settle round: here at once, or by the driver of hosted ledgers.
     */
    public void partitionsSettled() {
        for (Ledger l : hosted) l.partitionsSettled();
    }

    /** The reporter id partition {@code p}'s exports go under: {@code partition:<p>}. */
    public static String reporterOf(int p) {
        return Exports.reporterOf(p);
    }

    /** Whether {@code reporter} is a partition's reporter id ({@code partition:...}): no node may report under one. */
    public static boolean isPartitionReporter(String reporter) {
        return reporter.startsWith(Exports.REPORTER_PREFIX);
    }

    /**
     * What hosted partition {@code p} answers a poll of the settle round over messages ({@link SettleStatus},
     * {@link SettleRound}): the driver of hosted ledgers — a partition entity, part 2 — flushes {@code p}'s exports
     * first ({@link #flushExports(int, long)}) and sends them, then answers with this. Read only. When the round
     * settles, the driver calls {@link #partitionsSettled} (for a {@code Settled} of {@code p}'s generation only:
     * {@link SettleRound#appliesTo}). A ledger of every partition settles by itself ({@link #settle}).
     */
    public SettleStatus settleStatus(int p) {
        return hosted(p).settleStatus();
    }

    private boolean isPartition(String reporter) {
        for (int q = 0; q < parts.length; q++) if (Exports.reporterOf(q).equals(reporter)) return true;
        return false;
    }

    /**
     * Applies a node's report: one share per partition, each with the hashes it owns and the report's (incarnation,
     * seq, chunk, chunks). The outcome is the most telling of the shares' (they agree unless a partition lost
     * something): a FULL needed first, then a refusal, a chunk buffered, applied. Then the holds it adds are fenced
     * ({@link #reportedHolds}). When only some partitions are hosted here, only their shares are applied, and the
     * driver fences the holds with the outcome over all partitions ({@link #reportedHolds}).
     */
    public ReportOutcome report(NodeReport r, long now) {
        if (partitioning.count() == 1) return hosted[0].report(r, now);
        if (hostingMode) return reportShares(r, now);
        ReportOutcome out = instant.report(r, now);
        settle(now);
        return out;
    }

    /** The shares of report {@code r} of the partitions hosted here, applied; the most telling of their outcomes. */
    ReportOutcome reportShares(NodeReport r, long now) {
        connect(now);
        List<NodeReport> shares = r.shares(partitioning);
        ReportOutcome out = null;
        for (Ledger l : hosted) out = mostTelling(out, l.report(shares.get(l.partition()), now));
        reportOutcomes.merge(out, 1L, Long::sum);
        return out;
    }

    /** The more telling of two shares' outcomes ({@code a} null: none yet). */
    static ReportOutcome mostTelling(ReportOutcome a, ReportOutcome b) {
        return a == null || rank(b) > rank(a) ? b : a;
    }

    /**
     * The local part of the fence of reported holds (review of step 4): a hold a report adds is fenced like an
     * acquire — a node may hold a blob it did not acquire from this instance (back from a policy {@code drop} with a
     * FULL, or after a recovery), and its owner holds it at once, while the owners of its remote callees would learn
     * it only from the owner's next export, built later, and meanwhile confirm with the node's share, which does not
     * list them. So the remote closure of every blob a report adds, and that is protected in its owner now, is
     * recorded in its owners before anything else happens: these are those blobs hosted here, the roots of that fence
     * ({@link #fenceStarts}), for report {@code r} whose outcome over all partitions is {@code outcome}. A chunked FULL
     * is fenced when its last chunk is applied, with the hashes of all its chunks (buffered here until then).
     *
     * <p>With only some partitions hosted here, {@code outcome} is the report's over all of them only if the driver
     * merged the hosts' outcomes first (the differential test does); a partition entity that uses its own share's
     * outcome fences at least as much (part 2, S1.6).
     */
    public List<BlobHash> reportedHolds(NodeReport r, ReportOutcome outcome) {
        List<BlobHash> chunks = fullChunks.get(r.node());
        if (r.kind() == NodeReport.Kind.FULL && outcome == ReportOutcome.CHUNK_BUFFERED) {
            if (chunks == null || fullChunksSeq.getOrDefault(r.node(), -1L) != r.seq()) {
                fullChunks.put(r.node(), chunks = new ArrayList<>());
                fullChunksSeq.put(r.node(), r.seq());
            }
            chunks.addAll(r.activeAdded());
            chunks.addAll(r.pinsAdded());
            return List.of();
        }
        if (outcome != ReportOutcome.APPLIED) return List.of();
        Set<BlobHash> added = new LinkedHashSet<>(r.activeAdded());
        added.addAll(r.pinsAdded());
        if (r.kind() == NodeReport.Kind.FULL && chunks != null && fullChunksSeq.get(r.node()) == r.seq()) added.addAll(chunks);
        fullChunks.remove(r.node());
        fullChunksSeq.remove(r.node());
        List<BlobHash> held = new ArrayList<>();
        for (BlobHash h : added) if (isProtected(h)) held.add(h);
        return held;
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
     * after the check: messages arrive at once). When only some partitions are hosted here, refused if it reaches
     * another: see
     * {@link #acquireLocally}.
     */
    public AcquireOutcome acquire(String node, long incarnation, long afterSeq, BlobHash hash, long now) {
        if (partitioning.count() == 1) return acquireLocally(node, incarnation, afterSeq, hash, now);
        return instant.acquire(node, incarnation, afterSeq, hash, now);
    }

    /**
     * The local part of {@link #acquire}, asked of the owner's host once no gone blob was found in the closure: the
     * owner records the acquire ({@link Ledger#acquire}). When it is ACQUIRED, the driver runs the fence from here
     * ({@link #fenceStarts}) before it answers.
     */
    public AcquireOutcome acquireLocally(String node, long incarnation, long afterSeq, BlobHash hash, long now) {
        return owner(hash).acquire(node, incarnation, afterSeq, hash, now);
    }

    /** Where a {@link FenceWalk} starts: partition {@code root}'s frontier below the roots it owns. */
    public record FenceStart(int root, List<ProtectOutcome.Frontier> frontier) {
        public FenceStart {
            frontier = List.copyOf(frontier);
        }
    }

    /**
     * The starts of the fence below {@code roots} ({@link FenceWalk#start}), one per hosted partition that owns some
     * of them, in partition order: each one's frontier below those it owns ({@link Ledger#frontier}; remembered as
     * asked). Roots another ledger hosts are left to it.
     */
    public List<FenceStart> fenceStarts(Collection<BlobHash> roots, long now) {
        connect(now);
        List<FenceStart> out = new ArrayList<>();
        List<List<BlobHash>> byRoot = byOwner(roots);
        for (Ledger l : hosted) {
            List<BlobHash> own = byRoot.get(l.partition());
            if (!own.isEmpty()) out.add(new FenceStart(l.partition(), l.frontier(own)));
        }
        return out;
    }

    /**
     * A {@link FenceWalk}'s ask answered by its partition, hosted here ({@link Ledger#protect}): {@code ask.hashes()}
     * recorded in the view of partition {@code ask.onBehalfOf()} — the partition whose frontier named them, whose
     * exports will list them — and the next hop's frontier, read here.
     */
    public ProtectOutcome protect(FenceWalk.ProtectAsk ask, boolean used, long now) {
        connect(now);
        return hosted(ask.to()).protect(Exports.reporterOf(ask.onBehalfOf()), ask.incarnation(), ask.afterSeq(),
                ask.hashes(), used, now);
    }

    // ==== Registrations across partitions (partitions.md §3, phase 2; partitions-part2-plan S1.7)

    /**
     * A pending registration's reservation ({@link #reserve}): {@code starts} are the frontiers its {@link FenceWalk}
     * starts from (one per caller partition hosted here that reserved something), to be walked with
     * {@code used = inUse(caller)}; {@link #release} it after the registration is persisted and applied, or refused.
     */
    public record Reservation(long id, List<FenceStart> starts) {
        public Reservation {
            starts = List.copyOf(starts);
        }

        /** Whether nothing was reserved: no callee crosses a partition, so there is no walk and nothing to release. */
        public boolean isEmpty() {
            return starts.isEmpty();
        }
    }

    /**
     * The remote callees of {@code registrations} by the partition of their caller, for the caller partitions hosted
     * here only (each host takes its own callers' share): {@link Ledger#remoteCalleesOf}. Empty at P = 1, and when no
     * edge crosses a partition. Reads only.
     */
    public Map<Integer, Set<BlobHash>> remoteCallees(Collection<Registration> registrations) {
        Map<Integer, Set<BlobHash>> out = new java.util.TreeMap<>();
        if (partitioning.count() == 1) return out;
        List<List<Registration>> split = byOwner(registrations, Registration::hash);
        for (Ledger l : hosted) {
            Set<BlobHash> own = l.remoteCalleesOf(split.get(l.partition()));
            if (!own.isEmpty()) out.put(l.partition(), own);
        }
        return out;
    }

    /**
     * Reserves the remote callees of a pending registration batch (partitions.md §3, phase 2): each <b>caller's</b>
     * partition, hosted here, reserves the callees of its callers that other partitions own ({@link #remoteCallees}),
     * so that every export it sends their owners lists them — whether or not a caller protects them, which none can
     * yet, the callers not being registered — until {@link #release}. A callee the caller's partition owns is never
     * reserved (it needs no export; phase 1 checks it there), nor is a registration whose caller is hosted elsewhere
     * (its host reserves). The frontiers are read after the reservation, so a report that drops the stickies their
     * {@code Protect}s record was built after it. The driver then: walks the starts ({@link FenceWalk}, asks answered
     * by {@link #protect}), refuses the callers with a gone callee (to the fixpoint), persists the rest
     * ({@code BlobsRegistered}), applies them ({@link #applyRegistered}) and releases — in that order: released before
     * the apply, an export could drop a sticky the registration still needs.
     */
    public Reservation reserve(Collection<Registration> registrations, long now) {
        return reserve(remoteCallees(registrations), now);
    }

    /**
     * Reserves the remote callees below {@code roots} (their local closures; {@link #remoteCalleesBelow}), each in its
     * root's partition, hosted here (roots hosted elsewhere are left to their host): for an operator pin on a hosted
     * blob (partitions.md §3, "Operator pins"), whose fence runs before the pin's event — until it is applied, nothing
     * protects those callees here, and an export in between would drop their stickies. Release it after the apply.
     */
    public Reservation reserveBelow(Collection<BlobHash> roots, long now) {
        Map<Integer, Set<BlobHash>> byCaller = new java.util.TreeMap<>();
        if (partitioning.count() == 1) return new Reservation(0, List.of());
        List<List<BlobHash>> split = byOwner(roots);
        for (Ledger l : hosted) {
            Set<BlobHash> below = l.remoteCalleesBelow(split.get(l.partition()));
            if (!below.isEmpty()) byCaller.put(l.partition(), below);
        }
        return reserve(byCaller, now);
    }

    /** Reserves {@code byCaller}'s remote callees, each set in its partition, hosted here: see {@link #reserve}. */
    private Reservation reserve(Map<Integer, Set<BlobHash>> byCaller, long now) {
        if (byCaller.isEmpty()) return new Reservation(0, List.of());
        connect(now);
        List<FenceStart> starts = new ArrayList<>();
        byCaller.forEach((p, hs) -> starts.add(new FenceStart(p, hosted(p).reserve(hs))));
        long id = RESERVATIONS.incrementAndGet();
        reservations.put(id, byCaller);
        return new Reservation(id, starts);
    }

    /**
     * Ends {@code reservation} ({@link #reserve}): from the next flush its callees are exported iff a caller protects
     * them. Once only: a second release, or of an empty reservation, or of another ledger's (an instance's before a
     * restart in place), changes nothing (another pending registration of the same callee keeps its own reservation).
     */
    public void release(Reservation reservation) {
        Map<Integer, Set<BlobHash>> byCaller = reservations.remove(reservation.id());
        if (byCaller != null) byCaller.forEach((p, hs) -> hosted(p).release(hs));
    }

    /** How many pending registrations reserve the remote {@code hash} in partition {@code p}: for tests. */
    int reservations(int p, BlobHash hash) {
        return hosted(p).reservations(hash);
    }

    // ==== Queries

    /** What is known of {@code hash}; empty for a hash another ledger hosts ({@link #hosting}): not here. */
    public Optional<BlobInfo> info(BlobHash hash) {
        Ledger l = here(hash);
        return l == null ? Optional.empty() : l.info(hash);
    }

    /** {@code hash}'s status; empty for a hash another ledger hosts ({@link #hosting}): not here. */
    public Optional<BlobStatus> status(BlobHash hash) {
        Ledger l = here(hash);
        return l == null ? Optional.empty() : l.status(hash);
    }

    public Map<BlobStatus, Long> counts() {
        Map<BlobStatus, Long> out = new EnumMap<>(BlobStatus.class);
        for (Ledger l : hosted) l.counts().forEach((s, n) -> out.merge(s, n, Long::sum));
        return out;
    }

    public int knownBlobs() {
        int n = 0;
        for (Ledger l : hosted) n += l.knownBlobs();
        return n;
    }

    /**
     * The nodes: their state and report age as the first partition that knows them sees them (every partition takes
     * each node's reports at the same moment; a node that acquired before its first report is known only where it
     * acquired), what they hold and pin added over the partitions, complete and rebuilt only if so in every partition
     * that knows them; the partitions' views of each other are left out.
     */
    public List<NodeInfo> nodes(long now) {
        if (partitioning.count() == 1) return hosted[0].nodes(now);
        List<List<NodeInfo>> each = new ArrayList<>(hosted.length);
        for (Ledger l : hosted) each.add(l.nodes(now));
        return mergedNodes(each);
    }

    /**
     * The nodes of several partitions' (or hosts') lists, in order, merged as {@link #nodes} does; the partitions'
     * views of each other left out. A driver of hosted ledgers merges their {@code nodes} with it.
     */
    List<NodeInfo> mergedNodes(Collection<List<NodeInfo>> lists) {
        return NodeInfo.merged(lists, this::isPartition);
    }

    public boolean warmingUp() {
        for (Ledger l : hosted) if (l.warmingUp()) return true;
        return false;
    }

    public long cycle() {
        return hosted[0].cycle();
    }

    public boolean isNodeRemoved(String node) {
        return hosted[0].isNodeRemoved(node);
    }

    public List<String> members() {
        return hosted[0].members();
    }

    /** Every partition's blockers (a node's FULL, another partition's settled FULL), each once. */
    public List<String> warmUpBlockers() {
        if (partitioning.count() == 1) return hosted[0].warmUpBlockers();
        Set<String> out = new LinkedHashSet<>();
        for (Ledger l : hosted) out.addAll(l.warmUpBlockers());
        return List.copyOf(out);
    }

    /** What became of the nodes' reports (at P &gt; 1 counted here, once per report, not per share). */
    public Map<ReportOutcome, Long> reportOutcomes() {
        if (partitioning.count() == 1) return hosted[0].reportOutcomes();
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
        if (partitioning.count() == 1) return hosted[0].operatorPins(offset, limit);
        List<Ledger.PinnedBlob> all = new ArrayList<>();
        for (Ledger l : hosted) all.addAll(l.operatorPins(0, Integer.MAX_VALUE).getValue());
        return Map.entry(all.size(), pinPage(all, offset, limit));
    }

    /**
     * {@code limit} of the operator pins {@code pins} from {@code offset}, newest first (then by hash and owner): the
     * order of every partition's list, so lists of several partitions merge into one page.
     */
    public static List<Ledger.PinnedBlob> pinPage(Collection<Ledger.PinnedBlob> pins, int offset, int limit) {
        List<Ledger.PinnedBlob> all = new ArrayList<>(pins);
        all.sort(Comparator.comparingLong((Ledger.PinnedBlob x) -> -x.pin().pinnedAt())
                .thenComparing(x -> x.hash().toHex()).thenComparing(x -> x.pin().owner()));
        int from = Math.min(Math.max(0, offset), all.size());
        int to = (int) Math.min(all.size(), (long) from + Math.max(0, limit));
        return List.copyOf(all.subList(from, to));
    }

    /**
     * Newest first. At P &gt; 1 every partition keeps its own entry of each cycle: an entry here is one cycle's
     * entries together (counts added, lists joined).
     */
    public List<HistoryEntry> history(int limit) {
        if (partitioning.count() == 1) return hosted[0].history(limit);
        java.util.TreeMap<Long, HistoryEntry> byCycle = new java.util.TreeMap<>(Comparator.reverseOrder());
        for (Ledger l : hosted) {
            for (HistoryEntry e : l.history(limit)) byCycle.merge(e.cycle(), e, HistoryEntry::plus);
        }
        return byCycle.values().stream().limit(Math.max(0, limit)).toList();
    }

    /** The snapshot of the one partition; at P &gt; 1 there is one per partition ({@link #snapshots}). */
    public LedgerSnapshot snapshot() {
        if (hosted.length > 1) throw new IllegalStateException(hosted.length + " partitions: one snapshot each");
        return hosted[0].snapshot();
    }

    /** One snapshot per partition, in partition order. */
    public List<LedgerSnapshot> snapshots() {
        List<LedgerSnapshot> out = new ArrayList<>(hosted.length);
        for (Ledger l : hosted) out.add(l.snapshot());
        return out;
    }
}
