package io.blobgc.cluster;

import io.blobgc.BlobGc;
import io.blobgc.BlobHash;
import io.blobgc.TestNodes;
import io.blobgc.coordinator.Coordinator;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An upload writes before it registers, and the coordinator registers only content that is in the store: while the
 * blob is being deleted the upload is refused and writes nothing (checked before the write); once it is collected, an
 * upload is accepted and its content stays.
 */
class UploadWhileDeletingTest {

    @TempDir
    Path dir;

    private static BlobStatus status(ActorSystem<?> s, BlobHash h) throws Exception {
        return AskPattern.<ToCoordinator, Coordinator.BlobReply>ask(BlobGc.get(s).coordinator(),
                        r -> new Coordinator.GetBlob(h, r), Duration.ofSeconds(5), s.scheduler())
                .toCompletableFuture().get(10, TimeUnit.SECONDS).info().status();
    }

    @Test
    void anUploadIsRefusedWhileTheBlobIsDeletingAndItsContentStaysOnceAccepted() throws Exception {
        HeldStore store = new HeldStore(dir.resolve("store"));
        store.hold(true); // its deletions fail: the blob stays DELETING (retried every 1-2 s)
        ActorSystem<Void> node = ActorSystem.create(Behaviors.empty(), "blobgc", TestNodes.config(dir.resolve("node"),
                "blob-gc.sweeper.retry-backoff.max = 2s"));
        try {
            Cluster c = Cluster.get(node);
            c.manager().tell(Join.create(c.selfMember().address()));
            BlobGc gc = BlobGc.start(node, store).toCompletableFuture().get(30, TimeUnit.SECONDS);
            byte[] content = "a function nobody uses for a while".getBytes();
            BlobHash h = BlobHash.sha256(content);
            assertTrue(gc.upload(h, content, List.of()).toCompletableFuture().get(30, TimeUnit.SECONDS)
                    .rejected().isEmpty());
            TestProbe<Object> probe = TestProbe.create(node);
            probe.awaitAssert(Duration.ofSeconds(30), () -> {
                assertEquals(BlobStatus.DELETING, status(node, h));
                return null;
            });
            Files.delete(store.pathOf(h)); // as if the sweeper had deleted it already

            var refused = gc.upload(h, content, List.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertEquals(List.of(h), refused.rejected());
            assertFalse(Files.exists(store.pathOf(h)), "a refused upload writes nothing");

            store.hold(false);
            probe.awaitAssert(Duration.ofSeconds(30), () -> {
                assertEquals(BlobStatus.COLLECTED, status(node, h));
                return null;
            });
            var accepted = gc.upload(h, content, List.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertTrue(accepted.rejected().isEmpty());
            assertTrue(Files.exists(store.pathOf(h)), "the content of a blob registered anew is on disk");
            assertEquals(BlobStatus.ACTIVE, status(node, h));
            var holder = node.systemActorOf(Behaviors.empty(), "frame", org.apache.pekko.actor.typed.Props.empty());
            assertEquals(AcquireResult.ACQUIRED,
                    gc.acquire(holder, h).toCompletableFuture().get(30, TimeUnit.SECONDS).result());
            assertTrue(Files.exists(store.pathOf(h)));
        } finally {
            node.terminate();
            node.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }
}
