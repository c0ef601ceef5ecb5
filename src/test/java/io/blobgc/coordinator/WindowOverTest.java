package io.blobgc.coordinator;

import com.typesafe.config.Config;
import io.blobgc.BlobGcSettings;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.store.FileBlobStore;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * S10: every instance, once its re-upload window (twice the batch deadline after its takeover) is over, writes so
 * (PredecessorsDone of its generation) by a timer of its own; a restart begins the next generation and writes again.
 */
class WindowOverTest {

    private static final Config CONFIG = CoordinatorTestKit.config("""
                sweeper.batch-deadline = 150ms
                """);

    private static ActorTestKit kit;

    @TempDir
    Path storeRoot;

    @BeforeAll
    static void startKit() {
        kit = ActorTestKit.create("WindowOverTest", CONFIG);
    }

    @AfterAll
    static void stopKit() {
        kit.shutdownTestKit();
    }

    @Test
    void eachInstanceWritesTheEndOfItsWindow() {
        var es = EventSourcedBehaviorTestKit.<ToCoordinator, Coordinator.Event, Coordinator.State>create(
                kit.system(), Coordinator.create(BlobGcSettings.from(CONFIG), new FileBlobStore(storeRoot),
                        Clock.systemUTC()), EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyState(false));
        TestProbe<Object> probe = kit.createTestProbe();
        for (int generation = 1; generation <= 2; generation++) {
            int g = generation;
            probe.awaitAssert(Duration.ofSeconds(10), () -> {
                assertEquals(g, es.getState().ledger().generation(), "the takeover's generation");
                List<Object> journal = es.persistenceTestKit().persistedInStorage(
                        Coordinator.PERSISTENCE_ID.id());
                List<String> tookOver = journal.stream().filter(e -> e instanceof Coordinator.TookOver)
                        .map(e -> ((Coordinator.TookOver) e).instance()).toList();
                List<String> done = journal.stream().filter(e -> e instanceof Coordinator.PredecessorsDone)
                        .map(e -> ((Coordinator.PredecessorsDone) e).instance()).toList();
                assertEquals(tookOver, done, "each instance that took over wrote the end of its window");
                assertEquals(150, ((Coordinator.TookOver) journal.get(0)).batchDeadlineMs(), "its deadline recorded");
                return null;
            });
            es.restart();
        }
    }
}
