package io.blobgc.coordinator;

import com.typesafe.config.Config;
import io.blobgc.BlobGcSettings;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.NodeReport;
import io.blobgc.protocol.ReporterProtocol.Report;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.protocol.ReporterProtocol.ToReporter;
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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * S10 review, round 3: a restart in place (a journal failure: the supervision passed to the EventSourcedBehavior's
 * constructor restarts only the event-sourced part inside the same Coordinator object) must recover from the journal
 * alone. Pekko's javadsl evaluates {@code emptyState()} once, when the behavior is created
 * (javadsl.EventSourcedBehavior.createEventSourcedBehavior passes the value to EventSourcedBehaviorImpl), and every
 * restart's recovery without a snapshot starts from that same object (ReplayingSnapshot.loadSnapshotResult:
 * {@code var state = setup.emptyState}). The coordinator's event handler mutates the PartitionedLedger in place, so without a
 * snapshot the restarted coordinator replays the whole journal a second time on top of the ledger it had — every
 * event applied twice — and keeps the earlier incarnation's soft state (node views) that S5 says is rebuilt.
 * EventSourcedBehaviorTestKit.restart() stops and spawns a new actor (a new Coordinator object), so no other test
 * sees it; here the journal fails one write.
 */
class RestartInPlaceReviewTest {

    private static final Config CONFIG = CoordinatorTestKit.config("""
                coordinator.restart-backoff {
                  min = 100ms
                  max = 200ms
                }
                """);

    private static ActorTestKit kit;

    @TempDir
    Path storeRoot;

    @BeforeAll
    static void startKit() {
        kit = ActorTestKit.create("RestartInPlaceReviewTest", CONFIG);
    }

    @AfterAll
    static void stopKit() {
        kit.shutdownTestKit();
    }

    private static List<Object> journal(EventSourcedBehaviorTestKit<ToCoordinator, Coordinator.Event, Coordinator.State> es) {
        return es.persistenceTestKit().persistedInStorage(Coordinator.PERSISTENCE_ID.id());
    }

    private static long count(List<Object> journal, Class<?> type) {
        return journal.stream().filter(type::isInstance).count();
    }

    @Test
    void aRestartInPlaceRecoversFromTheJournalAloneNotOnTopOfTheLedgerItHad() {
        var es = EventSourcedBehaviorTestKit.<ToCoordinator, Coordinator.Event, Coordinator.State>create(
                kit.system(), Coordinator.create(BlobGcSettings.from(CONFIG), new FileBlobStore(storeRoot),
                        Clock.systemUTC()), EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyState(false));
        TestProbe<Object> probe = kit.createTestProbe();
        probe.awaitAssert(Duration.ofSeconds(10), () -> {
            assertEquals(1, count(journal(es), Coordinator.TookOver.class), "the first takeover");
            return null;
        });
        // a node reports (soft state: its view), which ends the warm-up; the coordinator then cycles by itself
        TestProbe<ToReporter> reporter = kit.createTestProbe();
        es.runCommand(new Report(NodeReport.full("n1", 1, 1, List.of(), List.of()), reporter.getRef()));
        reporter.receiveMessage();
        probe.awaitAssert(Duration.ofSeconds(10), () -> {
            assertFalse(es.getState().ledger().warmingUp());
            assertEquals(1, count(journal(es), Coordinator.CycleCompleted.class), "the warm-up's own cycle");
            return null;
        });
        es.<CycleOutcome>runCommand(ref -> new Coordinator.RunCycleNow(false, ref));
        es.<CycleOutcome>runCommand(ref -> new Coordinator.RunCycleNow(false, ref));

        // the journal fails the next write: the coordinator restarts in place (restartWithBackoff, onPersistFailure)
        es.persistenceTestKit().failNextPersisted(Coordinator.PERSISTENCE_ID.id());
        TestProbe<CycleOutcome> lost = kit.createTestProbe();
        es.runCommand(new Coordinator.RunCycleNow(false, lost.getRef()));
        probe.awaitAssert(Duration.ofSeconds(10), () -> {
            assertEquals(2, count(journal(es), Coordinator.TookOver.class), "the restarted coordinator took over");
            return null;
        });

        List<Object> journal = journal(es);
        PartitionedLedger live = es.getState().ledger();
        assertEquals(count(journal, Coordinator.TookOver.class), live.generation(),
                "one generation per takeover in the journal (a second replay on top of the old ledger counts each twice)");
        assertEquals(count(journal, Coordinator.CycleCompleted.class), live.history(1000).size(),
                "each cycle of the journal once in the history");
        assertTrue(live.nodes(System.nanoTime() / 1_000_000).isEmpty(),
                "no node reported to this incarnation: node views are rebuilt after a recovery (S5), not kept: "
                        + live.nodes(System.nanoTime() / 1_000_000));
    }
}
