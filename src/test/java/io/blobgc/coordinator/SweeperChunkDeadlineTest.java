package io.blobgc.coordinator;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;
import io.blobgc.store.BlobStore;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The sweeper actor deleting in chunks (S10): it sends no chunk from its batch's deadline on. A store of 10 hashes a
 * request whose every request takes 60 ms is handed a batch of 100 due at once (a full burst at 1000/s) with a
 * deadline 300 ms away: the chunks sent before the deadline are deleted and confirmed, the rest is handed back
 * (BatchExpired), no request starts after the deadline, and no hash is both confirmed and handed back.
 */
class SweeperChunkDeadlineTest {

    private static final Config CONFIG = ConfigFactory.parseString("""
            pekko.actor.provider = local
            blob-gc.sweeper.max-deletes-per-second = 1000
            """).withFallback(ConfigFactory.load()).resolve();

    /** Deletes nothing real: records each request's hashes and start time, and takes 60 ms. */
    static final class SlowBatchStore implements BlobStore {
        record Request(long startNanos, List<BlobHash> hashes) {
        }

        final List<Request> requests = new CopyOnWriteArrayList<>();

        @Override
        public int deletesPerRequest() {
            return 10;
        }

        @Override
        public List<Deletion> deleteEach(List<BlobHash> hashes) {
            requests.add(new Request(System.nanoTime(), List.copyOf(hashes)));
            try {
                Thread.sleep(60);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return hashes.stream().map(h -> Deletion.freed(h, 1)).toList();
        }

        @Override
        public void put(BlobHash hash, byte[] content) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean exists(BlobHash hash) {
            return false;
        }

        @Override
        public byte[] get(BlobHash hash) throws IOException {
            throw new java.nio.file.NoSuchFileException(hash.toHex());
        }

        @Override
        public long delete(BlobHash hash) {
            throw new AssertionError("the sweeper deletes through deleteEach");
        }

        @Override
        public void list(Consumer<BlobHash> each) {
        }
    }

    private ActorTestKit kit;

    @BeforeEach
    void start() {
        kit = ActorTestKit.create("SweeperChunkDeadlineTest", CONFIG);
    }

    @AfterEach
    void stop() {
        kit.shutdownTestKit();
    }

    @Test
    void noChunkIsSentFromTheBatchDeadlineOnAndTheRestIsHandedBack() {
        SlowBatchStore store = new SlowBatchStore();
        TestProbe<Coordinator.Command> coordinator = kit.createTestProbe();
        var sweeper = kit.spawn(Sweeper.create(coordinator.getRef(), store, BlobGcSettings.from(CONFIG),
                Timings.NONE));
        List<BlobHash> batch = new ArrayList<>();
        for (int i = 0; i < 100; i++) batch.add(BlobHash.sha256(("blob " + i).getBytes()));
        long deadline = System.nanoTime() + Duration.ofMillis(300).toNanos();
        sweeper.tell(new Sweeper.Batch(batch, deadline));

        Coordinator.ConfirmDeleted confirmed = null;
        Coordinator.BatchExpired expired = null;
        while (confirmed == null || expired == null) {
            Coordinator.Command c = coordinator.receiveMessage(Duration.ofSeconds(10));
            if (c instanceof Coordinator.ConfirmDeleted d) confirmed = d;
            else if (c instanceof Coordinator.BatchExpired e) expired = e;
            else fail("unexpected " + c);
        }
        assertTrue(store.requests.size() >= 1 && store.requests.size() < 10, store.requests.size() + " requests");
        Set<BlobHash> sent = new HashSet<>();
        for (SlowBatchStore.Request r : store.requests) {
            assertTrue(r.startNanos() - deadline < 0, "a request started after the deadline");
            assertEquals(10, r.hashes().size(), "one request's worth");
            sent.addAll(r.hashes());
        }
        assertEquals(sent, new HashSet<>(confirmed.hashes()), "what was sent is what is confirmed");
        assertEquals(sent.size(), confirmed.bytes());
        Set<BlobHash> handedBack = new HashSet<>(expired.hashes());
        assertEquals(100 - sent.size(), handedBack.size());
        handedBack.retainAll(sent);
        assertTrue(handedBack.isEmpty(), "none both deleted and handed back");
    }
}
