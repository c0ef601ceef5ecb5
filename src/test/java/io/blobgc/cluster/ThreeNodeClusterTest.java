package io.blobgc.cluster;

import io.blobgc.BlobGc;
import io.blobgc.BlobHash;
import io.blobgc.InJvmCluster;
import io.blobgc.coordinator.Coordinator;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.store.FileBlobStore;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three ActorSystems in one JVM form a real cluster sharing an H2 file journal and a FileBlobStore: blobs in use
 * on different nodes stay on disk, unused ones are deleted after grace, an operator-pinned one stays; then the
 * oldest node (the coordinator's) leaves, the singleton moves, recovers from the journal, passes the warm-up and
 * keeps the same decisions.
 */
class ThreeNodeClusterTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    final InJvmCluster cluster = new InJvmCluster();

    private ActorSystem<Void> startNode(ActorSystem<Void> seed) {
        return cluster.start(seed, "");
    }

    private static BlobHash put(FileBlobStore store, String content) throws Exception {
        byte[] bytes = content.getBytes();
        BlobHash h = BlobHash.sha256(bytes);
        store.put(h, bytes);
        return h;
    }

    private static BlobStatus status(ActorSystem<?> s, BlobHash h) throws Exception {
        Coordinator.BlobReply r = AskPattern.<ToCoordinator, Coordinator.BlobReply>ask(BlobGc.get(s).coordinator(),
                ref -> new Coordinator.GetBlob(h, ref), Duration.ofSeconds(5), s.scheduler())
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
        return r.info() == null ? null : r.info().status();
    }

    private static Coordinator.Summary summary(ActorSystem<?> s) throws Exception {
        return BlobGc.get(s).summary().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void blobsInUseStayUnusedOnesAreDeletedAndTheSingletonMovesWhenTheOldestLeaves() throws Exception {
        ActorSystem<Void> node1 = startNode(null);
        ActorSystem<Void> node2 = startNode(node1);
        ActorSystem<Void> node3 = startNode(node1);
        TestProbe<Object> probe = TestProbe.create(node2);
        InJvmCluster.awaitUp(node1, 3, WAIT);
        BlobGc gc1 = BlobGc.get(node1), gc2 = BlobGc.get(node2), gc3 = BlobGc.get(node3);
        FileBlobStore store = (FileBlobStore) gc1.store();
        BlobHash onNode2 = put(store, "used on node 2"), onNode3 = put(store, "used on node 3");
        BlobHash unused = put(store, "nobody uses this"), pinned = put(store, "operator keeps this");
        BlobHash callee = put(store, "called by the blob on node 3");
        gc1.register(List.of(Registration.of(onNode2), Registration.of(callee), new Registration(onNode3, List.of(callee)),
                Registration.of(unused), Registration.of(pinned))).toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertTrue(gc1.pin(pinned, "ops", "golden image", null).toCompletableFuture().get(30, TimeUnit.SECONDS).ok());
        ActorRef<Object> holder2 = node2.systemActorOf(Behaviors.empty(), "vm-frame", org.apache.pekko.actor.typed.Props.empty());
        ActorRef<Object> holder3 = node3.systemActorOf(Behaviors.empty(), "vm-frame", org.apache.pekko.actor.typed.Props.empty());
        assertEquals(AcquireResult.ACQUIRED,
                gc2.acquire(holder2, onNode2).toCompletableFuture().get(30, TimeUnit.SECONDS).result());
        assertEquals(AcquireResult.ACQUIRED,
                gc3.acquire(holder3, onNode3).toCompletableFuture().get(30, TimeUnit.SECONDS).result());

        probe.awaitAssert(WAIT, () -> {
            assertEquals(BlobStatus.COLLECTED, status(node2, unused));
            return null;
        });
        assertFalse(Files.exists(store.pathOf(unused)), "the unused blob is deleted from disk");
        for (BlobHash kept : List.of(onNode2, onNode3, callee, pinned)) {
            assertTrue(Files.exists(store.pathOf(kept)), "kept on disk: " + kept);
        }
        assertEquals(BlobStatus.PINNED, status(node2, pinned));
        Coordinator.Summary before = summary(node2);
        String oldCoordinator = before.coordinatorNode();
        assertEquals(Cluster.get(node1).selfMember().address().toString(), oldCoordinator);

        // the oldest node, the coordinator's, leaves: the singleton moves and recovers from the journal
        long leftAt = System.nanoTime();
        cluster.stop(node1);
        probe.awaitAssert(WAIT, () -> {
            Coordinator.Summary s = summary(node2);
            assertNotEquals(oldCoordinator, s.coordinatorNode());
            assertFalse(s.warmingUp(), "warm-up done");
            assertTrue(s.cycle() > before.cycle());
            return null;
        });
        long failoverMs = (System.nanoTime() - leftAt) / 1_000_000;
        System.out.println("ThreeNodeClusterTest: failover (leave -> warm coordinator with a new cycle) took "
                + failoverMs + " ms");

        // the same decisions, and collection goes on
        assertEquals(BlobStatus.COLLECTED, status(node2, unused));
        assertEquals(BlobStatus.PINNED, status(node2, pinned));
        BlobHash later = put(store, "unused after the failover");
        gc2.register(List.of(Registration.of(later))).toCompletableFuture().get(30, TimeUnit.SECONDS);
        probe.awaitAssert(WAIT, () -> {
            assertEquals(BlobStatus.COLLECTED, status(node3, later));
            return null;
        });
        assertFalse(Files.exists(store.pathOf(later)));
        for (BlobHash kept : List.of(onNode2, onNode3, callee, pinned)) {
            assertTrue(Files.exists(store.pathOf(kept)), "still kept on disk after failover: " + kept);
            assertNotEquals(BlobStatus.COLLECTED, status(node3, kept));
        }
    }
}
