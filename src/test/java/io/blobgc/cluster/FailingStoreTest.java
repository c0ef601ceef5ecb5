package io.blobgc.cluster;

import io.blobgc.BlobGc;
import io.blobgc.BlobHash;
import io.blobgc.TestNodes;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import io.blobgc.protocol.ReporterProtocol.Registered;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 19, defect 1, on a real node: its store (plugged in through {@code blob-gc.store.class}) fails and stalls
 * writes, and no acquire is answered ACQUIRED for content that is not in the store — a failed write registers
 * nothing (a new hash stays unknown, a COLLECTED one stays COLLECTED), and a stalled write is registered only once it
 * is in place.
 */
class FailingStoreTest {

    /**
     * A {@link FileBlobStore} whose writes fail ("disk full") while a file {@code fail-writes} exists beside its root,
     * and wait while {@code stall-writes} does.
     */
    public static final class FaultyStore extends FileStoreWrapper {
        private final Path fail, stall;

        public FaultyStore(Path root) {
            super(root);
            this.fail = root.resolveSibling("fail-writes");
            this.stall = root.resolveSibling("stall-writes");
        }

        private void fault() throws IOException {
            while (Files.exists(stall)) {
                try {
                    Thread.sleep(20); // a stalled disk: the test removes the file to let it go
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted");
                }
            }
            if (Files.exists(fail)) throw new IOException("No space left on device (simulated)");
        }

        @Override
        public void put(BlobHash hash, byte[] content) throws IOException {
            fault();
            super.put(hash, content);
        }

        @Override
        public void putFile(BlobHash hash, Path file) throws IOException {
            fault();
            super.putFile(hash, file);
        }
    }

    @TempDir
    Path dir;


    private static AcquireResult acquire(BlobGc gc, ActorRef<?> holder, BlobHash h) throws Exception {
        return gc.acquire(holder, h).toCompletableFuture().get(30, TimeUnit.SECONDS).result();
    }

    private static long filesUnder(Path root) throws IOException {
        if (!Files.isDirectory(root)) return 0;
        try (Stream<Path> all = Files.walk(root)) {
            return all.filter(Files::isRegularFile).count();
        }
    }

    @Test
    void aFailedOrStalledWriteNeverLetsAnAcquireSucceedForMissingContent() throws Exception {
        Path node = dir.resolve("node");
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "blobgc", TestNodes.config(node,
                "blob-gc.store.class = \"" + FaultyStore.class.getName() + "\""));
        try {
            Cluster c = Cluster.get(system);
            c.manager().tell(Join.create(c.selfMember().address()));
            BlobGc gc = BlobGc.get(system);
            Path root = gc.settings().storeRoot();
            Path fail = root.resolveSibling("fail-writes"), stall = root.resolveSibling("stall-writes");
            ActorRef<Object> frame = system.systemActorOf(Behaviors.empty(), "frame", Props.empty());
            TestProbe<Object> probe = TestProbe.create(system);

            // a new blob whose write fails: nothing registered, no file left, an acquire answers GONE
            byte[] fresh = "written to a full disk".getBytes();
            BlobHash h = BlobHash.sha256(fresh);
            Files.writeString(fail, "on");
            var failed = assertThrows(ExecutionException.class,
                    () -> gc.upload(h, fresh, List.of()).toCompletableFuture().get(30, TimeUnit.SECONDS));
            assertInstanceOf(IOException.class, failed.getCause().getCause() == null ? failed.getCause()
                    : failed.getCause().getCause(), failed.toString());
            assertNull(TestNodes.blobInfo(system, h), "a failed write registered its blob");
            assertEquals(0, filesUnder(root), "a failed write left a file in the store");
            assertEquals(AcquireResult.GONE, acquire(gc, frame, h));

            // a COLLECTED blob uploaded again onto the full disk: still COLLECTED, still GONE
            Files.delete(fail);
            byte[] old = "collected, then uploaded again onto a full disk".getBytes();
            BlobHash x = BlobHash.sha256(old);
            assertTrue(gc.upload(x, old, List.of()).toCompletableFuture().get(30, TimeUnit.SECONDS).rejected().isEmpty());
            probe.awaitAssert(Duration.ofSeconds(30), () -> {
                assertEquals(BlobStatus.COLLECTED, TestNodes.blobInfo(system, x).status());
                return null;
            });
            assertEquals(AcquireResult.GONE, acquire(gc, frame, x));
            Files.writeString(fail, "on");
            assertThrows(ExecutionException.class,
                    () -> gc.upload(x, old, List.of()).toCompletableFuture().get(30, TimeUnit.SECONDS));
            assertEquals(BlobStatus.COLLECTED, TestNodes.blobInfo(system, x).status(), "a failed re-upload revived the blob");
            assertEquals(AcquireResult.GONE, acquire(gc, frame, x),
                    "ACQUIRED for a blob whose content is not in the store");
            Files.delete(fail);

            // a stalled write: nothing registered while it stalls; registered, and acquirable, once in place
            byte[] slow = "written to a stalled disk".getBytes();
            BlobHash y = BlobHash.sha256(slow);
            Files.writeString(stall, "on");
            CompletableFuture<Registered> pending = gc.upload(y, slow, List.of()).toCompletableFuture();
            long cycle = gc.summary().toCompletableFuture().get(10, TimeUnit.SECONDS).cycle();
            probe.awaitAssert(Duration.ofSeconds(30), () -> { // two cycles pass while the write stalls
                assertTrue(gc.summary().toCompletableFuture().get(10, TimeUnit.SECONDS).cycle() >= cycle + 2);
                return null;
            });
            assertFalse(pending.isDone());
            assertNull(TestNodes.blobInfo(system, y), "registered before its content was written");
            assertEquals(AcquireResult.GONE, acquire(gc, frame, y));
            Files.delete(stall);
            assertTrue(pending.get(30, TimeUnit.SECONDS).rejected().isEmpty());
            assertEquals(AcquireResult.ACQUIRED, acquire(gc, frame, y));
            assertTrue(gc.store().exists(y));
            assertEquals(BlobStatus.ACTIVE, TestNodes.blobInfo(system, y).status());
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }
}
