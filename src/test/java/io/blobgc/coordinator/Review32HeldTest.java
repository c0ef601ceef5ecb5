package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator.Protect;
import io.blobgc.coordinator.Coordinator.Protected;
import io.blobgc.coordinator.LinksCore.Send;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.Registration;
import io.blobgc.ledger.ReportOutcome;
import io.blobgc.ledger.TwoPartitions;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import io.blobgc.protocol.ReporterProtocol.Registered;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review 32 (commit a4526fc): suspicions about the walks moved into {@link FenceCore} and
 * {@link LinkedRegistrationCore} that hold (these pass). Fixture as {@link FenceCoreWalkTest}: A (partition 0) owns x
 * (-> c) and y, z; B (partition 1) owns c and e.
 */
class Review32HeldTest extends TwoLinkedCores {

    private static final BlobHash Z = TwoPartitions.in(0, 3);

    private static List<Protect> asks(LinkOut<String> out) {
        return out.send().stream().map(s -> assertInstanceOf(Protect.class, s.message())).toList();
    }


    /** Whether A's exports say n1's FULL {@code seq} fenced here. */
    private boolean fencedByA(long seq) {
        var exports = a.flushExports(localNow);
        assertFalse(exports.isEmpty());
        return exports.stream().allMatch(e -> e.fenced() != null && e.fenced().get("n1") != null
                && e.fenced().get("n1").covers(1, seq));
    }

    @SuppressWarnings("unchecked")
    private static FenceCore.RegistrationFenced<String> fenced(LinkOut<String> out) {
        assertEquals(1, out.toSelf().size(), String.valueOf(out.toSelf()));
        return (FenceCore.RegistrationFenced<String>) assertInstanceOf(FenceCore.RegistrationFenced.class,
                out.toSelf().get(0));
    }

    /**
     * A saga whose walks end differently: y's answered, z's given up at the deadline. The saga ends once, at the second
     * end, z fallen and to retry; decided again, y accepted, z answered retry — as the closures did.
     */
    @Test
    void aSagaWithOneWalkGivenUpAndOneAnsweredEndsOnceWithTheGivenUpCallerToRetry() {
        List<Registration> batch = List.of(new Registration(Y, List.of(C)), new Registration(Z, List.of(E)));
        LinkedRegistrationCore<String> registrations = new LinkedRegistrationCore<>(core, coreA);
        LinkOut<String> out = journalA.run(a, registrations.register(a, batch, h -> true, "vm", now, localNow));
        List<Protect> asks = asks(out);
        assertEquals(2, asks.size());
        assertEquals(List.of(), coreA.answered(a, answerOfB(asks.get(0))).toSelf(), "one of two");
        LinkOut<String> expired = coreA.tick(a, localNow + TIMEOUT / 2);
        var m = fenced(expired);
        assertEquals(Set.of(Z), m.fallen());
        assertEquals(Set.of(Z), m.retry());
        assertEquals(0, coreA.walksInFlight());
        assertEquals(LinkOut.none(), coreA.tick(a, localNow + TIMEOUT), "ended once");
        LinkOut<String> written = journalA.run(a, registrations.fenced(a, m, h -> true, now, localNow));
        Registered answer = assertInstanceOf(Registered.class, written.answers().get(0).reply());
        assertEquals(List.of(Y), answer.accepted());
        assertTrue(answer.retry().contains(Z));
    }

    /** A recovery forgets the walks and the sagas: a late answer and a tick after it do nothing. */
    @Test
    void aRecoveryForgetsASagaAndALateAnswerOrATickChangesNothing() {
        List<Registration> batch = List.of(new Registration(Y, List.of(C)));
        LinkedRegistrationCore<String> registrations = new LinkedRegistrationCore<>(core, coreA);
        Protect ask = asks(journalA.run(a, registrations.register(a, batch, h -> true, "vm", now, localNow))).get(0);
        coreA.recovered();
        assertEquals(LinkOut.none(), coreA.answered(a, answerOfB(ask)));
        assertEquals(LinkOut.none(), coreA.tick(a, localNow + TIMEOUT));
        assertEquals(0, coreA.walksInFlight());
    }

    /**
     * Report walks absorb each other: n1's FULL (holding x) walks c; a DELTA before the answer absorbs it. The first
     * walk's answer matches nothing; the FULL is said fenced only once the absorbing walk is answered.
     */
    @Test
    void aReportWalkAbsorbedByTheNextFencesTheFullOnlyWhenTheAbsorbingWalkEnds() {
        NodeReport full = NodeReport.full("n1", 1, 2, List.of(X), List.of());
        ReportOutcome o = a.report(full, now);
        LinkOut<String> first = coreA.reportApplied(a, full, o, localNow);
        Protect ask1 = asks(first).get(0);
        assertFalse(fencedByA(2), "not fenced before its walk");

        NodeReport delta = TestJournal.heartbeat("n1", 3);
        ReportOutcome o2 = a.report(delta, now);
        LinkOut<String> second = coreA.reportApplied(a, delta, o2, localNow);
        Protect ask2 = asks(second).get(0);
        assertEquals(1, coreA.walksInFlight(), "one walk a node");

        assertEquals(LinkOut.none(), coreA.answered(a, answerOfB(ask1)), "the absorbed walk's answer");
        assertFalse(fencedByA(2), "not fenced by the absorbed walk's answer");
        coreA.answered(a, answerOfB(ask2));
        assertTrue(fencedByA(2), "fenced by the absorbing walk");
        assertEquals(0, coreA.walksInFlight());
    }

    /**
     * The one intended change: an acquire's deadline is counted from its decision. An acquire whose BlobsUsed write
     * took longer than half the acquire timeout starts its walk already past its deadline: it still asks (the use is
     * recorded in B), and the next tick answers UNAVAILABLE — the reporter retries; nothing is answered ACQUIRED early.
     */
    @Test
    void anAcquireWhoseWriteOutlastedItsDeadlineIsAnsweredUnavailableAtTheNextTick() {
        var d = coreA.acquire(a, core, "n1", 1, 1, X, "vm", now, localNow);
        LinkOut<String> out = journalA.run(a, d); // as if the write ended at localNow + TIMEOUT
        assertEquals(1, asks(out).size());
        LinkOut<String> tick = coreA.tick(a, localNow + TIMEOUT);
        assertEquals(1, tick.answers().size());
        assertEquals(AcquireResult.UNAVAILABLE, ((AcquireReply) tick.answers().get(0).reply()).result());
    }

    /**
     * The first walk id as the glue draws it (any long): a walk never takes NO_WALK, not at the first id nor when the
     * ids wrap; each walk is matched by its own id.
     */
    @Test
    void walkIdsSkipNoWalkAtTheFirstIdAndWhereTheyWrap() {
        for (long first : new long[]{Long.MIN_VALUE, Long.MAX_VALUE}) {
            FenceCore<String> core2 = new FenceCore<>(EntityLink.partition(0, 2), TIMEOUT, first);
            PartitionedLedger a2 = TwoPartitions.hosted(0, REGISTERED, 0, false, now);
            a2.report(NodeReport.full("n1", 1, 1, List.of(), List.of()), now);
            Protect p1 = asks(journalA.run(a2, core2.acquire(a2, core, "n1", 1, 1, X, "vm1", now, localNow))).get(0);
            Protect p2 = asks(journalA.run(a2, core2.acquire(a2, core, "n1", 1, 1, X, "vm2", now, localNow))).get(0);
            assertTrue(p1.walk() != FenceCore.NO_WALK && p2.walk() != FenceCore.NO_WALK && p1.walk() != p2.walk(),
                    p1.walk() + ", " + p2.walk());
            LinkOut<String> done2 = core2.answered(a2, answerOfB(p2));
            assertEquals("vm2", done2.answers().get(0).to());
            LinkOut<String> done1 = core2.answered(a2, answerOfB(p1));
            assertEquals("vm1", done1.answers().get(0).to());
        }
    }
}
