package io.blobgc.cluster;

import io.blobgc.BlobGc;
import io.blobgc.BlobHash;
import io.blobgc.TestNodes;
import io.blobgc.ledger.BlobInfo;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.node.ReporterCore;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 21, step 4: the typed Java API on one real node — everything the admin API offers, without protocol
 * messages: a hold for a holder that is not an actor (closed: released, acknowledged, and then collected), a blob's
 * status, cycles and dry runs, the history, operator pins, node pins and leases.
 */
class JavaApiTest {

    @TempDir
    Path dir;

    /** A one-node cluster, Up (blob-gc not started). */
    private ActorSystem<Void> upNode() {
        ActorSystem<Void> s = ActorSystem.create(Behaviors.empty(), "blobgc", TestNodes.config(dir, ""));
        Cluster c = Cluster.get(s);
        c.manager().tell(Join.create(c.selfMember().address()));
        TestProbe.create(s).awaitAssert(Duration.ofSeconds(20), () -> {
            assertEquals(MemberStatus.up(), c.selfMember().status());
            return null;
        });
        return s;
    }

    private static <T> T await(CompletionStage<T> s) throws Exception {
        return s.toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static BlobHash upload(BlobGc gc, String content, List<BlobHash> deps) throws Exception {
        byte[] b = content.getBytes(StandardCharsets.UTF_8);
        BlobHash h = BlobHash.sha256(b);
        assertEquals(List.of(h), await(gc.upload(h, b, deps)).accepted());
        return h;
    }

    private static BlobStatus status(BlobGc gc, BlobHash h) throws Exception {
        return await(gc.blob(h)).map(BlobInfo::status).orElse(null);
    }

    @Test
    void theFacadeAnswersWhatTheAdminApiDoes() throws Exception {
        ActorSystem<Void> s = upNode();
        try {
            TestProbe<Void> probe = TestProbe.create(s);
            BlobGc gc = await(BlobGc.start(s));
            TestProbe<io.blobgc.coordinator.Decision> decided = TestProbe.create(s);
            gc.subscribe(decided.getRef());
            BlobHash callee = upload(gc, "callee", List.of()), caller = upload(gc, "caller", List.of(callee));
            BlobHash pinned = upload(gc, "node-pinned", List.of()), leased = upload(gc, "leased", List.of());
            assertEquals(Optional.empty(), await(gc.blob(BlobHash.sha256("never".getBytes()))));

            BlobGc.Hold hold = await(gc.hold(caller));
            assertEquals(caller, hold.hash());
            var gone = assertThrows(ExecutionException.class, () -> await(gc.hold(BlobHash.sha256("never".getBytes()))));
            BlobGc.NotHeldException notHeld = assertInstanceOf(BlobGc.NotHeldException.class, gone.getCause());
            assertEquals(AcquireResult.GONE, notHeld.reply().result());

            assertEquals(AcquireResult.ACQUIRED, await(gc.pinOnNode(pinned)).result());
            ReporterCore.LeaseReply lease = await(gc.lease("vm-7", Set.of(leased), Set.of(), Duration.ofMinutes(5)));
            assertEquals(Set.of(leased), lease.held());
            assertTrue(await(gc.pin(callee, "ops", "golden", null)).ok());
            assertEquals(1, await(gc.pins(0, 10)).total());

            CycleOutcome dry = await(gc.runCycle(true));
            assertTrue(dry.dryRun());
            probe.awaitAssert(Duration.ofSeconds(20), () -> {
                assertTrue(await(gc.runCycle(false)).cycle() > dry.cycle());
                assertTrue(!await(gc.history(5)).isEmpty(), "cycles in the history");
                return null;
            });
            Thread.sleep(2_000); // two graces: everything is held one way or another
            for (BlobHash h : List.of(caller, callee, pinned, leased)) {
                assertTrue(Set.of(BlobStatus.ACTIVE, BlobStatus.PINNED).contains(status(gc, h)), h + " is held");
            }

            hold.close(); // acknowledged: the reporter dropped it
            gc.unpinOnNode(pinned);
            gc.dropLease("vm-7");
            assertTrue(await(gc.unpin(callee, "ops")).ok());
            probe.awaitAssert(Duration.ofSeconds(30), () -> {
                for (BlobHash h : List.of(caller, callee, pinned, leased)) {
                    assertEquals(BlobStatus.COLLECTED, status(gc, h), h + " released, then collected");
                }
                return null;
            });
            hold.close(); // twice is harmless
            // the subscriber was told: each of them marked, then collected
            java.util.Set<BlobHash> marked = new java.util.HashSet<>(), collected = new java.util.HashSet<>();
            decided.awaitAssert(Duration.ofSeconds(10), () -> {
                io.blobgc.coordinator.Decision d = decided.receiveMessage(Duration.ofSeconds(5));
                if (d instanceof io.blobgc.coordinator.Decision.Marked m) marked.addAll(m.hashes());
                if (d instanceof io.blobgc.coordinator.Decision.Collected c2) collected.addAll(c2.hashes());
                assertTrue(marked.containsAll(List.of(caller, callee, pinned, leased)), "marked " + marked);
                assertTrue(collected.containsAll(List.of(caller, callee, pinned, leased)), "collected " + collected);
                return null;
            });
        } finally {
            s.terminate();
            s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aStoreInstanceHandedInIsTheOneUsed() throws Exception {
        ActorSystem<Void> s = upNode();
        try {
            io.blobgc.store.FileBlobStore mine = new io.blobgc.store.FileBlobStore(dir.resolve("the-apps-store"));
            BlobGc gc = await(BlobGc.start(s, mine));
            assertTrue(gc.store() == mine);
            BlobHash h = upload(gc, "in the app's store", List.of());
            assertTrue(java.nio.file.Files.exists(mine.pathOf(h)), "written where the app's store keeps it");
            var other = assertThrows(ExecutionException.class, () -> await(BlobGc.start(s,
                    new io.blobgc.store.FileBlobStore(dir.resolve("another")))));
            assertTrue(other.getCause().getMessage().contains("another store"), other.getCause().getMessage());
            assertTrue(await(BlobGc.start(s)) == gc, "start without a store returns the running instance");
            var otherSettings = assertThrows(ExecutionException.class,
                    () -> await(BlobGc.start(s, gc.settings().withDryRun(!gc.settings().dryRun()))));
            assertTrue(otherSettings.getCause().getMessage().contains("other settings"),
                    otherSettings.getCause().getMessage());
            assertTrue(await(BlobGc.start(s, gc.settings())) == gc, "the same settings: the running instance");
        } finally {
            s.terminate();
            s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }
}
