package io.blobgc.cluster;

import io.blobgc.BlobGc;
import io.blobgc.TestNodes;
import org.apache.pekko.actor.ActorIdentity;
import org.apache.pekko.actor.Identify;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.Patterns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 21, step 3: starting blob-gc in an application is explicit, asynchronous and cannot half-start. Before, a
 * taken admin port made {@code BlobGc.get} throw while the coordinator singleton and the reporter it had already
 * started went on running (cycles logged after the exception), and an embedder opened 127.0.0.1:7400 by default.
 */
class LifecycleTest {

    @TempDir
    Path dir;

    private static boolean exists(ActorSystem<?> s, String path) throws Exception {
        ActorIdentity id = (ActorIdentity) Patterns.ask(Adapter.toClassic(s).actorSelection(path),
                new Identify(path), Duration.ofSeconds(3)).toCompletableFuture().get(5, TimeUnit.SECONDS);
        return id.getActorRef().isPresent();
    }

    @Test
    void aTakenPortFailsTheStartCleanlyAndARetryStartsIt() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            ActorSystem<Void> s = ActorSystem.create(Behaviors.empty(), "blobgc",
                    TestNodes.config(dir, "blob-gc.http.port = " + port));
            try {
                ExecutionException e = assertThrows(ExecutionException.class,
                        () -> BlobGc.start(s).toCompletableFuture().get(30, TimeUnit.SECONDS));
                assertTrue(e.getCause().getMessage().contains("cannot serve the admin API on 127.0.0.1:" + port),
                        e.getCause().getMessage());
                assertFalse(exists(s, "/system/blob-gc-reporter"), "no reporter left running");
                assertFalse(exists(s, "/system/singletonManagerblob-gc-coordinator"), "no coordinator singleton");
                taken.close();
                BlobGc gc = BlobGc.start(s).toCompletableFuture().get(30, TimeUnit.SECONDS);
                assertTrue(gc.started());
                assertEquals(port, gc.httpAddress().getPort());
                assertTrue(exists(s, "/system/blob-gc-reporter"));
                assertTrue(exists(s, "/system/singletonManagerblob-gc-coordinator"));
            } finally {
                s.terminate();
                s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Settings handed to {@code start} on a system whose blob-gc runs already reach nothing else: not a later system of
     * the same name (actor systems of one name are equal). They were kept in a map by system, and the next system of
     * that name took them: in CI, LifecycleTest's taken-port start used JavaApiTest's settings and succeeded.
     */
    @Test
    void settingsHandedToARunningSystemDoNotReachTheNextSystemOfThatName() throws Exception {
        ActorSystem<Void> first = ActorSystem.create(Behaviors.empty(), "blobgc", TestNodes.config(dir.resolve("1"), ""));
        try {
            BlobGc gc = BlobGc.start(first).toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertFalse(gc.settings().dryRun());
            assertTrue(BlobGc.start(first, gc.settings()).toCompletableFuture().get(30, TimeUnit.SECONDS) == gc);
        } finally {
            first.terminate();
            first.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        ActorSystem<Void> second = ActorSystem.create(Behaviors.empty(), "blobgc",
                TestNodes.config(dir.resolve("2"), "blob-gc.dry-run = on"));
        try {
            assertEquals(first, second, "precondition: two systems of one name are equal");
            BlobGc gc = BlobGc.start(second).toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertTrue(gc.settings().dryRun(), "the second system's own settings");
        } finally {
            second.terminate();
            second.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void anEmbedderOpensNoPortUnlessItAsks() throws Exception {
        // the library's defaults for the admin API (TestNodes turns it on, as `blob-gc node` does)
        ActorSystem<Void> s = ActorSystem.create(Behaviors.empty(), "blobgc",
                TestNodes.config(dir, "blob-gc.http.enabled = off").withFallback(
                        com.typesafe.config.ConfigFactory.defaultReference()));
        try {
            BlobGc gc = BlobGc.start(s).toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertNull(gc.httpAddress(), "no admin API");
            assertNotNull(gc.coordinator());
            assertTrue(exists(s, "/system/blob-gc-reporter"));
            assertFalse(com.typesafe.config.ConfigFactory.defaultReference().getBoolean("blob-gc.http.enabled"),
                    "reference.conf: the admin API is off for an embedder");
        } finally {
            s.terminate();
            s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * Issue 21, step 5: an application that starts Pekko Management gets blob-gc's health checks from blob-gc's own
     * reference.conf (they lived in a node-only file before): not ready until blob-gc runs and its coordinator
     * answers, alive meanwhile; asking them starts nothing.
     */
    @Test
    void embeddersGetTheHealthChecksFromReferenceConf() throws Exception {
        var ref = com.typesafe.config.ConfigFactory.defaultReference();
        assertEquals("io.blobgc.http.Management$Ready",
                ref.getString("pekko.management.health-checks.readiness-checks.blob-gc"));
        assertEquals("io.blobgc.http.Management$Alive",
                ref.getString("pekko.management.health-checks.liveness-checks.blob-gc"));
        ActorSystem<Void> s = ActorSystem.create(Behaviors.empty(), "blobgc", TestNodes.config(dir, ""));
        try {
            var classic = Adapter.toClassic(s);
            var ready = new io.blobgc.http.Management.Ready(classic);
            var alive = new io.blobgc.http.Management.Alive(classic);
            assertFalse(ready.get().toCompletableFuture().get(10, TimeUnit.SECONDS), "not started: not ready");
            assertTrue(alive.get().toCompletableFuture().get(10, TimeUnit.SECONDS));
            assertTrue(BlobGc.running(s).isEmpty(), "asking the checks started nothing");
            var cluster = org.apache.pekko.cluster.typed.Cluster.get(s);
            cluster.manager().tell(org.apache.pekko.cluster.typed.Join.create(cluster.selfMember().address()));
            BlobGc.start(s).toCompletableFuture().get(30, TimeUnit.SECONDS);
            org.apache.pekko.actor.testkit.typed.javadsl.TestProbe.create(s).awaitAssert(Duration.ofSeconds(30), () -> {
                assertTrue(ready.get().toCompletableFuture().get(10, TimeUnit.SECONDS), "started and answering: ready");
                return null;
            });
            assertTrue(alive.get().toCompletableFuture().get(10, TimeUnit.SECONDS));
        } finally {
            s.terminate();
            s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }
}
