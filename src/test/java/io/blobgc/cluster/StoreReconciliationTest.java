package io.blobgc.cluster;

import io.blobgc.BlobGc;
import io.blobgc.BlobHash;
import io.blobgc.TestNodes;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import io.blobgc.store.FileBlobStore;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 19, item 2, on a real node: content in the store that the registry does not account for — a hash it never
 * registered, or one it collected whose file came back (a slow write finishing after the collection) — is deleted
 * once older than {@code orphan-grace}, by the sweeper; what the registry holds is never touched.
 */
class StoreReconciliationTest {

    private static final Duration GRACE = Duration.ofSeconds(3);

    @TempDir
    Path dir;


    private static BlobHash writeBehindItsBack(FileBlobStore store, String content) throws Exception {
        BlobHash h = BlobHash.sha256(content.getBytes());
        Path file = store.pathOf(h);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
        return h;
    }

    @Test
    void orphansAreDeletedOnceOlderThanTheGraceAndRegisteredContentIsKept() throws Exception {
        ActorSystem<Void> node = ActorSystem.create(Behaviors.empty(), "blobgc", TestNodes.config(dir.resolve("node"),
                "blob-gc.sweeper.orphan-grace = " + GRACE.toMillis() + "ms\nblob-gc.sweeper.orphan-page-size = 2"));
        try {
            Cluster c = Cluster.get(node);
            c.manager().tell(Join.create(c.selfMember().address()));
            BlobGc gc = BlobGc.get(node);
            FileBlobStore store = (FileBlobStore) gc.store();
            TestProbe<Object> probe = TestProbe.create(node);
            var frame = node.systemActorOf(Behaviors.empty(), "frame", org.apache.pekko.actor.typed.Props.empty());

            byte[] used = "held by a frame the whole time".getBytes();
            BlobHash kept = BlobHash.sha256(used);
            assertTrue(gc.upload(kept, used, List.of()).toCompletableFuture().get(30, TimeUnit.SECONDS).rejected()
                    .isEmpty());
            assertEquals(AcquireResult.ACQUIRED,
                    gc.acquire(frame, kept).toCompletableFuture().get(30, TimeUnit.SECONDS).result());
            Files.setLastModifiedTime(store.pathOf(kept), FileTime.from(Instant.now().minus(Duration.ofDays(1))));

            // content nobody registered: an old file goes at the next pass, a young one once it is older than the grace
            BlobHash old = writeBehindItsBack(store, "put there by hand a day ago");
            Files.setLastModifiedTime(store.pathOf(old), FileTime.from(Instant.now().minus(Duration.ofDays(1))));
            long young = System.nanoTime();
            BlobHash fresh = writeBehindItsBack(store, "put there by hand just now");
            probe.awaitAssert(Duration.ofSeconds(20), () -> {
                assertFalse(store.exists(old), "an old orphan is deleted");
                return null;
            });
            assertTrue(store.exists(fresh) || System.nanoTime() - young >= GRACE.toNanos(),
                    "a young orphan was deleted within its grace");
            probe.awaitAssert(Duration.ofSeconds(30), () -> {
                assertFalse(store.exists(fresh), "a young orphan is deleted once older than the grace");
                return null;
            });

            // a collected blob whose file comes back (a slow write that finished after the collection)
            byte[] content = "collected, then written back by a slow upload".getBytes();
            BlobHash back = BlobHash.sha256(content);
            assertTrue(gc.upload(back, content, List.of()).toCompletableFuture().get(30, TimeUnit.SECONDS).rejected()
                    .isEmpty());
            probe.awaitAssert(Duration.ofSeconds(30), () -> {
                assertEquals(BlobStatus.COLLECTED, TestNodes.blobInfo(node, back).status());
                return null;
            });
            writeBehindItsBack(store, new String(content));
            long cameBack = System.nanoTime();
            probe.awaitAssert(Duration.ofSeconds(30), () -> {
                assertFalse(store.exists(back), "a collected blob's file that came back is deleted");
                return null;
            });
            long ms = (System.nanoTime() - cameBack) / 1_000_000;
            assertEquals(BlobStatus.COLLECTED, TestNodes.blobInfo(node, back).status());
            System.out.printf("StoreReconciliationTest: a file that came back after its collection was deleted %d ms "
                    + "later (orphan-grace %d ms, cycle 1 s)%n", ms, GRACE.toMillis());
            assertTrue(ms < GRACE.toMillis() + 10_000, "deleted within orphan-grace plus a few cycles: " + ms + " ms");

            assertTrue(store.exists(kept), "content the registry holds is never an orphan");
            assertEquals(BlobStatus.ACTIVE, TestNodes.blobInfo(node, kept).status());
            var s = gc.summary().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertEquals(3, s.orphansCondemned());
            assertEquals(3, s.orphansDeleted());
        } finally {
            node.terminate();
            node.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }
}
