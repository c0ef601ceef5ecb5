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
 * that failed on a4526fc, fixed since.
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

    /**
     * FINDING 2 (behaviour change, low). The pin's and the registration's second halves are commands, so
     * {@code CborSerializable} (DESIGN §2: every message Jackson CBOR), as {@code PartitionFences.PinFenced(PinBlob,
     * ...)} was. When the core's {@code PinFenced<T>} was the command, its reply token was a type parameter: Jackson
     * wrote the ActorRef and read back an erased Object (a String), so the message did not survive serialization (with
     * {@code pekko.actor.serialize-messages} on, the cast in {@code onPinFenced} failed). The glue's commands are typed.
     */
    @Test
    void theSecondHalvesOfAPinAndARegistrationSurviveTheirSerializerWithTheirReplyTo() {
        ActorTestKit kit = ActorTestKit.create("Review32Ser", CoordinatorTestKit.config(""));
        try {
            TestProbe<Coordinator.OpResult> pins = kit.createTestProbe();
            TestProbe<io.blobgc.protocol.ReporterProtocol.Registered> registrations = kit.createTestProbe();
            var reserved = new io.blobgc.ledger.PartitionedLedger.Reservation(1, java.util.List.of());
            var h = io.blobgc.ledger.TwoPartitions.in(0, 1);
            var pin = roundTrip(kit, new PartitionFences.PinWalked(h, "op", "why", null, pins.ref(), reserved, null));
            assertInstanceOf(ActorRef.class, pin.replyTo(), "the pin's reply token read back");
            assertEquals(h, pin.hash());
            var registered = new io.blobgc.protocol.ReporterProtocol.Registered(java.util.List.of(h),
                    java.util.List.of(), java.util.List.of(), java.util.List.of(), java.util.List.of());
            var reg = roundTrip(kit, new PartitionFences.RegistrationWalked(registrations.ref(),
                    java.util.List.of(io.blobgc.ledger.Registration.of(h)), registered, java.util.List.of(reserved),
                    java.util.Set.of(h), java.util.Set.of(), java.util.Set.of()));
            assertInstanceOf(ActorRef.class, reg.replyTo(), "the registration's reply token read back");
            assertEquals(java.util.Set.of(h), reg.fallen());
        } finally {
            kit.shutdownTestKit();
        }
    }

    @SuppressWarnings("unchecked")
    private static <M> M roundTrip(ActorTestKit kit, M m) {
        var ser = org.apache.pekko.serialization.SerializationExtension.get(
                org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(kit.system()));
        byte[] bytes = ser.serialize(m).get();
        var serializer = ser.findSerializerFor(m);
        String manifest = org.apache.pekko.serialization.Serializers.manifestFor(serializer, m);
        return (M) assertInstanceOf(m.getClass(), ser.deserialize(bytes, serializer.identifier(), manifest).get());
    }
}
