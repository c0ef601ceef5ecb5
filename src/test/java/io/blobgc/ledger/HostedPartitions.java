package io.blobgc.ledger;

import io.blobgc.BlobHash;

import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * P hosted ledgers ({@link PartitionedLedger#hosting}), one per partition, and a synchronous network between them:
 * what crosses partitions is driven by {@link InstantPartitions} over the hosts, which delivers every message at once,
 * in the order {@link PartitionedLedger} sends it to itself; everything else goes to every host (membership,
 * registrations, a batch: each takes its own) or to the owner's (a blob's events and queries). What the hosts answer
 * is put together as one ledger does: lists in partition order, the turn of {@link PartitionedLedger#planDeletion},
 * the most telling report outcome.
 */
final class HostedPartitions implements LedgerUnderTest {

    private final Partitioning partitioning;
    private final PartitionedLedger[] hosts;
    private final InstantPartitions network;
    /** The partition {@link #planDeletion} asks first, as {@link PartitionedLedger#planDeletion} turns. */
    private int deletionTurn;

    HostedPartitions(LedgerSettings settings, int expectedBlobs, Partitioning partitioning) {
        this.partitioning = partitioning;
        hosts = new PartitionedLedger[partitioning.count()];
        for (int p = 0; p < hosts.length; p++) hosts[p] = PartitionedLedger.hosting(settings, expectedBlobs, partitioning, p);
        network = new InstantPartitions(partitioning, hosts);
    }

    /** The host of partition {@code p}. */
    PartitionedLedger host(int p) {
        return hosts[p];
    }

    private PartitionedLedger owner(BlobHash hash) {
        return hosts[partitioning.partitionOf(hash)];
    }

    @Override
    public void memberUp(String node, long now) {
        for (PartitionedLedger h : hosts) h.memberUp(node, now);
    }

    @Override
    public void memberRemoved(String node, long now) {
        for (PartitionedLedger h : hosts) h.memberRemoved(node, now);
    }

    @Override
    public List<BlobHash> checkRegister(Collection<BlobHash> candidates) {
        List<BlobHash> out = new ArrayList<>();
        for (PartitionedLedger h : hosts) out.addAll(h.checkRegister(candidates));
        return out;
    }

    @Override
    public void applyRegistered(Collection<Registration> registrations) {
        for (PartitionedLedger h : hosts) h.applyRegistered(registrations);
    }

    @Override
    public AcquireOutcome acquire(String node, long incarnation, long afterSeq, BlobHash hash, long now) {
        return network.acquire(node, incarnation, afterSeq, hash, now);
    }

    /** Every host applies its share first; then one fence from every root partition, with the merged outcome. */
    @Override
    public ReportOutcome report(NodeReport r, long now) {
        return network.report(r, now);
    }

    @Override
    public Optional<Refusal> checkPin(BlobHash hash, long now) {
        return network.checkPin(hash, now);
    }

    @Override
    public void applyPinned(BlobHash hash, Pin pin) {
        owner(hash).applyPinned(hash, pin);
    }

    @Override
    public void applyUnpinned(BlobHash hash, String owner) {
        owner(hash).applyUnpinned(hash, owner);
    }

    /** Every host plans, then every host applies its outcome, then one exchange of every partition's exports. */
    @Override
    public List<CycleOutcome> cycle(long now, long localNow, boolean dryRun) {
        List<List<CycleOutcome>> each = new ArrayList<>();
        for (PartitionedLedger h : hosts) each.add(h.planCycle(now, localNow, dryRun));
        for (int p = 0; p < hosts.length; p++) hosts[p].applyCycle(each.get(p));
        network.exchange(localNow);
        List<CycleOutcome> out = new ArrayList<>();
        each.forEach(out::addAll);
        return out;
    }

    /** Flushes partition {@code p}'s exports alone and delivers them: what a network may do between two others. */
    List<ReportOutcome> flushOnly(int p, long now) {
        List<ReportOutcome> out = new ArrayList<>();
        for (PartitionedLedger.Export e : hosts[p].flushExports(p, now)) out.add(network.deliver(e, now));
        return out;
    }

    @Override
    public List<BlobHash> planDeletion(int max) {
        int first = deletionTurn;
        deletionTurn = (deletionTurn + 1) % hosts.length;
        return PartitionedLedger.upTo(max, first, List.of(hosts), PartitionedLedger::planDeletion);
    }

    @Override
    public void applyDeletionStarted(Collection<BlobHash> hashes, long at) {
        for (PartitionedLedger h : hosts) h.applyDeletionStarted(hashes, at);
    }

    @Override
    public List<BlobHash> deleting(int max) {
        return PartitionedLedger.upTo(max, 0, List.of(hosts), PartitionedLedger::deleting);
    }

    /** The bytes go to the owner of the first hash, in partition order, as one ledger counts them. */
    @Override
    public void applyCollected(Collection<BlobHash> hashes, long at, long bytes) {
        for (int p = 0; p < hosts.length; p++) {
            int owner = p;
            if (hashes.stream().noneMatch(h -> partitioning.partitionOf(h) == owner)) continue;
            hosts[p].applyCollected(hashes, at, bytes);
            bytes = 0;
        }
    }

    @Override
    public List<NodeInfo> nodes(long now) {
        List<List<NodeInfo>> each = new ArrayList<>();
        for (PartitionedLedger h : hosts) each.add(h.nodes(now));
        return hosts[0].mergedNodes(each);
    }

    @Override
    public Optional<BlobInfo> info(BlobHash hash) {
        return owner(hash).info(hash);
    }

    @Override
    public Optional<BlobStatus> status(BlobHash hash) {
        return owner(hash).status(hash);
    }

    List<BlobHash> goneInClosure(BlobHash hash) {
        return network.goneInClosure(hash);
    }

    boolean hasContentInClosure(BlobHash hash) {
        return network.hasContentInClosure(hash);
    }

    List<BlobHash> waitingOutGrace(Collection<BlobHash> hashes) {
        return network.waitingOutGrace(hashes);
    }

    boolean isProtected(BlobHash hash) {
        return owner(hash).isProtected(hash);
    }

    Map<BlobStatus, Long> counts() {
        Map<BlobStatus, Long> out = new EnumMap<>(BlobStatus.class);
        for (PartitionedLedger h : hosts) h.counts().forEach((s, n) -> out.merge(s, n, Long::sum));
        return out;
    }
}
