package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.HistoryEntry;
import io.blobgc.ledger.Partitioning;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.Register;
import io.blobgc.protocol.ReporterProtocol.Registered;
import org.apache.pekko.actor.typed.ActorRef;
import org.slf4j.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The {@link Conductor}'s asks that take more than one partition's answer: a registration split by the registered
 * hashes' partitions, the summary and the operator pins gathered from every partition and merged. Each answers its
 * caller within the gather timeout (half the ask timeout), naming or refusing for now what a partition that did not
 * answer holds.
 */
final class PartitionAsks {

    private final PartitionPeers peers;
    private final Partitioning partitioning;
    private final List<Integer> all;
    private final Duration gatherTimeout;
    private final boolean dryRun;
    private final Logger log;
    /** The partitions are linked entities ({@link Hosting#linked}): they register callees of other partitions. */
    private final boolean linked;

    PartitionAsks(PartitionPeers peers, Partitioning partitioning, Duration gatherTimeout, boolean dryRun, Logger log,
                  boolean linked) {
        this.linked = linked;
        this.peers = peers;
        this.partitioning = partitioning;
        List<Integer> ps = new ArrayList<>();
        for (int p = 0; p < partitioning.count(); p++) ps.add(p);
        this.all = List.copyOf(ps);
        this.gatherTimeout = gatherTimeout;
        this.dryRun = dryRun;
        this.log = log;
    }

    /**
     * The partition that owns {@code hash}; partition 0 for none (a request without its hash: that partition refuses
     * it, with the coordinator's answer to bad input).
     */
    static int owner(Partitioning partitioning, BlobHash hash) {
        return hash == null ? 0 : partitioning.partitionOf(hash);
    }

    /**
     * A registration over linked partitions (partitions-part2-plan S1.7): the shares sent level by level, as
     * {@link RegistrationLevels} plans them (callees' partitions first; a cycle of partitions refused for now), each
     * level once the one before answered, the answers merged.
     */
    private void registerInOrder(Register c) {
        RegistrationLevels.Plan plan = RegistrationLevels.plan(c.registrations(), partitioning);
        List<BlobHash> cyclic = plan.cyclic();
        if (!cyclic.isEmpty()) {
            log.warn("blob-gc refused {} registration(s) for now: their partitions call each other round a cycle in one "
                    + "request (first: {}); register the callees first, then their callers", cyclic.size(), cyclic.get(0));
        }
        CompletionStage<Registered> merged = CompletableFuture.completedFuture(RegistrationLevels.start(plan));
        for (List<Integer> level : plan.levels()) {
            merged = merged.thenCompose(before -> FanIn.<Registered>gather(peers, level,
                            (p, ref) -> new Register(plan.byOwner().get(p), ref), gatherTimeout)
                    .thenApply(g -> RegistrationLevels.merge(before, g.answers(), g.missing(), plan.byOwner())));
        }
        merged.thenAccept(c.replyTo()::tell);
    }

    /**
     * A registration, split by the registered hashes' partitions: each partition registers its own. One whose callee is
     * another partition's is refused here, with a log line: cross-partition dependencies are not built yet
     * (partitions-part2-plan S1.7), and a caller of it in the batch falls with it in its partition. A partition that
     * does not answer in time has its hashes refused for now ({@code retry}: upload again in a while).
     */
    void register(Register c) {
        if (c.registrations() == null || c.registrations().stream().anyMatch(r -> r == null || r.hash() == null)) {
            peers.tell(0, c); // refused there, as by the coordinator
            return;
        }
        if (linked) {
            registerInOrder(c);
            return;
        }
        // by hash: a hash with one entry naming a callee of another partition is refused whole (as the coordinator
        // refuses every entry of a hash it refuses), not accepted through its other entries without that edge
        java.util.Set<BlobHash> crossingHashes = new java.util.LinkedHashSet<>();
        for (Registration r : c.registrations()) {
            int p = owner(partitioning, r.hash());
            if (r.dependencies().stream().anyMatch(d -> d != null && owner(partitioning, d) != p)) crossingHashes.add(r.hash());
        }
        List<BlobHash> crossing = List.copyOf(crossingHashes);
        Map<Integer, List<Registration>> byOwner = new TreeMap<>();
        for (Registration r : c.registrations()) {
            if (!crossingHashes.contains(r.hash())) byOwner.computeIfAbsent(owner(partitioning, r.hash()), q -> new ArrayList<>()).add(r);
        }
        if (!crossing.isEmpty()) {
            log.warn("blob-gc refused {} registration(s) naming a callee of another partition (first: {}): "
                    + "blob-gc.partition-hosting = sharded does not take cross-partition dependencies yet "
                    + "(partitions-part2-plan S1.7); use partition-hosting = coordinator for them", crossing.size(),
                    crossing.get(0));
        }
        if (crossing.isEmpty() && byOwner.size() == 1) {
            peers.tell(byOwner.keySet().iterator().next(), c);
            return;
        }
        FanIn.<Registered>gather(peers, byOwner.keySet(), (p, ref) -> new Register(byOwner.get(p), ref),
                gatherTimeout).thenAccept(g -> c.replyTo().tell(RegistrationLevels.merge(new Registered(List.of(),
                crossing, List.of(), List.of()), g.answers(), g.missing(), byOwner)));
    }

    /** The partitions' summaries merged, with what the conductor knows: its cycle, member and last cycle. */
    void summary(long cycle, String node, HistoryEntry last, ActorRef<Coordinator.Summary> replyTo) {
        FanIn.<Coordinator.Summary>gather(peers, all, (p, ref) -> new Coordinator.GetSummary(ref), gatherTimeout)
                .thenAccept(g -> replyTo.tell(Summaries.merged(g.answers(), g.missing(), cycle, node,
                        dryRun, last)));
    }

    /**
     * A page of the operator pins of every partition, in the order each partition lists its own: each is asked for its
     * first {@code offset + limit} pins, a page at a time (an entity answers at most {@link CoordinatorCore#MAX_PAGE}
     * at once), within the gather timeout in all; the merge keeps the page asked for.
     */
    void pins(Coordinator.GetPins c) {
        int offset = Math.max(0, c.offset());
        int limit = Math.max(0, Math.min(c.limit(), CoordinatorCore.MAX_PAGE));
        long want = (long) offset + limit;
        FanIn.<Coordinator.Pins>gatherEach(all, p -> firstPins(p, want, 0, new ArrayList<>())
                .toCompletableFuture().orTimeout(gatherTimeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS))
                .thenAccept(g -> {
            List<io.blobgc.ledger.Ledger.PinnedBlob> each = new ArrayList<>();
            int total = 0;
            for (Coordinator.Pins p : g.answers().values()) {
                total += p.total();
                each.addAll(p.pins());
            }
            c.replyTo().tell(new Coordinator.Pins(total,
                    io.blobgc.ledger.PartitionedLedger.pinPage(each, offset, limit)));
        });
    }

    /** Partition {@code p}'s first {@code want} pins (or all it has), from {@code from} on, pages after {@code got}. */
    private CompletionStage<Coordinator.Pins> firstPins(int p, long want, int from,
                                                        List<io.blobgc.ledger.Ledger.PinnedBlob> got) {
        int page = (int) Math.min(CoordinatorCore.MAX_PAGE, want - from);
        return peers.<Coordinator.Pins>ask(p, ref -> new Coordinator.GetPins(from, page, ref), gatherTimeout)
                .thenCompose(answer -> {
                    got.addAll(answer.pins());
                    int next = from + answer.pins().size();
                    if (answer.pins().isEmpty() || next >= want || next >= answer.total()) {
                        return CompletableFuture.completedFuture(new Coordinator.Pins(answer.total(), got));
                    }
                    return firstPins(p, want, next, got);
                });
    }
}
