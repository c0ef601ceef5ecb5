package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.BlobInfo;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Partitioning;
import io.blobgc.protocol.ReporterProtocol.Report;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.protocol.ReporterProtocol.ToReporter;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

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

/**
 * Linked partition entities ({@link Hosting#linked}) in one local actor system under the persistence test kit
 * ({@link PartitionKit}), their messages to each other carried by local peers that log everything told and lose what
 * the test says ({@link #lost}); the test stands in for the conductor. Journals are seeded the way a replay finds them
 * ({@link #seed}). One a test; {@link #close()} it after.
 */
class LinkedPartitions implements AutoCloseable {

    static final Duration PATIENCE = Duration.ofSeconds(15);

    final PartitionKit kit;
    final Partitioning partitioning;
    final Map<Integer, ActorRef<ToCoordinator>> entities = new ConcurrentHashMap<>();
    /** Every message one entity told another, in order. */
    final List<ToCoordinator> told = new CopyOnWriteArrayList<>();
    /** Which of them are lost on the way (an entity not started yet gets nothing either). */
    volatile Predicate<ToCoordinator> lost = m -> false;
    private final PartitionPeers peers = new PartitionPeers() {
        @Override
        public RecipientRef<ToCoordinator> ref(int p) {
            return entities.get(p);
        }

        @Override
        public void tell(int p, ToCoordinator message) {
            told.add(message);
            ActorRef<ToCoordinator> to = entities.get(p);
            if (to != null && !lost.test(message)) to.tell(message);
        }

        /** The conductor's asks (its polls, its cycles): not logged, never lost. */
        @Override
        public <R> CompletionStage<R> ask(int p, Function<ActorRef<R>, ToCoordinator> message, Duration timeout) {
            return AskPattern.ask(entities.get(p), message::apply, timeout, kit.system().scheduler());
        }
    };

    /** n1's reporter: what the entities answer it. */
    final TestProbe<ToReporter> reporter;
    private long cycle, seq;

    /** @param blobGc the settings (partitions = P among them) */
    LinkedPartitions(String name, String blobGc, Path storeRoot) {
        kit = PartitionKit.local(name, blobGc, storeRoot);
        partitioning = kit.partitioning;
        reporter = kit.createTestProbe();
    }

    @Override
    public void close() {
        kit.close();
    }

    /** Loses the first message that {@code which} matches, once. */
    void loseOnce(Predicate<ToCoordinator> which) {
        boolean[] done = {false};
        lost = m -> {
            synchronized (done) {
                if (done[0] || !which.test(m)) return false;
                done[0] = true;
                return true;
            }
        };
    }

    /**
     * Partition {@code p}'s journal as a replay finds it: an earlier instance's takeover, then {@code events}.
     */
    void seed(int p, Coordinator.Event... events) {
        List<Object> journal = new java.util.ArrayList<>();
        journal.add(new Coordinator.TookOver("seed-" + p, 1, 30_000, partitioning.count(), "sharded", p));
        journal.addAll(List.of(events));
        kit.journal.persistForRecovery(PartitionKit.pid(p), journal);
    }

    /** Entity {@code p}, linked, not spawned: it takes over once a conductor's keep-alive comes. */
    Behavior<ToCoordinator> linked(int p) {
        return Coordinator.create(kit.settings, kit.store, Clock.systemUTC(), null, Timings.NONE,
                Hosting.linked(p, partitioning, peers));
    }

    /** Entity {@code p}, linked, kept by a conductor that took over: it took over when this returns. */
    ActorRef<ToCoordinator> start(int p) {
        ActorRef<ToCoordinator> e = kit.spawn(PartitionKit.conducted(linked(p)));
        entities.put(p, e);
        kit.assertAlive(e);
        return e;
    }

    /** Entity {@code p} stopped, then started again (a new instance, recovering its journal). */
    void restart(int p) {
        ActorRef<ToCoordinator> e = entities.get(p);
        kit.stop(e);
        kit.createTestProbe().expectTerminated(e, PATIENCE);
        start(p);
    }

    /** Entities {@code ps} all stopped, then all started again (they recover together: a full restart of those). */
    void restartTogether(int... ps) {
        for (int p : ps) {
            ActorRef<ToCoordinator> e = entities.remove(p);
            kit.stop(e);
            kit.createTestProbe().expectTerminated(e, PATIENCE);
        }
        for (int p : ps) start(p);
    }

    /** A conductor of the linked entities (it runs the settle round), spawned. */
    ActorRef<ToCoordinator> conductor() {
        return kit.spawn(Conductor.create(kit.settings, peers, Clock.systemUTC(), true));
    }

    /** A hash partition {@code p} owns, its content in the store. */
    BlobHash stored(int p, String name) throws IOException {
        return kit.stored(p, name);
    }

    BlobInfo info(BlobHash h) {
        ActorRef<ToCoordinator> owner = entities.get(partitioning.partitionOf(h));
        TestProbe<Coordinator.BlobReply> probe = kit.createTestProbe();
        owner.tell(new Coordinator.GetBlob(h, probe.getRef()));
        return kit.answered(probe, Coordinator.BlobReply.class, owner).info();
    }

    Coordinator.Summary summary(int p) {
        return summary(entities.get(p));
    }

    Coordinator.Summary summary(ActorRef<ToCoordinator> e) {
        TestProbe<Coordinator.Summary> probe = kit.createTestProbe();
        e.tell(new Coordinator.GetSummary(probe.getRef()));
        return kit.answered(probe, Coordinator.Summary.class, e);
    }

    /** Partition {@code p}'s generation: how many takeovers its journal holds. */
    int generation(int p) {
        return (int) kit.written(p).stream().filter(e -> e instanceof Coordinator.TookOver).count();
    }

    // ---- standing in for the nodes and the conductor

    /** Node n1's next report to every partition (its shares): a FULL of {@code held}. */
    void full(BlobHash... held) {
        report(NodeReport.full("n1", 1, ++seq, List.of(held), List.of()));
    }

    /** Node n1's next report to every partition (its shares): a DELTA. */
    void delta(List<BlobHash> added, List<BlobHash> removed) {
        report(NodeReport.delta("n1", 1, ++seq, added, removed, List.of(), List.of()));
    }

    /** The seq of n1's last report (what its next acquire names as {@code afterSeq}). */
    long seq() {
        return seq;
    }

    void report(NodeReport r) {
        for (ActorRef<ToCoordinator> e : entities.values()) e.tell(new Report(r, reporter.getRef()));
    }

    /**
     * n1's heartbeat (a node view confirms nothing absent without a report after the blob's decision, S3), then the
     * next cycle on every entity, answered by each (so its exports are flushed).
     */
    void cycle() {
        delta(List.of(), List.of());
        cycle++;
        for (int p = 0; p < partitioning.count(); p++) {
            TestProbe<Coordinator.PartitionCycled> probe = kit.createTestProbe();
            entities.get(p).tell(new Coordinator.RunPartitionCycle(cycle, false, probe.getRef()));
            kit.answered(probe, Coordinator.PartitionCycled.class, entities.get(p));
        }
    }

    /** The settle round's end, as the conductor would send it, for the entities' generations now: all warmed up. */
    void settled() {
        List<Integer> generations = new java.util.ArrayList<>();
        for (int p = 0; p < partitioning.count(); p++) generations.add(generation(p));
        var settled = new Coordinator.PartitionsSettled(generations);
        // the round ends only once every partition has the others' FULLs: it polls again until then, as here
        cyclesUntil("every partition warmed up", () -> {
            for (ActorRef<ToCoordinator> e : entities.values()) e.tell(settled);
            for (int p = 0; p < partitioning.count(); p++) if (summary(p).warmingUp()) return false;
            return true;
        }, () -> "blockers " + java.util.stream.IntStream.range(0, partitioning.count()).boxed()
                .collect(java.util.stream.Collectors.toMap(p -> p, p -> summary(p).warmUpBlockers())));
    }

    /** Cycles until {@code done} (the sweeper deletes between them), or fails naming {@code what}. */
    void cyclesUntil(String what, BooleanSupplier done, Supplier<String> state) {
        eventually(what, () -> {
            cycle();
            return done.getAsBoolean();
        }, state);
    }

    /** Whether {@code h}'s owner holds it for partition {@code p} (an export or a fence's sticky). */
    boolean heldFor(BlobHash h, int p) {
        return info(h).referencedBy().contains("partition:" + p);
    }

    /** Waits until {@code done}, or fails naming {@code what} and {@code state}. */
    static void eventually(String what, BooleanSupplier done, Supplier<String> state) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError(what + " within " + PATIENCE + ": " + state.get());
            try {
                Thread.sleep(50); // the entities' messages, and the sweeper's deletions, are asynchronous: look again
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }
}
