package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.Registration;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fixture of the fence tests ({@link PartitionFenceTest}) and of their review: four linked entities and the chain
 * a(0) → b(1) → c(2) → d(3), registered in their journals by {@link #startChain}.
 */
abstract class FencesReviewBase {

    static final Duration ACQUIRE_TIMEOUT = Duration.ofSeconds(2);

    @TempDir
    Path storeRoot;
    LinkedPartitions net;
    BlobHash a, b, c, d;

    @BeforeEach
    void chain() throws IOException {
        open("");
    }

    /** The four linked entities' fixture with {@code extra} settings (it replaces the one open). */
    void open(String extra) throws IOException {
        if (net != null) net.close();
        net = new LinkedPartitions("FencesReviewTest", """
                partitions = 4
                grace-period = 1h
                reporter.acquire-timeout = %ds
                """.formatted(ACQUIRE_TIMEOUT.toSeconds()) + extra, storeRoot);
        a = net.stored(0, "a");
        b = net.stored(1, "b");
        c = net.stored(2, "c");
        d = net.stored(3, "d");
    }

    @AfterEach
    void stop() {
        net.close();
    }

    static Coordinator.BlobsRegistered registered(BlobHash hash, BlobHash callee) {
        return new Coordinator.BlobsRegistered(List.of(new Registration(hash,
                callee == null ? List.of() : List.of(callee))));
    }

    /**
     * The events of {@code x}'s collection by its partition's first cycle: unreferenced and marked, deleted, its
     * tombstone dated {@code now} (so it outlives the test).
     */
    List<Coordinator.Event> collected(BlobHash x, long now) {
        return List.of(new Coordinator.CycleCompleted(new io.blobgc.ledger.CycleOutcome(1, now, false, false, false,
                        List.of(x), List.of(), List.of(), List.of(), List.of(new io.blobgc.ledger.CycleOutcome.MarkedBlob(x,
                        now)), List.of(), List.of(), List.of(), List.of(), 0), net.partitioning.partitionOf(x)),
                new Coordinator.DeletionStarted(List.of(x), now),
                new Coordinator.BlobsCollected(List.of(x), now, 0));
    }

    /**
     * a (partition 0) collected — marked, deleted, its tombstone dated {@code now} so it outlives the test — above its
     * live callee b (partition 1); {@code more} in partition 0's journal too; the four entities started, n1's FULL
     * given to each and the partitions settled.
     */
    void startWithACollected(long now, Coordinator.Event... more) {
        List<Coordinator.Event> zero = new java.util.ArrayList<>(List.of(more));
        zero.add(0, registered(a, b));
        zero.addAll(collected(a, now));
        net.seed(0, zero.toArray(Coordinator.Event[]::new));
        net.seed(1, registered(b, null));
        net.seed(2);
        net.seed(3);
        startAll();
    }

    /** The four entities started (their journals seeded before), n1's FULL given to each, the partitions settled. */
    void startAll() {
        for (int p = 0; p < 4; p++) net.start(p);
        net.full();
        net.settled();
    }

    /** b2 of {@link #seedGoneChain}: partition 1, called by b. */
    BlobHash b2;

    /**
     * Review 30's chain a(0) → b(1) → b2(1), b2 collected, and a too when {@code aCollected}: seeded, then
     * {@link #startAll}.
     */
    void seedGoneChain(boolean aCollected) throws IOException {
        long now = System.currentTimeMillis();
        b2 = net.stored(1, "b2");
        List<Coordinator.Event> zero = new java.util.ArrayList<>(List.of(registered(a, b)));
        if (aCollected) zero.addAll(collected(a, now));
        net.seed(0, zero.toArray(Coordinator.Event[]::new));
        List<Coordinator.Event> one = new java.util.ArrayList<>(List.of(registered(b2, null), registered(b, b2)));
        one.addAll(collected(b2, now));
        net.seed(1, one.toArray(Coordinator.Event[]::new));
        net.seed(2);
        net.seed(3);
        startAll();
    }

    /** An acquire answered GONE naming exactly {@code named}, each once. */
    static void assertGoneNaming(io.blobgc.protocol.ReporterProtocol.AcquireReply reply, BlobHash... named) {
        assertEquals(io.blobgc.protocol.ReporterProtocol.AcquireResult.GONE, reply.result(), reply.message());
        assertEquals(java.util.Set.of(named), java.util.Set.copyOf(reply.gone()), reply.message());
        assertEquals(reply.gone().size(), java.util.Set.copyOf(reply.gone()).size(), "each named once: " + reply.gone());
    }

    void startChain() {
        net.seed(0, registered(a, b));
        net.seed(1, registered(b, c));
        net.seed(2, registered(c, d));
        net.seed(3, registered(d, null));
        for (int p = 0; p < 4; p++) net.start(p);
    }

    /** Partitions 1 and 2 restarted together (so each waits for the other's settled FULL): after n1's FULL of a. */
    void oneAndTwoRecoverTogether() {
        startChain();
        net.full(a);
        net.settled();
        net.restartTogether(1, 2);
        net.full(a); // n1 reports to every partition again: the restarted ones have its FULL
        LinkedPartitions.eventually("1 and 2 wait for each other alone", () ->
                        net.summary(1).warmUpBlockers().equals(List.of("partition:2"))
                                && net.summary(2).warmUpBlockers().equals(List.of("partition:1")),
                () -> net.summary(1).warmUpBlockers() + " / " + net.summary(2).warmUpBlockers());
        // one cycle on every entity: each flushed (n1's FULL made the report walks of 0 name b, and 0 "dirty" until a
        // flush); the test stands in for the conductor's cycle here, and its own conductor's is an hour away
        net.cycle();
    }

    void awaitWarmedUp(int... ps) {
        LinkedPartitions.eventually("partitions " + java.util.Arrays.toString(ps) + " warmed up", () -> {
            for (int p : ps) if (net.summary(p).warmingUp()) return false;
            return true;
        }, () -> {
            StringBuilder out = new StringBuilder();
            for (int p : ps) out.append(p).append(" waits for ").append(net.summary(p).warmUpBlockers()).append("; ");
            return out + "settled told: " + net.told.stream().anyMatch(m -> m instanceof Coordinator.PartitionsSettled);
        });
    }

    /** n1 acquires {@code h} from its owner; the answer. */
    io.blobgc.protocol.ReporterProtocol.AcquireReply acquire(BlobHash h) {
        TestProbe<io.blobgc.protocol.ReporterProtocol.AcquireReply> probe = net.kit.createTestProbe();
        net.entities.get(net.partitioning.partitionOf(h)).tell(new io.blobgc.protocol.ReporterProtocol.Acquire("n1",
                1, net.seq(), h, probe.getRef()));
        return probe.expectMessageClass(io.blobgc.protocol.ReporterProtocol.AcquireReply.class,
                ACQUIRE_TIMEOUT.multipliedBy(2));
    }
}
