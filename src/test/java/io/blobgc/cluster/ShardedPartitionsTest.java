package io.blobgc.cluster;

import io.blobgc.BlobGc;
import io.blobgc.BlobHash;
import io.blobgc.InJvmCluster;
import io.blobgc.TestNodes;
import io.blobgc.coordinator.Conductor;
import io.blobgc.coordinator.Coordinator;
import io.blobgc.coordinator.PartitionHosts;
import io.blobgc.ledger.BlobInfo;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.Partitioning;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import io.blobgc.protocol.ReporterProtocol.Registered;
import io.blobgc.store.FileBlobStore;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.ShardRegion.CurrentShardRegionState;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code blob-gc.partition-hosting = sharded} at P = 4 on a real three-member cluster in one JVM (partitions-part2-plan
 * S1.3): the partitions are Cluster Sharding entities spread over the members, each with its own journal
 * {@code blob-gc-partition|p} whose first write is a takeover recording (4, p); the conductor singleton runs the cycles
 * across them, routes acquires, registrations and queries by partition and merges the summary; held blobs stay and
 * unheld ones are collected, in every partition; a member that leaves takes its partitions along, which start again on
 * the others (a second takeover in their journals) and go on with the conductor's cycle numbers.
 */
class ShardedPartitionsTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Partitioning FOUR = Partitioning.of(4);

    @RegisterExtension
    final InJvmCluster cluster = new InJvmCluster();

    private ActorSystem<Void> startNode(ActorSystem<Void> seed) {
        return cluster.start(seed, """
                blob-gc.partitions = 4
                blob-gc.partition-hosting = sharded
                pekko.cluster.sharding.rebalance-interval = 1s
                """);
    }

    @Test
    void partitionsAreEntitiesSpreadOverTheMembersCollectingTheirOwnAndAMoveIsATakeover() throws Exception {
        ActorSystem<Void> node1 = startNode(null);
        ActorSystem<Void> node2 = startNode(node1);
        ActorSystem<Void> node3 = startNode(node1);
        TestProbe<Object> probe = TestProbe.create(node1); // node1 stays to the end
        InJvmCluster.awaitUp(node1, 3, WAIT);
        BlobGc gc1 = BlobGc.get(node1), gc2 = BlobGc.get(node2), gc3 = BlobGc.get(node3);

        // (a) the four partitions, one shard each, over the three members
        probe.awaitAssert(WAIT, () -> {
            Map<ActorSystem<Void>, Set<Integer>> hosted = hostedPartitions();
            Set<Integer> all = new TreeSet<>();
            hosted.values().forEach(all::addAll);
            assertEquals(Set.of(0, 1, 2, 3), all, "every partition hosted: " + hosted);
            // over all three (2, 1, 1: sharding rebalances no further, so no partition moves under (c)'s registration)
            assertEquals(3, hosted.values().stream().filter(ps -> !ps.isEmpty()).count(), "spread: " + hosted);
            return null;
        });
        System.out.println("ShardedPartitionsTest: partitions by member " + describe(hostedPartitions()));

        // (b) each partition's journal begins with its takeover, recording 4 partitions and its own number (a shard
        // is allocated before its entity's takeover is written: wait for the write)
        for (int p = 0; p < 4; p++) {
            String pid = "blob-gc-partition|" + p;
            int partition = p;
            probe.awaitAssert(WAIT, () -> {
                List<Object> events = TestNodes.events(node1, pid);
                assertFalse(events.isEmpty(), "partition " + partition + " wrote its takeover");
                Coordinator.TookOver first = (Coordinator.TookOver) events.get(0);
                assertEquals(4, first.partitions());
                assertEquals(partition, first.partition());
                assertEquals("sharded", first.hosting());
                return null;
            });
        }

        // (c) in every partition: a held blob stays, an unheld one is collected; one registration spans them all
        FileBlobStore store = (FileBlobStore) gc1.store();
        Map<Integer, BlobHash> held = new HashMap<>(), unheld = new HashMap<>();
        for (int i = 0; held.size() < 4 || unheld.size() < 4; i++) {
            String content = "blob " + i;
            int p = FOUR.partitionOf(BlobHash.sha256(content.getBytes()));
            if (!held.containsKey(p)) held.put(p, put(store, content));
            else if (!unheld.containsKey(p)) unheld.put(p, put(store, content));
        }
        List<Registration> registrations = new ArrayList<>();
        for (BlobHash h : held.values()) registrations.add(Registration.of(h));
        for (BlobHash h : unheld.values()) registrations.add(Registration.of(h));
        Registered registered = gc1.register(registrations).toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertEquals(8, registered.accepted().size(), "all accepted: " + registered);
        // a caller of another partition's blob (S1.7): accepted; held, it keeps that callee, which nothing else holds
        String callerContent = "calls the unheld blob of partition 1";
        while (FOUR.partitionOf(BlobHash.sha256(callerContent.getBytes())) == 1) callerContent += ".";
        BlobHash caller = put(store, callerContent), callee = unheld.remove(1);
        int callerPartition = FOUR.partitionOf(caller);
        Registered crossing = gc1.register(List.of(new Registration(caller, List.of(callee))))
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertEquals(List.of(caller), crossing.accepted(), "accepted: " + crossing);

        ActorRef<Object> frame2 = node2.systemActorOf(Behaviors.empty(), "vm-frame", Props.empty());
        ActorRef<Object> frame3 = node3.systemActorOf(Behaviors.empty(), "vm-frame", Props.empty());
        for (var e : held.entrySet()) {
            BlobGc gc = e.getKey() % 2 == 0 ? gc2 : gc3;
            assertEquals(AcquireResult.ACQUIRED, gc.acquire(e.getKey() % 2 == 0 ? frame2 : frame3, e.getValue())
                    .toCompletableFuture().get(30, TimeUnit.SECONDS).result(), "acquired in partition " + e.getKey());
        }
        assertEquals(AcquireResult.ACQUIRED, gc2.acquire(frame2, caller).toCompletableFuture().get(30, TimeUnit.SECONDS)
                .result(), "the caller acquired");
        held.put(-1, caller);
        held.put(-2, callee);
        probe.awaitAssert(WAIT, () -> {
            for (BlobHash h : unheld.values()) assertEquals(BlobStatus.COLLECTED, status(node2, h), "collected: " + h);
            return null;
        });
        for (BlobHash h : unheld.values()) assertFalse(store.exists(h), "deleted from the store: " + h);
        for (BlobHash h : held.values()) {
            assertTrue(store.exists(h), "kept: " + h);
            assertEquals(BlobStatus.ACTIVE, status(node3, h));
        }
        Coordinator.Summary summary = gc3.summary().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertEquals(6L, summary.counts().get("ACTIVE"), "summary: " + summary.counts());
        assertEquals(3L, summary.counts().get("COLLECTED"), "summary: " + summary.counts());
        assertEquals(3L, summary.totalCollected());
        assertFalse(summary.warmingUp(), "warm: " + summary.warmUpBlockers());
        assertEquals(3, summary.nodes().size(), "three nodes: " + summary.nodes());
        assertEquals(Cluster.get(node1).selfMember().address().toString(), summary.coordinatorNode());
        assertTrue(summary.cycle() > 0);
        assertEquals(List.of(0, 1, 2, 3), summary.partitions().stream().map(Coordinator.PartitionStatus::partition)
                .toList(), "every partition listed: " + summary.partitions());
        for (Coordinator.PartitionStatus p : summary.partitions()) {
            assertTrue(p.answered() && !p.warmingUp() && p.cycle() > 0
                    && p.blobs() == (p.partition() == callerPartition ? 3 : 2), "partition: " + p);
        }
        assertTrue(summary.partitions().stream().map(Coordinator.PartitionStatus::member).distinct().count() >= 2,
                "hosted by two members or more: " + summary.partitions());

        // (d) a member hosting a partition leaves: the partition starts again on another, takes over its journal
        // once more, and answers the conductor's cycles again
        Map<ActorSystem<Void>, Set<Integer>> before = hostedPartitions();
        ActorSystem<Void> leaving = !before.get(node3).isEmpty() ? node3 : node2;
        int k = before.get(leaving).iterator().next();
        String pid = "blob-gc-partition|" + k;
        long takeOversBefore = TestNodes.events(node1, pid).stream().filter(e -> e instanceof Coordinator.TookOver)
                .count();
        long leftAtCycle = gc1.summary().toCompletableFuture().get(30, TimeUnit.SECONDS).cycle();
        cluster.stop(leaving);
        probe.awaitAssert(WAIT, () -> {
            assertTrue(hostedPartitions().values().stream().anyMatch(ps -> ps.contains(k)), "moved: " + k);
            List<Object> events = TestNodes.events(node1, pid);
            assertTrue(events.stream().filter(e -> e instanceof Coordinator.TookOver).count() > takeOversBefore,
                    "a second takeover in " + pid);
            long conductorCycle = gc1.summary().toCompletableFuture().get(30, TimeUnit.SECONDS).cycle();
            assertTrue(events.stream().anyMatch(e -> e instanceof Coordinator.CycleCompleted c
                            && c.outcome().cycle() > leftAtCycle + 1 && c.outcome().cycle() <= conductorCycle),
                    "partition " + k + " ran a later conductor cycle");
            return null;
        });
        List<Conductor.CycleRecorded> recorded = TestNodes.events(node1, Coordinator.PERSISTENCE_ID.id()).stream()
                .filter(e -> e instanceof Conductor.CycleRecorded).map(e -> (Conductor.CycleRecorded) e).toList();
        long skippedK = recorded.stream().filter(c -> c.cycle() > leftAtCycle && c.skipped().contains(k)).count();
        System.out.println("ShardedPartitionsTest: partition " + k + " moved; the conductor recorded it skipped in "
                + skippedK + " cycle(s) meanwhile; cycles after the move: "
                + recorded.stream().filter(c -> c.cycle() > leftAtCycle).count());
        for (BlobHash h : held.values()) {
            assertTrue(store.exists(h), "kept after the move: " + h);
            BlobInfo info = TestNodes.blobInfo(node1, h);
            assertNotNull(info);
            assertNotEquals(BlobStatus.COLLECTED, info.status());
        }
    }

    /**
     * The partitions whose shards each member's region hosts now, by member (identity: every system has one name, and
     * systems of one name are equal).
     */
    private Map<ActorSystem<Void>, Set<Integer>> hostedPartitions() {
        Map<ActorSystem<Void>, Set<Integer>> out = new java.util.IdentityHashMap<>();
        for (ActorSystem<Void> s : cluster.members()) {
            TestProbe<CurrentShardRegionState> p = TestProbe.create(s);
            ClusterSharding.get(s).shardState().tell(new GetShardRegionState(PartitionHosts.TYPE_KEY, p.ref()));
            CurrentShardRegionState state = p.receiveMessage(Duration.ofSeconds(10));
            Set<Integer> ps = new TreeSet<>();
            state.getShards().forEach(shard -> ps.add(Integer.parseInt(shard.shardId())));
            out.put(s, ps);
        }
        return out;
    }

    private static String describe(Map<ActorSystem<Void>, Set<Integer>> hosted) {
        StringBuilder b = new StringBuilder();
        hosted.forEach((s, ps) -> b.append(Cluster.get(s).selfMember().address().port().get()).append('=')
                .append(ps).append(' '));
        return b.toString().trim();
    }


    private static BlobHash put(FileBlobStore store, String content) throws Exception {
        byte[] bytes = content.getBytes();
        BlobHash h = BlobHash.sha256(bytes);
        store.put(h, bytes);
        return h;
    }

    private static BlobStatus status(ActorSystem<?> s, BlobHash h) throws Exception {
        BlobInfo info = TestNodes.blobInfo(s, h);
        return info == null ? null : info.status();
    }
}
