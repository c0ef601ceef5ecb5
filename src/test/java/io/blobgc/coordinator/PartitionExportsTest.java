package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.BlobInfo;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Partitioning;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.Report;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.protocol.ReporterProtocol.ToReporter;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Exports as messages between two linked partition entities ({@link Hosting#linked}, {@link PartitionLinks};
 * partitions-part2-plan S1.4), in a local actor system under the persistence test kit, the test standing in for the
 * conductor (cycles, the settle round's end). Partition A (0) owns x, B (1) owns c and d; x calls c. The journals are
 * seeded with the registrations (registering across partition entities is S1.7's), the way a replay finds them.
 */
class PartitionExportsTest {

    private static final Partitioning TWO = Partitioning.of(2);
    private static final Duration PATIENCE = Duration.ofSeconds(15);

    @TempDir
    Path storeRoot;
    private PartitionKit kit;
    private final Map<Integer, ActorRef<ToCoordinator>> entities = new ConcurrentHashMap<>();
    /** Every message one entity told another, in order. */
    private final List<ToCoordinator> told = new CopyOnWriteArrayList<>();
    /** Which of them are lost on the way (the test decides). */
    private volatile Predicate<ToCoordinator> lost = m -> false;
    private final PartitionPeers peers = new PartitionPeers() {
        @Override
        public RecipientRef<ToCoordinator> ref(int p) {
            return entities.get(p);
        }

        @Override
        public void tell(int p, ToCoordinator message) {
            told.add(message);
            ActorRef<ToCoordinator> to = entities.get(p);
            if (to != null && !lost.test(message)) to.tell(message); // one not started yet: lost

        }

        @Override
        public <R> CompletionStage<R> ask(int p, Function<ActorRef<R>, ToCoordinator> message, Duration timeout) {
            throw new UnsupportedOperationException("entities ask nothing of each other yet");
        }
    };
    private TestProbe<ToReporter> reporter;
    private BlobHash x, c, d;
    private long cycle, seq;

    @BeforeEach
    void seedAndStart() throws IOException {
        kit = PartitionKit.local("PartitionExportsTest", "partitions = 2", storeRoot);
        reporter = kit.createTestProbe();
        x = kit.stored(0, "x");
        c = kit.stored(1, "c");
        d = kit.stored(1, "d");
        seed(0, new Registration(x, List.of(c)));
        seed(1, Registration.of(c), Registration.of(d));
        start(0);
        start(1);
    }

    @AfterEach
    void stop() {
        kit.close();
    }

    /** Partition {@code p}'s journal as a replay finds it: an earlier instance's takeover, then the registrations. */
    private void seed(int p, Registration... registrations) {
        kit.journal.persistForRecovery(PartitionKit.pid(p), List.of(
                new Coordinator.TookOver("seed-" + p, 1, 30_000, 2, "sharded", p),
                new Coordinator.BlobsRegistered(List.of(registrations))));
    }

    /** Entity {@code p}, linked, kept by a conductor that took over: it took over when this returns. */
    private void start(int p) {
        ActorRef<ToCoordinator> e = kit.spawn(PartitionKit.conducted(Coordinator.create(kit.settings, kit.store,
                Clock.systemUTC(), null, Timings.NONE, Hosting.linked(p, TWO, peers))));
        entities.put(p, e);
        kit.assertAlive(e);
    }

    /** Node n1's next report, its share to each partition: a FULL of {@code held}, or a DELTA. */
    private void full(BlobHash... held) {
        report(NodeReport.full("n1", 1, ++seq, List.of(held), List.of()));
    }

    private void delta(List<BlobHash> added, List<BlobHash> removed) {
        report(NodeReport.delta("n1", 1, ++seq, added, removed, List.of(), List.of()));
    }

    private void report(NodeReport r) {
        for (ActorRef<ToCoordinator> e : entities.values()) e.tell(new Report(r, reporter.getRef()));
    }

    /**
     * n1's heartbeat (a node view confirms nothing absent without a report after the blob's decision, S3), then the
     * next cycle on both entities, answered by each (so its exports are flushed).
     */
    private void cycle() {
        delta(List.of(), List.of());
        cycle++;
        for (int p = 0; p < 2; p++) {
            TestProbe<Coordinator.PartitionCycled> probe = kit.createTestProbe();
            entities.get(p).tell(new Coordinator.RunPartitionCycle(cycle, false, probe.getRef()));
            kit.answered(probe, Coordinator.PartitionCycled.class, entities.get(p));
        }
    }

    private BlobInfo info(BlobHash h) {
        int p = TWO.partitionOf(h);
        TestProbe<Coordinator.BlobReply> probe = kit.createTestProbe();
        entities.get(p).tell(new Coordinator.GetBlob(h, probe.getRef()));
        return kit.answered(probe, Coordinator.BlobReply.class, entities.get(p)).info();
    }

    private Coordinator.Summary summary(int p) {
        TestProbe<Coordinator.Summary> probe = kit.createTestProbe();
        entities.get(p).tell(new Coordinator.GetSummary(probe.getRef()));
        return kit.answered(probe, Coordinator.Summary.class, entities.get(p));
    }

    /** Partition {@code p}'s generation: how many takeovers its journal holds. */
    private int generation(int p) {
        return (int) kit.written(p).stream().filter(e -> e instanceof Coordinator.TookOver).count();
    }

    /** The settle round's end, as the conductor would send it, for the entities' generations now. */
    private void settled() {
        var settled = new Coordinator.PartitionsSettled(List.of(generation(0), generation(1)));
        // the round ends only once every partition has the other's FULL: it polls again until then, as here
        cyclesUntil("both warmed up", () -> {
            for (ActorRef<ToCoordinator> e : entities.values()) e.tell(settled);
            return !summary(0).warmingUp() && !summary(1).warmingUp();
        }, () -> "A waits for " + summary(0).warmUpBlockers() + ", B for " + summary(1).warmUpBlockers());
    }

    /** Cycles until {@code done} (the sweeper deletes between them), or fails naming {@code what}. */
    private void cyclesUntil(String what, BooleanSupplier done, Supplier<String> state) {
        eventually(what, () -> {
            cycle();
            return done.getAsBoolean();
        }, state);
    }

    private static void eventually(String what, BooleanSupplier done, Supplier<String> state) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError(what + " within " + PATIENCE + ": " + state.get());
            try {
                Thread.sleep(50); // the exports are told, and the sweeper deletes, asynchronously: look again
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    private boolean heldByA(BlobHash h) {
        return info(h).referencedBy().contains("partition:0");
    }

    private boolean collected(BlobHash h) {
        return info(h).status() == BlobStatus.COLLECTED && !kit.store.exists(h);
    }

    @Test
    void aHeldCallersRemoteCalleeIsHeldInItsOwnerUntilReleasedAndThenCollected() {
        full(x);
        cycle(); // A's flush after its cycle exports c to B
        eventually("B holds c for A", () -> heldByA(c), () -> String.valueOf(info(c)));
        settled();
        cyclesUntil("d, unheld, collected by B", () -> collected(d), () -> String.valueOf(info(d)));
        assertEquals(BlobStatus.ACTIVE, info(c).status(), "c is held while x is: " + info(c));
        assertTrue(kit.store.exists(c));

        delta(List.of(), List.of(x));
        cyclesUntil("c collected once x was released", () -> collected(c), () -> String.valueOf(info(c)));
    }

    @Test
    void aLostExportIsAGapThatAsksItsSenderForAFull() {
        full();
        cycle();
        settled();
        lost = m -> m instanceof Coordinator.PartitionExport e && e.from() == 0 && e.report().activeAdded().contains(c);
        delta(List.of(x), List.of());
        cycle(); // A's report adding c is lost
        assertTrue(told.stream().anyMatch(lost), "the report adding c was sent: " + told);
        lost = m -> false;
        assertFalse(heldByA(c));
        cycle(); // A's next DELTA is a gap: B asks for a FULL, which A sends at once
        eventually("B holds c for A", () -> heldByA(c), () -> String.valueOf(info(c)));
        assertTrue(told.stream().anyMatch(m -> m instanceof Coordinator.ExportResend r && r.asker() == 1),
                "B asked for a FULL: " + told);
        cycle();
        cycle();
        assertEquals(BlobStatus.ACTIVE, info(c).status(), "c is held while x is: " + info(c));
    }

    @Test
    void aRestartedPartitionTakesNoFullButTheOneEchoingItsNewGeneration() {
        full(x);
        cycle();
        settled();
        cycle(); // A's first settled reports to B: a FULL
        eventually("A's settled FULL to B", () -> lastFullFromA() != null, () -> String.valueOf(told));
        Coordinator.PartitionExport old = lastFullFromA();
        assertTrue(old.report().settled());
        assertTrue(old.report().activeAdded().contains(c));

        ActorRef<ToCoordinator> b = entities.get(1);
        kit.stop(b);
        kit.createTestProbe().expectTerminated(b, PATIENCE);
        lost = m -> m instanceof Coordinator.PartitionExport e && e.to() == 1; // nothing from A reaches B for now
        start(1);
        full(x); // n1 reports again to both (a new seq): B's warm-up waits for partition A alone
        entities.get(1).tell(old); // A's FULL from before B's restart, late
        cycle();
        eventually("B asked A for a FULL since its restart, twice (takeover, the late FULL)", () -> told.stream()
                .filter(m -> m instanceof Coordinator.ExportResend r && r.asker() == 1 && r.generation() == generation(1))
                .count() >= 2, () -> String.valueOf(told));
        Coordinator.Summary warming = summary(1);
        assertTrue(warming.warmingUp(), "the late FULL ended nothing: " + warming.warmUpBlockers());
        assertEquals(List.of("partition:0"), warming.warmUpBlockers());

        lost = m -> false;
        cycle(); // A's next report to B: a gap, so B asks again, and A's FULL echoes B's generation
        eventually("B warmed up on A's echoed FULL", () -> !summary(1).warmingUp(),
                () -> String.valueOf(summary(1).warmUpBlockers()));
        assertTrue(heldByA(c));
        assertFalse(told.stream().noneMatch(m -> m instanceof Coordinator.PartitionExport e && e.to() == 1
                && e.echo() == generation(1) && e.report().kind() == NodeReport.Kind.FULL), "echoed: " + told);
    }

    /** A's last FULL export to B told so far, or null. */
    private Coordinator.PartitionExport lastFullFromA() {
        Coordinator.PartitionExport last = null;
        for (ToCoordinator m : told) {
            if (m instanceof Coordinator.PartitionExport e && e.from() == 0 && e.report().kind() == NodeReport.Kind.FULL
                    && e.report().settled()) {
                last = e;
            }
        }
        return last;
    }
}
