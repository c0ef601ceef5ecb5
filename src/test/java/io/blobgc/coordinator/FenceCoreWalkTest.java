package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator.Protect;
import io.blobgc.coordinator.Coordinator.Protected;
import io.blobgc.coordinator.LinksCore.Level;
import io.blobgc.coordinator.LinksCore.Send;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.Registration;
import io.blobgc.ledger.TwoPartitions;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import io.blobgc.protocol.ReporterProtocol.Registered;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The walks a linked partition entity drives ({@link FenceCore}: acquires, pins, registrations), with no actor
 * system: A (partition 0) owns x, which calls c, B's (partition 1). Each decision is carried out as the glue and the
 * simulation do ({@link TestJournal#run}: its events first, then its reply function), and the messages between the
 * two cores are handed over by hand, so each test decides when an answer arrives — or that none does.
 */
class FenceCoreWalkTest extends TwoLinkedCores {

    /** The one Protect {@code out} sends: to B, asking c. */
    private static Protect askOfC(LinkOut<String> out) {
        assertEquals(1, out.send().size(), String.valueOf(out.send()));
        assertEquals(1, out.send().get(0).to(), "asked of c's owner");
        Protect p = assertInstanceOf(Protect.class, out.send().get(0).message());
        assertEquals(List.of(C), p.hashes());
        return p;
    }


    private static AcquireReply onlyAnswer(LinkOut<String> out, String to) {
        assertEquals(1, out.answers().size(), String.valueOf(out.answers()));
        assertEquals(to, out.answers().get(0).to());
        return assertInstanceOf(AcquireReply.class, out.answers().get(0).reply());
    }

    @Test
    void anAcquireIsAnsweredOnlyOnceItsWalkIsAnsweredAndADuplicateAnswerChangesNothing() {
        LinkOut<String> out = journalA.run(a, coreA.acquire(a, core, "n1", 1, 1, X, "vm", now, localNow));
        assertEquals(List.of(), out.answers(), "no answer before the walk");
        Protect ask = askOfC(out);
        assertTrue(ask.used(), "an acquire's walk records a use");
        Protected answer = answerOfB(ask);

        LinkOut<String> done = coreA.answered(a, answer);
        assertEquals(AcquireResult.ACQUIRED, onlyAnswer(done, "vm").result());
        assertEquals(0, coreA.walksInFlight());
        assertEquals(LinkOut.none(), coreA.answered(a, answer), "a duplicate answer matches no walk");
    }

    @Test
    void aWalkOfTwoHopsEndsOnlyOnceItsSecondHopIsAnswered() {
        BlobHash d = TwoPartitions.in(0, 4); // x(A) -> c(B) -> d(A)
        List<Registration> chain = List.of(Registration.of(d), new Registration(C, List.of(d)),
                new Registration(X, List.of(C)));
        PartitionedLedger a2 = TwoPartitions.hosted(0, chain, 0, false, now), b2 = TwoPartitions.hosted(1, chain, 0,
                false, now);
        a2.report(NodeReport.full("n1", 1, 1, List.of(), List.of()), now);
        b2.report(NodeReport.full("n1", 1, 1, List.of(), List.of()), now);

        Protect first = askOfC(journalA.run(a2, coreA.acquire(a2, core, "n1", 1, 1, X, "vm", now, localNow)));
        LinkOut<String> byB = journalB.run(b2, coreB.protect(b2, first, now, localNow));
        LinkOut<String> next = coreA.answered(a2, (Protected) byB.send().get(0).message());
        assertEquals(List.of(), next.answers(), "not answered before the second hop");
        assertEquals(1, next.send().size());
        Protect second = assertInstanceOf(Protect.class, next.send().get(0).message());
        assertEquals(0, next.send().get(0).to());
        assertEquals(List.of(d), second.hashes());
        assertEquals(1, second.onBehalfOf(), "d recorded in the view of c's owner, whose exports list it");

        LinkOut<String> byA = journalA.run(a2, coreA.protect(a2, second, now, localNow));
        LinkOut<String> done = coreA.answered(a2, (Protected) byA.send().get(0).message());
        assertEquals(AcquireResult.ACQUIRED, onlyAnswer(done, "vm").result());
    }

    @Test
    void aWalkUnansweredIsAskedAgainThenGivenUpAtHalfTheAcquireTimeout() {
        Protect ask = askOfC(journalA.run(a, coreA.acquire(a, core, "n1", 1, 1, X, "vm", now, localNow)));

        LinkOut<String> resent = coreA.tick(a, localNow + TIMEOUT / 2 - 1);
        assertEquals(ask, askOfC(resent), "the same ask again, before the deadline");
        assertEquals(List.of(), resent.answers());

        LinkOut<String> expired = coreA.tick(a, localNow + TIMEOUT / 2);
        assertEquals(AcquireResult.UNAVAILABLE, onlyAnswer(expired, "vm").result());
        assertEquals(List.of(), expired.send(), "nothing asked any more");
        assertEquals(Level.INFO, expired.logs().get(0).level());
        assertEquals(LinkOut.none(), coreA.answered(a, answerOfB(ask)), "a late answer to a walk given up");
    }

    @Test
    void aPinWritesNothingBeforeItsWalkAndOnlyItsSecondHalfWritesIt() {
        var request = new FenceCore.PinRequest<>(X, "op", "why", null, "operator");
        var d = coreA.pin(a, core, request, now, localNow);
        assertEquals(List.of(), d.events(), "nothing written before the walk");
        LinkOut<String> out = journalA.run(a, d);
        assertEquals(List.of(), out.answers());
        assertEquals(List.of(), out.toSelf());

        LinkOut<String> walked = coreA.answered(a, answerOfB(askOfC(out)));
        assertEquals(List.of(), walked.answers(), "answered by the second half only");
        assertEquals(1, walked.toSelf().size());
        @SuppressWarnings("unchecked")
        var fenced = (FenceCore.PinFenced<String>) assertInstanceOf(FenceCore.PinFenced.class, walked.toSelf().get(0));
        assertNull(fenced.refusal(), "every hop recorded");

        var second = coreA.pinFenced(a, fenced, now, localNow);
        assertEquals(1, second.events().size());
        assertInstanceOf(Coordinator.BlobPinned.class, second.events().get(0));
        LinkOut<String> written = journalA.run(a, second);
        assertEquals(List.of(new LinkOut.Answer<>("operator", Coordinator.OpResult.OK)), written.answers());
        assertEquals(journalA.events, second.events(), "the pin is the only write");
    }

    @Test
    void aPinWhoseWalkIsGivenUpIsRefusedAndWritesNothing() {
        journalA.run(a, coreA.pin(a, core, new FenceCore.PinRequest<>(X, "op", "why", null, "operator"), now,
                localNow));
        LinkOut<String> expired = coreA.tick(a, localNow + TIMEOUT / 2);
        @SuppressWarnings("unchecked")
        var fenced = (FenceCore.PinFenced<String>) assertInstanceOf(FenceCore.PinFenced.class, expired.toSelf().get(0));
        assertNotNull(fenced.refusal(), "given up: a conflict");

        var second = coreA.pinFenced(a, fenced, now, localNow);
        assertEquals(List.of(), second.events(), "nothing written");
        LinkOut<String> refused = journalA.run(a, second);
        assertEquals(new Coordinator.OpResult(fenced.refusal()), refused.answers().get(0).reply());
        assertEquals(List.of(), journalA.events);
    }

    @Test
    void aRegistrationIsDecidedAgainOnlyOnceEveryOneOfItsWalksEnded() {
        BlobHash z = TwoPartitions.in(0, 3);
        List<Registration> batch = List.of(new Registration(Y, List.of(C)), new Registration(z, List.of(E)));
        LinkedRegistrationCore<String> registrations = new LinkedRegistrationCore<>(core, coreA);
        var d = registrations.register(a, batch, h -> true, "vm", now, localNow);
        assertEquals(List.of(), d.events(), "nothing written before the walks");
        LinkOut<String> out = journalA.run(a, d);
        assertEquals(2, out.send().size(), "one walk a caller: " + out.send());
        Protect ofY = (Protect) out.send().get(0).message(), ofZ = (Protect) out.send().get(1).message();

        assertEquals(List.of(), coreA.answered(a, answerOfB(ofY)).toSelf(), "one walk of two ended");
        LinkOut<String> both = coreA.answered(a, answerOfB(ofZ));
        assertEquals(1, both.toSelf().size());
        @SuppressWarnings("unchecked")
        var fenced = (FenceCore.RegistrationFenced<String>) assertInstanceOf(FenceCore.RegistrationFenced.class,
                both.toSelf().get(0));
        assertEquals(java.util.Set.of(), fenced.fallen());

        var second = registrations.fenced(a, fenced, h -> true, now, localNow);
        assertTrue(!second.events().isEmpty(), "the batch written by the second decision");
        LinkOut<String> written = journalA.run(a, second);
        Registered answer = assertInstanceOf(Registered.class, written.answers().get(0).reply());
        assertEquals(java.util.Set.of(Y, z), java.util.Set.copyOf(answer.accepted()));
        assertEquals("vm", written.answers().get(0).to());
    }
}
