package io.blobgc.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator;
import io.blobgc.coordinator.Hosting;
import io.blobgc.coordinator.Timings;
import io.blobgc.ledger.BlobInfo;
import io.blobgc.ledger.Partitioning;
import io.blobgc.ledger.Registration;
import io.blobgc.ledger.ReportOutcome;
import io.blobgc.protocol.ReporterProtocol;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import io.blobgc.protocol.ReporterProtocol.ResendFull;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.protocol.ReporterProtocol.ToReporter;
import io.blobgc.store.FileBlobStore;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Review of 8065f50 (reporters send shares and fence asks straight to the partition entities): what held. A real
 * {@link NodeReporter} over {@link CoordinatorRoute#byPartition} to four real partition entities (Coordinator with
 * Hosting.partition, the persistence test kit's journal): chunked FULL reports split into shares, acquires to the
 * owner, releases withdrawn from the owner's view, a FULL asked by one partition, and a partition entity that restarts
 * (new instance, soft views gone) gets a FULL and ends its warm-up.
 */
class ReporterRouteReviewHeldTest {

    private static final int P = 4;
    private static final Partitioning FOUR = Partitioning.of(P);
    private static final Config CONFIG = ConfigFactory.parseString("""
            pekko.actor.provider = local
            pekko.loglevel = INFO
            blob-gc {
              partitions = 4
              grace-period = 0s
              cycle-interval = 1h
              heartbeat-interval = 200ms
              stale-report-threshold = 3h
              journal.journal-plugin = ""
              journal.snapshot-plugin = ""
              reporter.max-report-chunk = 2
              reporter.acquire-timeout = 3s
            }
            """).withFallback(EventSourcedBehaviorTestKit.config())
            .withFallback(PersistenceTestKitSnapshotPlugin.config())
            .withFallback(ConfigFactory.load()).resolve();
    private static final BlobGcSettings SETTINGS = BlobGcSettings.from(CONFIG);
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path storeRoot;
    private ActorTestKit kit;
    private FileBlobStore store;
    private final List<ActorRef<ToCoordinator>> entities = new ArrayList<>();
    private TestProbe<ToCoordinator> conductor;
    private ActorRef<ToReporter> reporter;

    @BeforeEach
    void start() {
        kit = ActorTestKit.create("ReporterRouteReviewHeldTest", CONFIG);
        store = new FileBlobStore(storeRoot);
        for (int p = 0; p < P; p++) entities.add(kit.spawn(entity(p)));
        conductor = kit.createTestProbe();
        CoordinatorRoute route = CoordinatorRoute.byPartition(FOUR, p -> entities.get(p), conductor.getRef());
        reporter = kit.spawn(NodeReporter.create("node-a", route, SETTINGS, null));
    }

    @AfterEach
    void stop() {
        kit.shutdownTestKit();
    }

    private org.apache.pekko.actor.typed.Behavior<ToCoordinator> entity(int p) {
        // kept alive as by a conductor that took over: an entity takes over only once it got a keep-alive
        var entity = Coordinator.create(SETTINGS, store, Clock.systemUTC(), null, Timings.NONE,
                Hosting.partition(p, FOUR));
        return Behaviors.setup(ctx -> {
            ctx.getSelf().tell(Coordinator.KeepAlive.INSTANCE);
            return entity;
        });
    }

    /** Two uploaded blobs in each partition, registered with their owner. */
    private Map<BlobHash, Integer> uploadTwoPerPartition() throws Exception {
        Map<BlobHash, Integer> out = new LinkedHashMap<>();
        int[] count = new int[P];
        for (int i = 0; out.size() < 2 * P; i++) {
            byte[] content = ("blob " + i).getBytes();
            BlobHash h = BlobHash.sha256(content);
            int p = FOUR.partitionOf(h);
            if (count[p] == 2) continue;
            count[p]++;
            store.put(h, content);
            TestProbe<ReporterProtocol.Registered> reg = kit.createTestProbe();
            entities.get(p).tell(new ReporterProtocol.Register(List.of(Registration.of(h)), reg.getRef()));
            assertEquals(List.of(h), reg.expectMessageClass(ReporterProtocol.Registered.class, WAIT).accepted());
            out.put(h, p);
        }
        return out;
    }

    private AcquireResult acquire(Object holder, BlobHash h) {
        TestProbe<AcquireReply> caller = kit.createTestProbe();
        reporter.tell(new NodeReporter.Acquire(holder, h, caller.getRef()));
        return caller.expectMessageClass(AcquireReply.class, WAIT).result();
    }

    private List<String> referencedBy(BlobHash h, int p) {
        TestProbe<Coordinator.BlobReply> r = kit.createTestProbe();
        entities.get(p).tell(new Coordinator.GetBlob(h, r.getRef()));
        BlobInfo info = r.expectMessageClass(Coordinator.BlobReply.class, WAIT).info();
        return info == null ? List.of() : info.referencedBy();
    }

    private Coordinator.Summary summary(int p) {
        TestProbe<Coordinator.Summary> r = kit.createTestProbe();
        entities.get(p).tell(new Coordinator.GetSummary(r.getRef()));
        return r.expectMessageClass(Coordinator.Summary.class, WAIT);
    }

    @Test
    void acquiresReleasesAndChunkedFullsKeepEachPartitionsViewExact() throws Exception {
        Map<BlobHash, Integer> blobs = uploadTwoPerPartition();
        ActorRef<Object> frame = kit.spawn(Behaviors.empty());
        for (BlobHash h : blobs.keySet()) assertEquals(AcquireResult.ACQUIRED, acquire(frame, h));
        TestProbe<Object> probe = kit.createTestProbe();
        probe.awaitAssert(WAIT, () -> {
            blobs.forEach((h, p) -> assertEquals(List.of("node-a"), referencedBy(h, p), "held: " + h));
            return null;
        });
        // release the first of each partition; the DELTA withdraws it from its owner only
        List<BlobHash> released = new ArrayList<>(), kept = new ArrayList<>();
        boolean[] seen = new boolean[P];
        for (var e : blobs.entrySet()) {
            if (!seen[e.getValue()]) {
                seen[e.getValue()] = true;
                released.add(e.getKey());
            } else {
                kept.add(e.getKey());
            }
        }
        TestProbe<org.apache.pekko.Done> done = kit.createTestProbe();
        for (BlobHash h : released) reporter.tell(new NodeReporter.Release(frame, h, done.getRef()));
        probe.awaitAssert(WAIT, () -> {
            for (BlobHash h : released) assertEquals(List.of(), referencedBy(h, blobs.get(h)), "released: " + h);
            for (BlobHash h : kept) assertEquals(List.of("node-a"), referencedBy(h, blobs.get(h)), "kept: " + h);
            return null;
        });
        // a FULL asked by one partition (any reason): 4 kept hashes at max-report-chunk 2 -> 2 chunks, each split in 4
        reporter.tell(new ResendFull(Long.MIN_VALUE, Long.MIN_VALUE, "review"));
        Thread.sleep(600); // deliberate, not a wait: time for the FULL to reach the partitions, to show it changes nothing
        for (BlobHash h : released) assertEquals(List.of(), referencedBy(h, blobs.get(h)), "released: " + h);
        for (BlobHash h : kept) assertEquals(List.of("node-a"), referencedBy(h, blobs.get(h)), "kept: " + h);
        for (int p = 0; p < P; p++) {
            Coordinator.Summary s = summary(p);
            assertFalse(s.warmingUp(), "partition " + p + " warm: " + s.warmUpBlockers());
            assertEquals(0L, s.reportOutcomes().getOrDefault(ReportOutcome.NEED_FULL.name(), 0L),
                    "partition " + p + " saw no gap: " + s.reportOutcomes());
        }
        conductor.expectNoMessage(Duration.ofMillis(50));
    }

    @Test
    void aPartitionThatRestartsGetsAFullAndEndsItsWarmUp() throws Exception {
        Map<BlobHash, Integer> blobs = uploadTwoPerPartition();
        ActorRef<Object> frame = kit.spawn(Behaviors.empty());
        BlobHash held = blobs.entrySet().stream().filter(e -> e.getValue() == 2).findFirst().orElseThrow().getKey();
        assertEquals(AcquireResult.ACQUIRED, acquire(frame, held));
        kit.createTestProbe().awaitAssert(WAIT, () -> {
            assertEquals(List.of("node-a"), referencedBy(held, 2));
            return null;
        });
        // partition 2 moves: its instance stops, a new one recovers from the journal (views are soft state)
        ActorRef<ToCoordinator> old = entities.get(2);
        old.tell(Coordinator.PartitionStop.INSTANCE);
        kit.createTestProbe().expectTerminated(old, WAIT);
        entities.set(2, kit.spawn(entity(2)));
        TestProbe<Object> probe = kit.createTestProbe();
        probe.awaitAssert(WAIT, () -> {
            Coordinator.Summary s = summary(2);
            assertFalse(s.warmingUp(), "warm again: " + s.warmUpBlockers());
            assertEquals(List.of("node-a"), referencedBy(held, 2));
            return null;
        });
        // and the reporter goes on with DELTAs the new instance takes
        assertEquals(AcquireResult.ACQUIRED, acquire(frame, blobs.entrySet().stream()
                .filter(e -> e.getValue() == 2 && !e.getKey().equals(held)).findFirst().orElseThrow().getKey()));
    }

    /**
     * A reporter restart (a new incarnation of the same node): its first FULL share, straight to each partition, drops
     * what the old incarnation held there, and a late fence ask of the old incarnation is refused, not recorded.
     */
    @Test
    void aNewIncarnationDropsTheOldOnesHoldsInEachPartitionAndItsLateAsksAreRefused() throws Exception {
        Map<BlobHash, Integer> blobs = uploadTwoPerPartition();
        ActorRef<Object> frame = kit.spawn(Behaviors.empty());
        BlobHash x = blobs.keySet().iterator().next();
        int px = blobs.get(x);
        assertEquals(AcquireResult.ACQUIRED, acquire(frame, x));
        TestProbe<ReporterCore.View> view = kit.createTestProbe();
        reporter.tell(new NodeReporter.GetView(view.getRef()));
        long oldIncarnation = view.receiveMessage().incarnation();
        TestProbe<Object> probe = kit.createTestProbe();
        probe.awaitAssert(WAIT, () -> {
            assertEquals(List.of("node-a"), referencedBy(x, px));
            return null;
        });
        kit.stop(reporter);
        Thread.sleep(5); // deliberate: the next incarnation (the start's wall-clock millis) is another
        reporter = kit.spawn(NodeReporter.create("node-a", CoordinatorRoute.byPartition(FOUR, p -> entities.get(p),
                conductor.getRef()), SETTINGS, null));
        probe.awaitAssert(WAIT, () -> {
            assertEquals(List.of(), referencedBy(x, px), "the new incarnation's FULL dropped it");
            return null;
        });
        TestProbe<AcquireReply> late = kit.createTestProbe();
        entities.get(px).tell(new ReporterProtocol.Acquire("node-a", oldIncarnation, 1, x, late.getRef()));
        assertEquals(AcquireResult.REFUSED, late.expectMessageClass(AcquireReply.class, WAIT).result());
        // the entity answered after it handled the ask: what it recorded is there for the next query
        assertEquals(List.of(), referencedBy(x, px), "the late ask of the old incarnation recorded nothing");
    }
}
