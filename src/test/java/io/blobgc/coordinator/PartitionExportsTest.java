package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Partitioning;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

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

    @TempDir
    Path storeRoot;
    private LinkedPartitions net;
    private BlobHash x, c, d;

    @BeforeEach
    void seedAndStart() throws IOException {
        net = new LinkedPartitions("PartitionExportsTest", """
                partitions = 2
                heartbeat-interval = 200ms
                """, storeRoot);
        x = net.stored(0, "x");
        c = net.stored(1, "c");
        d = net.stored(1, "d");
        net.seed(0, new Coordinator.BlobsRegistered(List.of(new Registration(x, List.of(c)))));
        net.seed(1, new Coordinator.BlobsRegistered(List.of(Registration.of(c), Registration.of(d))));
        net.start(0);
        net.start(1);
    }

    @AfterEach
    void stop() {
        net.close();
    }

    @Test
    void aHeldCallersRemoteCalleeIsHeldInItsOwnerUntilReleasedAndThenCollected() {
        net.full(x);
        net.cycle(); // A's flush after its cycle exports c to B
        LinkedPartitions.eventually("B holds c for A", () -> net.heldFor(c, 0), () -> String.valueOf(net.info(c)));
        net.settled();
        net.cyclesUntil("d, unheld, collected by B", () -> collected(d), () -> String.valueOf(net.info(d)));
        assertEquals(BlobStatus.ACTIVE, net.info(c).status(), "c is held while x is: " + net.info(c));
        assertTrue(net.kit.store.exists(c));

        net.delta(List.of(), List.of(x));
        net.cyclesUntil("c collected once x was released", () -> collected(c), () -> String.valueOf(net.info(c)));
    }

    @Test
    void aLostExportIsAGapThatAsksItsSenderForAFull() {
        net.full();
        net.cycle();
        net.settled();
        net.lost = m -> m instanceof Coordinator.PartitionExport e && e.from() == 0 && e.report().activeAdded().contains(c);
        net.delta(List.of(x), List.of());
        net.cycle(); // A's report adding c is lost (the report fence's sticky holds c in B meanwhile)
        assertTrue(net.told.stream().anyMatch(net.lost), "the report adding c was sent: " + net.told);
        // from the lost report on: A's next DELTA may follow it within the same cycle (a flush), and B's ask with it
        int lostAt = net.told.indexOf(net.told.stream().filter(net.lost).findFirst().orElseThrow());
        net.lost = m -> false;
        net.cycle(); // A's next DELTA is a gap: B asks for a FULL, which A sends at once
        LinkedPartitions.eventually("A's FULL listing c, asked by B after the gap", () -> net.told.stream().skip(lostAt)
                .anyMatch(m -> m instanceof Coordinator.PartitionExport e && e.from() == 0
                        && e.report().kind() == NodeReport.Kind.FULL && e.report().activeAdded().contains(c)),
                () -> String.valueOf(net.told));
        assertTrue(net.told.stream().skip(lostAt).anyMatch(m -> m instanceof Coordinator.ExportResend r
                && r.asker() == 1), "B asked for a FULL: " + net.told);
        assertTrue(net.heldFor(c, 0), String.valueOf(net.info(c)));
        net.cycle();
        net.cycle();
        assertEquals(BlobStatus.ACTIVE, net.info(c).status(), "c is held while x is: " + net.info(c));
    }

    @Test
    void aRestartedPartitionTakesNoFullButTheOneEchoingItsNewGeneration() {
        net.full(x);
        net.cycle();
        net.settled();
        net.cycle(); // A's first settled reports to B: a FULL
        LinkedPartitions.eventually("A's settled FULL to B", () -> lastFullFromA() != null, () -> String.valueOf(net.told));
        Coordinator.PartitionExport old = lastFullFromA();
        assertTrue(old.report().settled());
        assertTrue(old.report().activeAdded().contains(c));

        net.lost = m -> m instanceof Coordinator.PartitionExport e && e.to() == 1; // nothing from A reaches B for now
        net.restart(1);
        net.full(x); // n1 reports again to both (a new seq): B's warm-up waits for partition A alone
        net.entities.get(1).tell(old); // A's FULL from before B's restart, late
        net.cycle();
        LinkedPartitions.eventually("B asked A for a FULL since its restart, twice (takeover, the late FULL)", () -> net.told.stream()
                .filter(m -> m instanceof Coordinator.ExportResend r && r.asker() == 1 && r.generation() == net.generation(1))
                .count() >= 2, () -> String.valueOf(net.told));
        Coordinator.Summary warming = net.summary(1);
        assertTrue(warming.warmingUp(), "the late FULL ended nothing: " + warming.warmUpBlockers());
        assertEquals(List.of("partition:0"), warming.warmUpBlockers());

        net.lost = m -> false;
        net.cycle(); // A's next report to B: a gap, so B asks again, and A's FULL echoes B's generation
        LinkedPartitions.eventually("B warmed up on A's echoed FULL", () -> !net.summary(1).warmingUp(),
                () -> String.valueOf(net.summary(1).warmUpBlockers()));
        assertTrue(net.heldFor(c, 0));
        assertFalse(net.told.stream().noneMatch(m -> m instanceof Coordinator.PartitionExport e && e.to() == 1
                && e.echo() == net.generation(1) && e.report().kind() == NodeReport.Kind.FULL), "echoed: " + net.told);
    }

    private boolean collected(BlobHash h) {
        return net.info(h).status() == BlobStatus.COLLECTED && !net.kit.store.exists(h);
    }

    @Test
    void theConductorsSettleRoundEndsTheWarmUpsOfPartitionsThatRecoveredTogetherWithTheChainHeld() {
        net.full(x);
        net.conductor(); // it polls every heartbeat interval
        LinkedPartitions.eventually("both warmed up", () -> !net.summary(0).warmingUp() && !net.summary(1).warmingUp(),
                () -> "A waits for " + net.summary(0).warmUpBlockers() + ", B for " + net.summary(1).warmUpBlockers());
        assertTrue(net.told.stream().anyMatch(m -> m instanceof Coordinator.PartitionsSettled s
                && s.generations().equals(List.of(net.generation(0), net.generation(1)))), "settled: " + net.told);
        assertTrue(net.heldFor(c, 0), "c held for A when the warm-ups ended: " + net.info(c));
    }

    /** A's last FULL export to B told so far, or null. */
    private Coordinator.PartitionExport lastFullFromA() {
        Coordinator.PartitionExport last = null;
        for (ToCoordinator m : net.told) {
            if (m instanceof Coordinator.PartitionExport e && e.from() == 0 && e.report().kind() == NodeReport.Kind.FULL
                    && e.report().settled()) {
                last = e;
            }
        }
        return last;
    }
}
