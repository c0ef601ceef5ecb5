package io.blobgc.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import io.blobgc.BlobGc;
import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator;
import io.blobgc.ledger.BlobStatus;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
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
                  grace-period = 1s
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

            BlobGc gc = BlobGc.start(system).toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertEquals(null, gc.httpAddress(), "an embedder opens no admin port unless it asks");
            // Micrometer comes with blob-gc: the application's own registry sees blob-gc's meters
            io.micrometer.core.instrument.simple.SimpleMeterRegistry appMeters =
                    new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
            gc.metrics().bindTo(appMeters);
            byte[] calleeBytes = "callee".getBytes(StandardCharsets.UTF_8);
            byte[] callerBytes = "caller, which calls callee".getBytes(StandardCharsets.UTF_8);
            byte[] thirdBytes = "a third blob nobody uses".getBytes(StandardCharsets.UTF_8);
            BlobHash callee = BlobHash.sha256(calleeBytes);
            BlobHash caller = BlobHash.sha256(callerBytes);
            BlobHash third = BlobHash.sha256(thirdBytes);

            upload(gc, callee, calleeBytes, List.of());
            upload(gc, caller, callerBytes, List.of(callee));
            upload(gc, third, thirdBytes, List.of());

            ActorRef<Void> frame = system.systemActorOf(Behaviors.empty(), "frame", Props.empty());
            Coordinator.AcquireReply acquired = gc.acquire(frame, caller).toCompletableFuture().get(20, TimeUnit.SECONDS);
            assertEquals(Coordinator.AcquireResult.ACQUIRED, acquired.result(), "acquire caller: " + acquired);

            await("the third blob collected", () -> status(system, gc, third) == BlobStatus.COLLECTED);
            assertTrue(!gc.store().exists(third), "the third blob's content is still in the store");
            assertTrue(appMeters.get("blobgc.sweep.latency").tag("outcome", "deleted").timer().count() >= 1,
                    "the third blob's deletion timed in the application's registry");
            Thread.sleep(1500); // more than the grace and a few cycles: the held ones must stay
            for (BlobHash kept : List.of(caller, callee)) {
                assertEquals(BlobStatus.ACTIVE, status(system, gc, kept), "held blob " + kept);
                assertTrue(gc.store().exists(kept), "held blob " + kept + " lost its content");
            }
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    private static void upload(BlobGc gc, BlobHash hash, byte[] bytes, List<BlobHash> deps) throws Exception {
        Coordinator.Registered r = gc.upload(hash, bytes, deps).toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertEquals(List.of(hash), r.accepted(), "upload of " + hash + ": " + r);
    }

    private static BlobStatus status(ActorSystem<?> system, BlobGc gc, BlobHash hash) throws Exception {
        Coordinator.BlobReply reply = AskPattern.<Coordinator.Command, Coordinator.BlobReply>ask(gc.coordinator(),
                r -> new Coordinator.GetBlob(hash, r), Duration.ofSeconds(5), system.scheduler())
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
        return reply.info() == null ? null : reply.info().status();
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
