package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.BlobStatus;
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

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Registration across linked partition entities ({@link LinkedRegistrations}, the conductor's ordered split;
 * partitions.md §3, partitions-part2-plan S1.7): a caller whose callee another partition owns is accepted once its
 * owner recorded the callee (registered in the same request: its share goes first), refused when the callee is gone,
 * and a request whose partitions call each other round a cycle is refused for now.
 */
class LinkedRegistrationTest {

    @TempDir
    Path storeRoot;
    private LinkedPartitions net;
    private ActorRef<ToCoordinator> conductor;
    private BlobHash a, c, d;

    @BeforeEach
    void start() throws IOException {
        net = new LinkedPartitions("LinkedRegistrationTest", """
                partitions = 2
                heartbeat-interval = 200ms
                reporter.acquire-timeout = 2s
                """, storeRoot);
        a = net.stored(0, "a");
        c = net.stored(1, "c");
        d = net.stored(0, "d");
        net.start(0);
        net.start(1);
        conductor = net.conductor();
    }

    @AfterEach
    void stop() {
        net.close();
    }

    private Registered register(ActorRef<ToCoordinator> to, Registration... registrations) {
        TestProbe<Registered> probe = net.kit.createTestProbe();
        to.tell(new Register(List.of(registrations), probe.getRef()));
        return probe.expectMessageClass(Registered.class, Duration.ofSeconds(10));
    }

    @Test
    void aCallerAndItsCalleeOfAnotherPartitionRegisteredInOneRequestAreBothAcceptedAndTheCalleeFollowsTheCaller() {
        Registered r = register(conductor, new Registration(a, List.of(c)), Registration.of(c));
        assertEquals(List.of(), r.rejected(), String.valueOf(r));
        assertTrue(r.accepted().containsAll(List.of(a, c)), String.valueOf(r));
        assertEquals(List.of(c), net.info(a).dependencies());
        net.full(a); // n1 holds a
        net.settled();
        net.cyclesUntil("c held for a's partition", () -> net.heldFor(c, 0), () -> String.valueOf(net.info(c)));
        for (int i = 0; i < 3; i++) net.cycle();
        assertEquals(BlobStatus.ACTIVE, net.info(c).status(), "c is held while a is: " + net.info(c));
    }

    @Test
    void aCallerOverACalleeItsOwnerDoesNotKnowIsRefused() throws IOException {
        BlobHash unknown = net.stored(1, "never registered");
        Registered r = register(net.entities.get(0), new Registration(a, List.of(unknown)),
                new Registration(d, List.of(a)));
        assertEquals(List.of(), r.accepted(), String.valueOf(r));
        assertTrue(r.rejected().containsAll(List.of(a, d)), "a, and d over it: " + r);
        assertTrue(net.info(a) == null || net.info(a).status() == BlobStatus.COLLECTED, String.valueOf(net.info(a)));
    }

    @Test
    void aRequestWhosePartitionsCallEachOtherRoundACycleIsRefusedForNow() {
        Registered r = register(conductor, new Registration(a, List.of(c)), new Registration(c, List.of(d)),
                Registration.of(d));
        assertTrue(r.retry().containsAll(List.of(a, c, d)), String.valueOf(r));
        assertEquals(List.of(), r.accepted(), String.valueOf(r));
        Registered callees = register(conductor, Registration.of(d));
        Registered middle = register(conductor, new Registration(c, List.of(d)));
        Registered callers = register(conductor, new Registration(a, List.of(c)));
        assertEquals(List.of(d), callees.accepted());
        assertEquals(List.of(c), middle.accepted(), String.valueOf(middle));
        assertEquals(List.of(a), callers.accepted(), String.valueOf(callers));
    }
}
