package io.blobgc.ledger;

import io.blobgc.BlobHash;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The messages between partitions delivered at once, by method call, in the order they are sent: the driver of
 * everything that crosses partitions — the fence ({@link #acquire}, {@link #checkPin}, {@link #fenceReportedHolds}),
 * the closure queries ({@link #goneInClosure}, {@link #waitingOutGrace}) and the exports ({@link #exchange}) — over
 * the {@link PartitionedLedger}s that host the partitions, each asked only for its local part. One
 * {@code PartitionedLedger} of every partition is its own driver (all P hosted by itself); hosted ledgers
 * ({@link PartitionedLedger#hosting}) are driven by one of these over all of them in tests, as entities will drive
 * each other by messages (part 2): the same local parts, in the same order.
 */
final class InstantPartitions {

    private final Partitioning partitioning;
    /** The host of each partition, by partition; null for one hosted elsewhere ({@link #host}). */
    private final PartitionedLedger[] hostOf;
    /** Every host once, in the order of its first partition. */
    private final List<PartitionedLedger> hosts;
    /** Whether every partition has a host here: a walk from here reaches them all. */
    private final boolean everyPartition;

    /**
     * {@code hostOf[p]} hosts partition {@code p}; a host may host several (all of them: one JVM). A null host is a
     * partition hosted elsewhere, which this driver cannot reach: what needs it is refused ({@link #host}), so the
     * driver of a hosted ledger answers only what stays in its own partitions.
     */
    InstantPartitions(Partitioning partitioning, PartitionedLedger[] hostOf) {
        if (hostOf.length != partitioning.count()) {
            throw new IllegalArgumentException(hostOf.length + " hosts for " + partitioning.count() + " partitions");
        }
        this.partitioning = partitioning;
        this.hostOf = hostOf.clone();
        List<PartitionedLedger> distinct = new ArrayList<>();
        for (PartitionedLedger h : hostOf) {
            if (h != null && distinct.stream().noneMatch(d -> d == h)) distinct.add(h);
        }
        this.hosts = List.copyOf(distinct);
        this.everyPartition = java.util.Arrays.stream(hostOf).allMatch(java.util.Objects::nonNull);
    }

    /** Every host once, in the order of its first partition. */
    List<PartitionedLedger> hosts() {
        return hosts;
    }

    /**
     * The host of {@code partition}; refused (IllegalStateException) for a partition hosted elsewhere: what needs it
     * crosses to another entity, which only messages reach (partitions-part2-plan S1.6, S1.7).
     */
    PartitionedLedger host(int partition) {
        PartitionedLedger h = hostOf[partition];
        if (h == null) {
            throw new IllegalStateException("this needs partition " + partition + ", which is hosted elsewhere: only "
                    + "messages between the entities reach it (see PartitionedLedger.hosting)");
        }
        return h;
    }

    /** The host of the partition that owns {@code hash}. */
    PartitionedLedger owner(BlobHash hash) {
        return host(partitioning.partitionOf(hash));
    }

    // ==== The fence

    /**
     * The acquire fence (S6) across partitions (partitions.md §2): GONE first when something in the blob's closure,
     * in any partition, is gone (nothing recorded, as one ledger answers); else the owner records the acquire as today
     * ({@link PartitionedLedger#acquireLocally}); then every remote callee below the blob is recorded in its owner,
     * hop by hop, on behalf of the partition whose exports will list it — all before the answer. ACQUIRED only when
     * every one was recorded; STALE when one was asked after a later report of that partition (here no hop can be
     * gone after the check: messages arrive at once).
     */
    AcquireOutcome acquire(String node, long incarnation, long afterSeq, BlobHash hash, long now) {
        PartitionedLedger owner = owner(hash);
        if (!owner.isNodeRemoved(node) && owner.status(hash).isPresent() && !goneInClosure(hash).isEmpty()) {
            return AcquireOutcome.GONE; // before anything is recorded, as one ledger answers (review of step 4)
        }
        AcquireOutcome local = owner.acquireLocally(node, incarnation, afterSeq, hash, now);
        if (local != AcquireOutcome.ACQUIRED) return local;
        FenceWalk f = protectRemoteClosure(List.of(hash), false, now);
        if (!f.gone().isEmpty()) return AcquireOutcome.GONE;
        return f.stale().isEmpty() ? AcquireOutcome.ACQUIRED : AcquireOutcome.STALE;
    }

    /**
     * Why an operator pin on {@code hash} cannot be taken, or empty when it can — then the fence has already recorded
     * every remote callee below it in its owner ({@link #protectRemoteClosure}). See
     * {@link PartitionedLedger#checkPin(BlobHash, long)}.
     */
    Optional<Refusal> checkPin(BlobHash hash, long now) {
        Optional<Refusal> local = owner(hash).checkPinLocally(hash, now);
        if (local.isPresent()) return local;
        List<BlobHash> gone = goneInClosure(hash);
        if (gone.isEmpty()) gone = protectRemoteClosure(List.of(hash), false, now).notRecorded();
        if (gone.isEmpty()) return Optional.empty();
        return Optional.of(Refusal.goneCallees(hash, gone));
    }

    /**
     * A node's report: every host applies its shares ({@link PartitionedLedger#reportShares}); the outcome is the
     * most telling of theirs, and the holds it adds are fenced with it ({@link #fenceReportedHolds}).
     */
    ReportOutcome report(NodeReport r, long now) {
        ReportOutcome out = null;
        for (PartitionedLedger h : hosts) out = PartitionedLedger.mostTelling(out, h.reportShares(r, now));
        fenceReportedHolds(r, out, now);
        return out;
    }

    /**
     * The holds report {@code r} adds, fenced like an acquire ({@link PartitionedLedger#reportedHolds}): one walk from
     * every partition that owns one of them, with {@code outcome} the report's outcome over all partitions.
     */
    void fenceReportedHolds(NodeReport r, ReportOutcome outcome, long now) {
        List<BlobHash> held = new ArrayList<>();
        for (PartitionedLedger h : hosts) held.addAll(h.reportedHolds(r, outcome));
        // all at once: a FULL of N blobs over a shared library of K costs N + K, not N x K (review of the actor at P > 1)
        if (!held.isEmpty()) protectRemoteClosure(held, false, now);
        if (r.kind() == NodeReport.Kind.FULL && outcome == ReportOutcome.APPLIED) {
            // every share applied and the walk done, over every partition, in this one step: the FULL is fenced in
            // each partition, and each knows the others' is too (partitions-part2-plan §8)
            // (with a partition hosted elsewhere, only the hosted ones' walks are known done)
            for (PartitionedLedger h : hosts) {
                if (everyPartition) {
                    h.fencedEverywhere(r.node(), r.incarnation(), r.seq());
                } else {
                    h.fullFenced(r.node(), r.incarnation(), r.seq());
                }
            }
        }
    }

    /**
     * The {@code Protect}s of partitions.md §2, steps 2 to 4, driven at once: a {@link FenceWalk} from the owners of
     * {@code roots} ({@link PartitionedLedger#fenceStarts}), each ask answered by its partition's host as soon as it
     * is given ({@link PartitionedLedger#protect(FenceWalk.ProtectAsk, boolean, long)}), in the order given (breadth
     * first); each owner walks the closures of its roots in one pass, and a hash is asked once per fence (cycles end;
     * a root reached from another root is asked like any callee). The walk returned is done.
     */
    FenceWalk protectRemoteClosure(Collection<BlobHash> roots, boolean used, long now) {
        FenceWalk walk = new FenceWalk();
        ArrayDeque<FenceWalk.ProtectAsk> todo = new ArrayDeque<>();
        for (PartitionedLedger h : hosts) {
            for (PartitionedLedger.FenceStart s : h.fenceStarts(roots, now)) todo.addAll(walk.start(s.root(), s.frontier()));
        }
        while (!walk.done()) {
            FenceWalk.ProtectAsk ask = todo.remove();
            todo.addAll(walk.answered(ask.to(), host(ask.to()).protect(ask, used, now)));
        }
        return walk;
    }

    // ==== Closure queries (they change nothing)

    /**
     * The blobs of {@code hash}'s dependency closure, across partitions, that must be uploaded again before it can be
     * acquired: each partition's gone blobs below the roots it owns ({@link PartitionedLedger#localGoneInClosure}),
     * in partition order.
     */
    List<BlobHash> goneInClosure(BlobHash hash) {
        Set<BlobHash> gone = new LinkedHashSet<>();
        List<List<BlobHash>> roots = closureRoots(List.of(hash));
        for (int p = 0; p < roots.size(); p++) {
            for (BlobHash r : roots.get(p)) gone.addAll(host(p).localGoneInClosure(r, r.equals(hash)));
        }
        return List.copyOf(gone);
    }

    /** Whether a registration may name {@code hash} as a callee: known, and nothing gone in its closure. */
    boolean hasContentInClosure(BlobHash hash) {
        return owner(hash).status(hash).isPresent() && goneInClosure(hash).isEmpty();
    }

    /** The blobs a use of {@code hashes} keeps alive, across partitions, that wait out their grace now. */
    List<BlobHash> waitingOutGrace(Collection<BlobHash> hashes) {
        List<BlobHash> out = new ArrayList<>();
        List<List<BlobHash>> roots = closureRoots(hashes);
        for (int p = 0; p < roots.size(); p++) {
            if (!roots.get(p).isEmpty()) out.addAll(host(p).localWaitingOutGrace(roots.get(p)));
        }
        return out;
    }

    /**
     * Where the dependency closures of {@code hashes} lie, by partition: the given hashes and every remote callee met
     * below them ({@link PartitionedLedger#remoteCalleesBelow}, asked one hash at a time of its owner, breadth first),
     * each in its owner's list. A partition's local closure of its list is the rest.
     */
    private List<List<BlobHash>> closureRoots(Collection<BlobHash> hashes) {
        Set<BlobHash> seen = new HashSet<>();
        ArrayDeque<BlobHash> todo = new ArrayDeque<>(hashes);
        List<List<BlobHash>> out = new ArrayList<>();
        for (int p = 0; p < partitioning.count(); p++) out.add(new ArrayList<>());
        while (!todo.isEmpty()) {
            BlobHash h = todo.poll();
            if (!seen.add(h)) continue;
            out.get(partitioning.partitionOf(h)).add(h);
            if (partitioning.count() > 1) todo.addAll(owner(h).remoteCalleesBelow(h));
        }
        return out;
    }

    // ==== Exports

    /**
     * One flush of every partition, each delivered at once ({@link #deliver}): each partition flushes after taking
     * what the ones before sent it. Whether any report added a hash to its target's view.
     */
    boolean exchange(long localNow) {
        boolean added = false;
        for (int p = 0; p < hostOf.length; p++) {
            for (PartitionedLedger.Export e : host(p).flushExports(p, localNow)) {
                ReportOutcome o = deliver(e, localNow);
                added |= o == ReportOutcome.NEED_FULL || o == ReportOutcome.APPLIED && !e.report().activeAdded().isEmpty();
            }
        }
        return added;
    }

    /** One export arrived: applied by its target (S8 orders it); a target that needs a FULL gets one next flush. */
    ReportOutcome deliver(PartitionedLedger.Export e, long localNow) {
        ReportOutcome o = host(e.to()).applyExport(e, localNow);
        if (o == ReportOutcome.NEED_FULL) host(e.from()).resendExportsFull(e.from(), e.to(), host(e.to()).generation());
        return o;
    }
}
