package io.blobgc.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import io.blobgc.BlobGc;
import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;
import io.blobgc.ledger.BlobInfo;
import io.blobgc.ledger.BlobStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A new user's application: README's embedding code on a one-node cluster, with nothing on the class path but
 * what a plain dependency on blob-gc brings. An unused blob is collected; a held caller and its callee are kept.
 */
class EmbedTest {

    @Test
    void collectsTheUnusedBlobAndKeepsTheHeldOnes() throws Exception {
        Path data = Path.of("target", "blob-gc-data").toAbsolutePath();
        if (Files.exists(data)) { // a journal left by an earlier run of this copy (no mvn clean in between)
            try (Stream<Path> old = Files.walk(data)) {
                for (Path p : old.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
            }
        }
        Files.createDirectories(data);
        String dir = data.toString().replace('\\', '/');
        Config config = ConfigFactory.parseString("""
                pekko.actor.provider = cluster
                pekko.remote.artery.canonical.hostname = "127.0.0.1"
                pekko.remote.artery.canonical.port = 0
                blob-gc {
                  cycle-interval = 300ms
                  heartbeat-interval = 200ms
                  stale-report-threshold = 5s
                  data-dir = "%1$s"
                  store.root = "%1$s/blobs"
                }
                pekko-persistence-jdbc.shared-databases.blob-gc.db.url = "jdbc:h2:file:%1$s/journal;WRITE_DELAY=0"
                """.formatted(dir)).withFallback(ConfigFactory.load());

        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "vm-cluster", config);
        try {
            Cluster cluster = Cluster.get(system);
            cluster.manager().tell(Join.create(cluster.selfMember().address()));
            await("this node Up", () -> cluster.selfMember().status() == MemberStatus.up());

            byte[] calleeBytes = "callee".getBytes(StandardCharsets.UTF_8);
            byte[] callerBytes = "caller, which calls callee".getBytes(StandardCharsets.UTF_8);
            byte[] thirdBytes = "a third blob nobody uses".getBytes(StandardCharsets.UTF_8);

            // README: begin
            BlobGcSettings settings = BlobGcSettings.create(system).withGracePeriod(Duration.ofSeconds(1));
            BlobGc gc = BlobGc.start(system, settings).toCompletableFuture().get(30, TimeUnit.SECONDS);
            BlobHash callee = BlobHash.sha256(calleeBytes), caller = BlobHash.sha256(callerBytes);
            BlobHash third = BlobHash.sha256(thirdBytes);
            gc.upload(callee, calleeBytes, List.of()).toCompletableFuture().get();       // stored, then registered
            gc.upload(caller, callerBytes, List.of(callee)).toCompletableFuture().get(); // caller calls callee
            gc.upload(third, thirdBytes, List.of()).toCompletableFuture().get();         // nobody will use it
            try (BlobGc.Hold hold = gc.hold(caller).toCompletableFuture().get()) {       // keeps caller and callee
                runTheFunction(system, gc, caller, callee, third);                       // third is collected
            }                                                                            // released
            // README: end
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * What the application does while it holds the caller — here, the checks: the blob nobody uses is collected (its
     * file gone), and the held caller and its callee stay, with their content, for more than the grace.
     */
    private static void runTheFunction(ActorSystem<?> system, BlobGc gc, BlobHash caller, BlobHash callee,
                                       BlobHash third) throws Exception {
        assertEquals(null, gc.httpAddress(), "an embedder opens no admin port unless it asks");
        // Micrometer comes with blob-gc: the application's own registry sees blob-gc's meters
        SimpleMeterRegistry appMeters = new SimpleMeterRegistry();
        gc.metrics().bindTo(appMeters);
        for (BlobHash h : List.of(caller, callee, third)) {
            assertEquals(BlobStatus.ACTIVE, status(system, gc, h), "uploaded and registered: " + h);
        }
        await("the third blob collected", () -> status(system, gc, third) == BlobStatus.COLLECTED);
        assertTrue(!gc.store().exists(third), "the third blob's content is still in the store");
        assertTrue(appMeters.get("blobgc.cycle.duration").timer().count() >= 1,
                "the cycles that collected it timed in the application's registry");
        Thread.sleep(1500); // more than the grace and a few cycles: the held ones must stay
        for (BlobHash kept : List.of(caller, callee)) {
            assertEquals(BlobStatus.ACTIVE, status(system, gc, kept), "held blob " + kept);
            assertTrue(gc.store().exists(kept), "held blob " + kept + " lost its content");
        }
    }

    private static BlobStatus status(ActorSystem<?> system, BlobGc gc, BlobHash hash) throws Exception {
        return gc.blob(hash).toCompletableFuture().get(10, TimeUnit.SECONDS).map(BlobInfo::status).orElse(null);
    }

    private interface Check {
        boolean ok() throws Exception;
    }

    private static void await(String what, Check check) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (check.ok()) return;
            Thread.sleep(100);
        }
        fail("not within 30 s: " + what);
    }
}
