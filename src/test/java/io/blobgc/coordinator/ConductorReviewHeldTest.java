package io.blobgc.coordinator;

import com.typesafe.config.Config;
import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;
import io.blobgc.LogCapture;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.ledger.Partitioning;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.Acquire;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.Register;
import io.blobgc.protocol.ReporterProtocol.Registered;
import io.blobgc.protocol.ReporterProtocol.Report;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.protocol.ReporterProtocol.ToReporter;
import io.blobgc.store.FileBlobStore;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review of partitions-part2-plan S1.3: what was tried against the conductor and held (green on main at 4d9d193) —
 * registrations split and merged (order, duplicates, empty batch), a cross-partition edge sent straight to an entity,
 * a cycle's outcome across both partitions.
 */
class ConductorReviewHeldTest {

    private static final Partitioning TWO = Partitioning.of(2);
    private static final Duration SHORT = Duration.ofSeconds(5);

    @TempDir
    Path storeRoot;
    private ActorTestKit kit;
    private PersistenceTestKit journal;
    private FileBlobStore store;
    private BlobGcSettings settings;
    private LogCapture log;
    private final Map<Integer, ActorRef<ToCoordinator>> entities = new HashMap<>();

    private void start(String blobGc) {
        log = LogCapture.root();
        // provider cluster (never joined): the conductor reads Cluster.get(system).selfMember() in its constructor,
        // which a local provider's system refuses
        Config config = com.typesafe.config.ConfigFactory.parseString("""
                pekko.actor.provider = cluster
                pekko.remote.artery.canonical.port = 0
                """).withFallback(CoordinatorTestKit.config("""
                partitions = 2
                partition-hosting = sharded
                """ + blobGc)).resolve();
        settings = BlobGcSettings.from(config);
        kit = ActorTestKit.create("ConductorReviewHeldTest", config);
        journal = PersistenceTestKit.create(kit.system());
        store = new FileBlobStore(storeRoot);
    }

    @AfterEach
    void stopKit() {
        if (kit != null) kit.shutdownTestKit();
        if (log != null) log.close();
    }

    /** The two entities and a conductor over them, which answered a summary (so it took over). */
    private ActorRef<ToCoordinator> conductor() {
        for (int p = 0; p < 2; p++) entities.putIfAbsent(p, entity(p));
        ActorRef<ToCoordinator> c = kit.spawn(Conductor.create(settings,
                PartitionPeers.local(entities, kit.system().scheduler()), Clock.systemUTC()));
        TestProbe<Coordinator.Summary> summary = kit.createTestProbe();
        c.tell(new Coordinator.GetSummary(summary.getRef()));
        summary.expectMessageClass(Coordinator.Summary.class, SHORT);
        return c;
    }

    private ActorRef<ToCoordinator> entity(int p) {
        return kit.spawn(Coordinator.create(settings, store, Clock.systemUTC(), null, Timings.NONE,
                Hosting.partition(p, TWO)));
    }

    /** An empty batch is answered (nothing accepted, nothing refused). */
    @Test
    void anEmptyBatchIsAnswered() {
        start("");
        ActorRef<ToCoordinator> c = conductor();
        TestProbe<Registered> reply = kit.createTestProbe();
        c.tell(new Register(List.of(), reply.getRef()));
        Registered r = answered(reply, Registered.class, c);
        assertTrue(r.accepted().isEmpty() && r.rejected().isEmpty(), "" + r);
    }

    /**
     * Callers before their callees, in both partitions, one batch; a duplicate entry: every hash accepted once, the
     * answers of both partitions merged.
     */
    @Test
    void aBatchAcrossBothPartitionsInAnyOrderIsSplitAndMerged() throws Exception {
        start("");
        ActorRef<ToCoordinator> c = conductor();
        BlobHash a0 = stored(0, "a"), b0 = stored(0, "b"), a1 = stored(1, "a"), b1 = stored(1, "b");
        TestProbe<Registered> reply = kit.createTestProbe();
        c.tell(new Register(List.of(new Registration(a0, List.of(b0)), new Registration(a1, List.of(b1)),
                Registration.of(b1), Registration.of(b0), Registration.of(b0)), reply.getRef()));
        Registered r = answered(reply, Registered.class, c);
        assertEquals(java.util.Set.of(a0, b0, a1, b1), new java.util.HashSet<>(r.accepted()), "" + r);
        assertEquals(4, r.accepted().size(), "each once: " + r);
        assertTrue(r.rejected().isEmpty(), "" + r);
    }

    /** A registration with a callee of another partition, sent straight to an entity: refused there too. */
    @Test
    void aCrossPartitionEdgeSentStraightToAnEntityIsRefused() throws Exception {
        start("");
        conductor();
        BlobHash x = stored(0, "x"), z = stored(1, "z");
        TestProbe<Registered> reply = kit.createTestProbe();
        entities.get(1).tell(new Register(List.of(Registration.of(z)), reply.getRef()));
        assertTrue(reply.expectMessageClass(Registered.class, SHORT).accepted().contains(z));
        entities.get(0).tell(new Register(List.of(new Registration(x, List.of(z))), reply.getRef()));
        Registered r = reply.expectMessageClass(Registered.class, SHORT);
        assertTrue(r.rejected().contains(x) && !r.accepted().contains(x), "" + r);
    }

    /** Cycles through the conductor: each entity plans the conductor's number, once. */
    @Test
    void conductorCyclesArePlannedByEveryEntityOnce() {
        start("");
        ActorRef<ToCoordinator> c = conductor();
        TestProbe<CycleOutcome> outcome = kit.createTestProbe();
        for (long n = 1; n <= 2; n++) {
            c.tell(new Coordinator.RunCycleNow(false, outcome.getRef()));
            assertEquals(n, answered(outcome, CycleOutcome.class, c).cycle());
        }
        for (int p = 0; p < 2; p++) {
            TestProbe<Coordinator.PartitionCycled> again = kit.createTestProbe();
            entities.get(p).tell(new Coordinator.RunPartitionCycle(2, false, again.getRef()));
            assertEquals(null, again.expectMessageClass(Coordinator.PartitionCycled.class, SHORT).outcome(),
                    "cycle 2 ran on partition " + p + " already");
        }
    }

    // ---- helpers

    /** A hash partition {@code p} of two owns, its content in the store. */
    private BlobHash stored(int p, String name) throws Exception {
        for (int i = 0; ; i++) {
            byte[] content = (name + "/" + p + "/" + i).getBytes(StandardCharsets.UTF_8);
            BlobHash h = BlobHash.sha256(content);
            if (TWO.partitionOf(h) != p) continue;
            store.put(h, content);
            return h;
        }
    }

    private static BlobHash in(int p, String name) {
        for (int i = 0; ; i++) {
            BlobHash h = BlobHash.sha256((name + "/" + p + "/" + i).getBytes(StandardCharsets.UTF_8));
            if (TWO.partitionOf(h) == p) return h;
        }
    }

    private static String pid(int p) {
        return "blob-gc-partition|" + p;
    }

    private void assertAlive(ActorRef<ToCoordinator> c) {
        TestProbe<Coordinator.Summary> summary = kit.createTestProbe();
        c.tell(new Coordinator.GetSummary(summary.getRef()));
        answered(summary, Coordinator.Summary.class, c);
    }

    private <T> T answered(TestProbe<T> probe, Class<T> type, ActorRef<ToCoordinator> c) {
        try {
            return probe.expectMessageClass(type, SHORT);
        } catch (AssertionError noAnswer) {
            boolean stopped;
            try {
                kit.createTestProbe().expectTerminated(c, Duration.ofMillis(500));
                stopped = true;
            } catch (AssertionError running) {
                stopped = false;
            }
            throw new AssertionError("no " + type.getSimpleName() + " within " + SHORT + "; the conductor "
                    + (stopped ? "STOPPED" : "is still running") + "; errors logged: " + errors(), noAnswer);
        }
    }

    private List<String> errors() {
        return log.events().stream().filter(e -> e.getLevel() == ch.qos.logback.classic.Level.ERROR
                        || e.getThrowableProxy() != null)
                .map(e -> e.getFormattedMessage() + (e.getThrowableProxy() == null ? ""
                        : " [" + e.getThrowableProxy().getClassName() + ": " + e.getThrowableProxy().getMessage() + "]"))
                .toList();
    }
}
