package io.blobgc.coordinator;

import com.typesafe.config.Config;
import io.blobgc.BlobGcSettings;
import io.blobgc.store.FileBlobStore;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * Review 32 (commit a4526fc, the fences' walks moved into FenceCore / LinkedRegistrationCore): findings, each a test
 * that failed on a4526fc, fixed since. Its other finding (a PinFenced read back by its serializer carries its reply
 * token as a String) is described in partitions-part2-plan (session 32), not here: self-messages are never serialized
 * unless serialize-messages is on.
 */
class Review32Test {

    /**
     * FINDING 1 (behaviour change, liveness). Settings accept any positive {@code reporter.acquire-timeout}
     * ({@code BlobGcSettings.validate}: positive); before a4526fc PartitionFences took any (its deadline and resend were
     * {@code Duration.dividedBy}). Now every coordinator — the whole at P = 1 too, which walks nothing — builds a
     * {@code FenceCore}, whose constructor throws for an acquire timeout below 8 ms (or below 1 ms once truncated by
     * {@code toMillis}). A valid configuration no longer starts.
     */
    @Test
    void anUnlinkedFenceCoreTakesEveryAcquireTimeoutTheSettingsAccept() {
        Config config = CoordinatorTestKit.config("reporter.acquire-timeout = 5ms");
        BlobGcSettings settings = assertDoesNotThrow(() -> BlobGcSettings.from(config), "the setting is valid");
        assertEquals(Duration.ofMillis(5), settings.acquireTimeout());
        assertDoesNotThrow(() -> new FenceCore<>(EntityLink.isolated("coordinator"), settings.acquireTimeout().toMillis(), 1),
                "the whole (P = 1) walks nothing: no acquire timeout is too short for it");
    }

    /** FINDING 1 at the actor: the whole (P = 1) with acquire-timeout = 5 ms answers nothing, it never starts. */
    @Test
    void aCoordinatorWithAFiveMillisecondAcquireTimeoutStillStarts(@TempDir Path storeRoot) {
        Config config = CoordinatorTestKit.config("reporter.acquire-timeout = 5ms");
        ActorTestKit kit = ActorTestKit.create("Review32Test", config);
        try {
            BlobGcSettings settings = BlobGcSettings.from(config);
            ActorRef<ToCoordinator> c = kit.spawn(Coordinator.create(settings, new FileBlobStore(storeRoot),
                    Clock.systemUTC(), null, Timings.NONE));
            TestProbe<Coordinator.Summary> probe = kit.createTestProbe();
            c.tell(new Coordinator.GetSummary(probe.ref()));
            probe.expectMessageClass(Coordinator.Summary.class, Duration.ofSeconds(10));
        } finally {
            kit.shutdownTestKit();
        }
    }
}
