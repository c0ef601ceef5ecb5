package io.blobgc.bench;

import com.typesafe.config.ConfigFactory;
import io.blobgc.ledger.Ledger;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.LedgerSnapshot;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;

/** Writes and reads a ledger snapshot with the serializer the journal uses (Pekko's Jackson CBOR binding). */
final class SnapshotCodec {

    private static ActorSystem<Void> system;
    private static int serializerId;
    private static String manifest;

    private SnapshotCodec() {
    }

    private static synchronized Serialization serialization() {
        if (system == null) {
            // daemonic: a benchmark that fails (out of heap, say) exits instead of hanging on the serializer's threads
            system = ActorSystem.create(Behaviors.empty(), "bench", ConfigFactory.parseString(
                    "pekko.actor.provider = local\npekko.loglevel = WARNING\npekko.daemonic = on")
                    .withFallback(ConfigFactory.load()));
            Runtime.getRuntime().addShutdownHook(new Thread(system::terminate));
        }
        return SerializationExtension.get(system);
    }

    /** Starts the serializer (an actor system) and runs it once on an empty ledger's snapshot: not in the timings. */
    static void warmUp() {
        read(write(new Ledger(LedgerSettings.DEFAULTS).snapshot()));
    }

    static byte[] write(LedgerSnapshot snapshot) {
        Serialization s = serialization();
        var serializer = s.findSerializerFor(snapshot);
        serializerId = serializer.identifier();
        manifest = Serializers.manifestFor(serializer, snapshot);
        return s.serialize(snapshot).get();
    }

    static LedgerSnapshot read(byte[] bytes) {
        return (LedgerSnapshot) serialization().deserialize(bytes, serializerId, manifest).get();
    }
}
