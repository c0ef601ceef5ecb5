package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.Register;
import io.blobgc.protocol.ReporterProtocol.Registered;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review of partitions-part2-plan S1.3: what was tried against the conductor and held (green on main at 4d9d193) —
 * registrations split and merged (order, duplicates, empty batch), a cross-partition edge sent straight to an entity,
 * a cycle's outcome across both partitions.
 */
class ConductorReviewHeldTest {

    private static final Duration SHORT = PartitionKit.SHORT;

    @TempDir
    Path storeRoot;
    private PartitionKit kit;

    @BeforeEach
    void startKit() {
        kit = PartitionKit.sharded("ConductorReviewHeldTest", "partitions = 2", storeRoot);
    }

    @AfterEach
    void stopKit() {
        kit.close();
    }

    /** An empty batch is answered (nothing accepted, nothing refused). */
    @Test
    void anEmptyBatchIsAnswered() {
        ActorRef<ToCoordinator> c = kit.conductor();
        TestProbe<Registered> reply = kit.createTestProbe();
        c.tell(new Register(List.of(), reply.getRef()));
        Registered r = kit.answered(reply, Registered.class, c);
        assertTrue(r.accepted().isEmpty() && r.rejected().isEmpty(), "" + r);
    }

    /**
     * Callers before their callees, in both partitions, one batch; a duplicate entry: every hash accepted once, the
     * answers of both partitions merged.
     */
    @Test
    void aBatchAcrossBothPartitionsInAnyOrderIsSplitAndMerged() throws Exception {
        ActorRef<ToCoordinator> c = kit.conductor();
        BlobHash a0 = kit.stored(0, "a"), b0 = kit.stored(0, "b"), a1 = kit.stored(1, "a"), b1 = kit.stored(1, "b");
        TestProbe<Registered> reply = kit.createTestProbe();
        c.tell(new Register(List.of(new Registration(a0, List.of(b0)), new Registration(a1, List.of(b1)),
                Registration.of(b1), Registration.of(b0), Registration.of(b0)), reply.getRef()));
        Registered r = kit.answered(reply, Registered.class, c);
        assertEquals(java.util.Set.of(a0, b0, a1, b1), new java.util.HashSet<>(r.accepted()), "" + r);
        assertEquals(4, r.accepted().size(), "each once: " + r);
        assertTrue(r.rejected().isEmpty(), "" + r);
    }

    /** A registration with a callee of another partition, sent straight to an entity: refused there too. */
    @Test
    void aCrossPartitionEdgeSentStraightToAnEntityIsRefused() throws Exception {
        kit.conductor();
        BlobHash x = kit.stored(0, "x"), z = kit.stored(1, "z");
        TestProbe<Registered> reply = kit.createTestProbe();
        kit.entities.get(1).tell(new Register(List.of(Registration.of(z)), reply.getRef()));
        assertTrue(reply.expectMessageClass(Registered.class, SHORT).accepted().contains(z));
        kit.entities.get(0).tell(new Register(List.of(new Registration(x, List.of(z))), reply.getRef()));
        Registered r = reply.expectMessageClass(Registered.class, SHORT);
        assertTrue(r.rejected().contains(x) && !r.accepted().contains(x), "" + r);
    }

    /** Cycles through the conductor: each entity plans the conductor's number, once. */
    @Test
    void conductorCyclesArePlannedByEveryEntityOnce() {
        ActorRef<ToCoordinator> c = kit.conductor();
        TestProbe<CycleOutcome> outcome = kit.createTestProbe();
        for (long n = 1; n <= 2; n++) {
            c.tell(new Coordinator.RunCycleNow(false, outcome.getRef()));
            assertEquals(n, kit.answered(outcome, CycleOutcome.class, c).cycle());
        }
        for (int p = 0; p < 2; p++) {
            TestProbe<Coordinator.PartitionCycled> again = kit.createTestProbe();
            kit.entities.get(p).tell(new Coordinator.RunPartitionCycle(2, false, again.getRef()));
            assertEquals(null, again.expectMessageClass(Coordinator.PartitionCycled.class, SHORT).outcome(),
                    "cycle 2 ran on partition " + p + " already");
        }
    }
}
