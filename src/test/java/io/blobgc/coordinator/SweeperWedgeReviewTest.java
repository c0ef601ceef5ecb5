package io.blobgc.coordinator;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;
import io.blobgc.store.BlobStore;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** A deleteEach that throws a non-Exception Throwable (a store's bug) fails its chunk, and the sweeper goes on (review of issue 27 step 3: it was left wedged). */
class SweeperWedgeReviewTest {

    private static final Config CONFIG = ConfigFactory.parseString("""
            pekko.actor.provider = local
            blob-gc.sweeper.max-deletes-per-second = 1000
            """).withFallback(ConfigFactory.load()).resolve();

    private final ActorTestKit kit = ActorTestKit.create("SweeperWedgeReviewTest", CONFIG);

    @AfterEach
    void stop() {
        kit.shutdownTestKit();
    }

    static final class BrokenStore implements BlobStore {
        @Override public int deletesPerRequest() { return 10; }
        @Override public List<Deletion> deleteEach(List<BlobHash> hashes) { throw new AssertionError("a store's bug"); }
        @Override public void put(BlobHash hash, byte[] content) { throw new UnsupportedOperationException(); }
        @Override public boolean exists(BlobHash hash) { return false; }
        @Override public byte[] get(BlobHash hash) { throw new UnsupportedOperationException(); }
        @Override public long delete(BlobHash hash) { throw new AssertionError("single delete"); }
        @Override public void list(Consumer<BlobHash> each) { }
    }

    @Test
    void aStoreThatThrowsAnErrorFailsItsChunkAndTheSweeperGoesOn() {
        TestProbe<Coordinator.Command> coordinator = kit.createTestProbe();
        var sweeper = kit.spawn(Behaviors.supervise(Sweeper.create(coordinator.getRef(), new BrokenStore(),
                BlobGcSettings.from(CONFIG), Timings.NONE)).onFailure(SupervisorStrategy.resume())); // as SweeperLink
        List<BlobHash> batch = new ArrayList<>();
        for (int i = 0; i < 10; i++) batch.add(BlobHash.sha256(("blob " + i).getBytes()));
        sweeper.tell(new Sweeper.Batch(batch, System.nanoTime() + Duration.ofSeconds(30).toNanos()));
        Set<BlobHash> failed = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            failed.add(coordinator.expectMessageClass(Coordinator.ReportDeletionFailed.class, Duration.ofSeconds(3)).hash());
        }
        assertEquals(new HashSet<>(batch), failed);
        // the chunk failed whole: the coordinator hears the store is failing, and why (for its summary, /metrics)
        Coordinator.SweeperStatus status = coordinator.expectMessageClass(Coordinator.SweeperStatusChanged.class,
                Duration.ofSeconds(3)).status();
        assertTrue(status.storeFailing(), status.toString());
        assertTrue(String.valueOf(status.lastStoreError()).contains("a store's bug"), status.toString());
        assertFalse(status.storeThrottling(), status.toString());
        coordinator.expectMessageClass(Coordinator.StartDeletion.class, Duration.ofSeconds(5)); // not wedged
    }
}
