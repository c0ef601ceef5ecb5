package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.Register;
import io.blobgc.protocol.ReporterProtocol.Registered;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.persistence.testkit.JournalOperation;
import org.apache.pekko.persistence.testkit.ProcessingPolicy;
import org.apache.pekko.persistence.testkit.ProcessingResult;
import org.apache.pekko.persistence.testkit.ProcessingSuccess$;
import org.apache.pekko.persistence.testkit.StorageFailure;
import org.apache.pekko.persistence.testkit.WriteEvents;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A fence's self-message across a restart in place (the review's suspicion, session 31): a partition entity sends
 * itself {@link FenceCore.PinFenced} (or {@link FenceCore.RegistrationFenced}) once a walk ended, carrying the
 * {@code Reservation} its handler releases. A journal failure restarts the entity in place (the supervision passed to
 * the EventSourcedBehavior): the same actor, the same mailbox, and Pekko keeps the behaviour's internal stash across
 * that restart (it lives outside the supervised part) — so a PinFenced the old instance sent itself reaches the new
 * one, whose ledger is new and whose reservations were counted from 1 again. Releasing the stale reservation released
 * the new instance's reservation with the same id: another request's, still walking. Its callee was then no longer
 * exported, its owner dropped the fence's sticky and deleted it, and the registration was accepted over it (S1).
 *
 * <p>Partition 0 owns a1 (→ b1) and a3; partition 1 owns b1 and b3. The old instance pins a1 (reservation 1, its walk
 * answered); its journal fails a write while the answer, a registration and the registration a3 → b3 wait in its
 * stash; the new instance reserves b3 for a3 (its reservation 1), then takes the old PinFenced.
 */
class StaleFenceAcrossRestartTest {

    @TempDir
    Path storeRoot;
    private LinkedPartitions net;

    @AfterEach
    void stop() {
        if (net != null) net.close();
    }

    /** Blocks partition 0's first write after it is armed until released, and fails the one after it. */
    private static final class BlockThenFail implements ProcessingPolicy<JournalOperation> {
        final CountDownLatch entered = new CountDownLatch(1), proceed = new CountDownLatch(1);
        final AtomicInteger writes = new AtomicInteger();

        @Override
        public ProcessingResult tryProcess(String persistenceId, JournalOperation op) {
            if (!persistenceId.equals(PartitionKit.pid(0)) || !(op instanceof WriteEvents)) {
                return ProcessingSuccess$.MODULE$;
            }
            int n = writes.getAndIncrement();
            if (n == 0) {
                entered.countDown();
                try {
                    if (!proceed.await(30, TimeUnit.SECONDS)) throw new IllegalStateException("never released");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return ProcessingSuccess$.MODULE$;
            }
            if (n == 1) return new StorageFailure(new RuntimeException("test: the journal fails one write"));
            return ProcessingSuccess$.MODULE$;
        }
    }

    @Test
    void aPinFencedOfTheInstanceBeforeARestartInPlaceReleasesNoReservationOfTheNextOne() throws Exception {
        net = new LinkedPartitions("StaleFenceAcrossRestartTest", """
                partitions = 2
                reporter.acquire-timeout = 60s
                coordinator.restart-backoff {
                  min = 100ms
                  max = 200ms
                }
                """, storeRoot);
        BlobHash a1 = net.stored(0, "a1"), a3 = net.stored(0, "a3"), z = net.stored(0, "z"), z2 = net.stored(0, "z2");
        BlobHash b1 = net.stored(1, "b1"), b3 = net.stored(1, "b3");
        net.seed(0, FencesReviewBase.registered(a1, b1));
        net.seed(1, FencesReviewBase.registered(b1, null), FencesReviewBase.registered(b3, null));
        net.start(0);
        net.start(1);
        net.full(a1, b3); // n1 holds a1 (so b1 for partition 0) and b3
        net.settled();

        // partition 1's answers to the walks named here are held back: the pin's walk (b1), the registration's (b3)
        Set<Long> held = ConcurrentHashMap.newKeySet();
        boolean[] pinning = {true};
        net.lost = m -> {
            if (m instanceof Coordinator.Protect p && p.asker() == 0
                    && (p.hashes().contains(b3) || pinning[0] && p.hashes().contains(b1))) held.add(p.walk());
            return m instanceof Coordinator.Protected p && held.contains(p.walk());
        };
        TestProbe<Coordinator.OpResult> pin = net.kit.createTestProbe();
        net.entities.get(0).tell(new Coordinator.PinBlob(a1, "ops", "keep", null, pin.getRef()));
        LinkedPartitions.eventually("partition 1 answered the pin's walk", () -> answer(held) != null,
                () -> String.valueOf(net.told));
        pinning[0] = false;
        Coordinator.Protected pinWalk = answer(held);

        // the old instance writes (blocked), and meanwhile stashes the walk's answer, a registration (its write fails)
        // and the registration a3 -> b3: the answer's PinFenced goes behind them
        int generation = net.generation(0);
        BlockThenFail journal = new BlockThenFail();
        net.kit.journal.withPolicy(journal);
        TestProbe<Registered> first = net.kit.createTestProbe(), failed = net.kit.createTestProbe(),
                crossing = net.kit.createTestProbe();
        net.entities.get(0).tell(new Register(List.of(Registration.of(z)), first.getRef()));
        assertTrue(journal.entered.await(10, TimeUnit.SECONDS), "partition 0 writes");
        net.entities.get(0).tell(pinWalk);
        net.entities.get(0).tell(new Register(List.of(Registration.of(z2)), failed.getRef()));
        net.entities.get(0).tell(new Register(List.of(new Registration(a3, List.of(b3))), crossing.getRef()));
        journal.proceed.countDown();
        first.expectMessageClass(Registered.class, Duration.ofSeconds(10));

        // restarted in place: the new instance takes the registration a3 -> b3 (its walk's answer held), then the
        // old PinFenced
        Coordinator.OpResult pinned = pin.expectMessageClass(Coordinator.OpResult.class, Duration.ofSeconds(20));
        assertEquals(generation + 1, net.generation(0), "partition 0 restarted in place and took over again");
        LinkedPartitions.eventually("partition 1 answered the registration's walk",
                () -> net.told.stream().anyMatch(m -> m instanceof Coordinator.Protected p && held.contains(p.walk())
                        && p.walk() != pinWalk.walk()), () -> String.valueOf(net.told));
        net.kit.journal.resetPolicy();

        // n1 lets b3 go: only the registration's fence holds it now; the new instance settles
        net.full(a1);
        net.settled();
        for (int i = 0; i < 12 && net.info(b3).status() != BlobStatus.COLLECTED; i++) net.cycle();
        BlobStatus b3Status = net.info(b3).status();

        // the registration's walk answered at last: a3 is accepted over b3 — which must still be there
        Coordinator.Protected registrationWalk = (Coordinator.Protected) net.told.stream()
                .filter(m -> m instanceof Coordinator.Protected p && held.contains(p.walk())
                        && p.walk() != pinWalk.walk()).findFirst().orElseThrow();
        held.clear();
        net.entities.get(0).tell(registrationWalk);
        Registered r = crossing.expectMessageClass(Registered.class, Duration.ofSeconds(10));
        assertTrue(r.accepted().contains(a3) || r.retry().contains(a3), "a3 answered: " + r + " (the pin: " + pinned + ")");
        assertNotEquals(BlobStatus.COLLECTED, b3Status, "b3, below the pending registration of a3, collected; a3 "
                + "answered " + r + ", the old instance's pin " + pinned);
        assertTrue(net.kit.store.exists(b3), "b3 deleted while the registration of a3 over it was pending: " + r);
        if (r.accepted().contains(a3)) assertEquals(BlobStatus.ACTIVE, net.info(b3).status(), String.valueOf(net.info(b3)));
    }

    /** The first answer partition 1 sent to a walk held back, or null. */
    private Coordinator.Protected answer(Set<Long> held) {
        return (Coordinator.Protected) net.told.stream()
                .filter(m -> m instanceof Coordinator.Protected p && held.contains(p.walk())).findFirst().orElse(null);
    }
}
