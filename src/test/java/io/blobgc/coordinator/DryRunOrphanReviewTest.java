package io.blobgc.coordinator;

import com.typesafe.config.Config;
import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.store.FileBlobStore;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Independent review (issue 19, item 2): S9 — a dry run computes and records what would be collected and deletes
 * nothing. The coordinator's runCycle sends the sweeper a ScanStore after every cycle, an asked dry run
 * (RunCycleNow(dryRun = true): POST /v1/cycle?dryRun=true, {@code blob-gc cycle --dry-run}) included; the page's
 * orphans are condemned by CoordinatorCore.storePage, which only knows the configured dry-run, persisted, and the
 * sweeper is woken to delete them. The dry run the operator asked for deletes files.
 */
class DryRunOrphanReviewTest {

    private static final Config CONFIG = CoordinatorTestKit.config("");

    private static ActorTestKit kit;

    @TempDir
    Path storeRoot;

    @BeforeAll
    static void startKit() {
        kit = ActorTestKit.create("DryRunOrphanReviewTest", CONFIG);
    }

    @AfterAll
    static void stopKit() {
        kit.shutdownTestKit();
    }

    @Test
    void anAskedDryRunDeletesNoOrphan() throws Exception {
        BlobGcSettings settings = BlobGcSettings.from(CONFIG);
        FileBlobStore store = new FileBlobStore(storeRoot);
        var es = EventSourcedBehaviorTestKit.<ToCoordinator, Coordinator.Event, Coordinator.State>create(
                kit.system(), Coordinator.create(settings, store, Clock.systemUTC()),
                EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyState(false));
        es.clear();
        // content the registry does not know, written two hours ago (orphan-grace is 1h)
        byte[] content = "written by hand, never registered".getBytes();
        BlobHash stray = BlobHash.sha256(content);
        store.put(stray, content);
        Files.setLastModifiedTime(store.pathOf(stray), FileTime.from(Instant.now().minus(Duration.ofHours(2))));

        try (io.blobgc.LogCapture captured = io.blobgc.LogCapture.of(Coordinator.class)) {
            CycleOutcome o = es.<CycleOutcome>runCommand(ref -> new Coordinator.RunCycleNow(true, ref)).reply();
            assertTrue(o.dryRun());
            // the dry run's scan reached the coordinator: it names the orphan (and before the fix, condemned it)
            kit.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
                assertTrue(captured.messages().stream().anyMatch(m -> m.contains(stray.toString()))
                        || es.getState().ledger().orphansCondemned() > 0, "the store page was handled");
                return null;
            });
        }
        es.<Coordinator.Summary>runCommand(Coordinator.GetSummary::new); // what the page started is persisted by now
        assertEquals(0, es.getState().ledger().orphansCondemned(), "the dry run the operator asked for condemned "
                + stray + " (S9)");
        assertTrue(Files.exists(store.pathOf(stray)), "the dry run the operator asked for deleted " + stray
                + " (S9); orphans condemned: " + es.getState().ledger().orphansCondemned() + ", deleted: "
                + es.getState().ledger().orphansDeleted());
    }
}
