package io.blobgc.ledger;

import io.blobgc.BlobHash;
import io.blobgc.ledger.FenceWalk.ProtectAsk;
import io.blobgc.ledger.ProtectOutcome.Frontier;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.blobgc.ledger.LedgerFixture.h;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FenceWalk} alone (partitions-part2-plan.md, S1.1): the walk of the fence across partitions with its answers
 * delivered by hand — late, twice, or not at all — as messages may be. {@link PartitionedLedgerTest} and
 * {@link PartitionedLedgerReviewTest} drive it through real ledgers, at once.
 */
class FenceWalkTest {

    private final BlobHash c = h(1), d = h(2), e = h(3), f = h(4), g = h(5);
    private final FenceWalk walk = new FenceWalk();

    private static Frontier to(int partition, long seqTo, BlobHash... hashes) {
        return new Frontier(partition, 7, seqTo, List.of(hashes));
    }

    /** What partition {@code ask.to()} answers when it records every hash of {@code ask}, with {@code next} below. */
    private static ProtectOutcome recorded(ProtectAsk ask, Frontier... next) {
        return new ProtectOutcome(ask.hashes(), List.of(), List.of(), List.of(next), List.of());
    }

    @Test
    void aHashIsAskedOncePerWalkWhicheverPathReachesIt() {
        List<ProtectAsk> first = walk.start(0, List.of(to(1, 3, c, d), to(2, 4, d, e)));
        assertEquals(List.of(new ProtectAsk(1, 0, 7, 3, List.of(c, d)), new ProtectAsk(2, 0, 7, 4, List.of(e))), first);

        // partition 1 records c and d; below them e (asked already) and f, in partition 2, on behalf of partition 1
        List<ProtectAsk> next = walk.answered(1, recorded(first.get(0), to(2, 9, e, f)));
        assertEquals(List.of(new ProtectAsk(2, 1, 7, 9, List.of(f))), next);

        // partition 2 records e; below it c again, which partition 1 has recorded: a cycle ends
        assertEquals(List.of(), walk.answered(2, recorded(first.get(1), to(1, 5, c))));
        assertFalse(walk.done());
        assertEquals(List.of(), walk.answered(2, recorded(next.get(0))));
        assertTrue(walk.done());
        assertEquals(List.of(), walk.gone());
        assertEquals(List.of(), walk.stale());
    }

    @Test
    void theWalkIsDoneOnlyWhenItsLastAskIsAnswered() {
        List<ProtectAsk> first = walk.start(0, List.of(to(1, 1, c), to(2, 1, d)));
        assertFalse(walk.done());
        List<ProtectAsk> next = walk.answered(1, recorded(first.get(0), to(3, 2, e)));
        assertFalse(walk.done(), "the ask to partition 2 and the one the answer gave are not answered yet");
        walk.answered(2, recorded(first.get(1)));
        assertFalse(walk.done(), "the hop to partition 3 is not answered yet");
        assertEquals(next, walk.outstanding());
        walk.answered(3, recorded(next.get(0)));
        assertTrue(walk.done());
        assertEquals(List.of(), walk.outstanding());
    }

    @Test
    void aWalkWithNoRemoteCalleeIsDoneAtOnce() {
        assertEquals(List.of(), walk.start(0, List.of()));
        assertTrue(walk.done());
    }

    @Test
    void aDuplicateAnswerChangesNothing() {
        List<ProtectAsk> first = walk.start(0, List.of(to(1, 1, c, d), to(2, 1, e)));
        ProtectOutcome answer = new ProtectOutcome(List.of(c), List.of(d), List.of(), List.of(to(3, 2, f)), List.of());
        assertEquals(List.of(new ProtectAsk(3, 1, 7, 2, List.of(f))), walk.answered(1, answer));
        assertEquals(List.of(), walk.answered(1, answer), "the duplicate gives no ask again");
        assertEquals(List.of(d), walk.gone(), "nor is its gone hash kept twice");
        assertEquals(2, walk.outstanding().size());
        assertFalse(walk.done());
    }

    @Test
    void anAnswerThatMatchesNoOutstandingAskChangesNothing() {
        List<ProtectAsk> first = walk.start(0, List.of(to(1, 1, c, d)));
        assertEquals(List.of(), walk.answered(2, recorded(first.get(0), to(3, 1, f))), "from another partition");
        assertEquals(List.of(), walk.answered(1, new ProtectOutcome(List.of(c), List.of(), List.of(),
                List.of(to(3, 1, f)), List.of())), "naming part of the ask");
        assertEquals(first, walk.outstanding());
        assertFalse(walk.done());
    }

    @Test
    void aLostAnswerLeavesItsAskOutstandingUntilTheResentOneIsAnswered() {
        List<ProtectAsk> first = walk.start(0, List.of(to(1, 1, c), to(2, 1, d)));
        walk.answered(2, recorded(first.get(1))); // the answer from partition 1 is lost
        assertEquals(List.of(first.get(0)), walk.outstanding(), "what the driver resends");
        assertFalse(walk.done());

        // resent, partition 1 records c again (idempotent) and answers; then the lost answer turns up late
        List<ProtectAsk> next = walk.answered(1, recorded(first.get(0), to(2, 2, e)));
        assertEquals(List.of(new ProtectAsk(2, 1, 7, 2, List.of(e))), next);
        assertEquals(List.of(), walk.answered(1, recorded(first.get(0), to(2, 2, e))));
        assertEquals(next, walk.outstanding());
        walk.answered(2, recorded(next.get(0)));
        assertTrue(walk.done());
    }

    @Test
    void goneAndStaleHashesOfEveryHopReachTheWalksResult() {
        List<ProtectAsk> first = walk.start(0, List.of(to(1, 1, c, d)));
        List<ProtectAsk> next = walk.answered(1,
                new ProtectOutcome(List.of(c), List.of(d), List.of(), List.of(to(2, 2, e, f, g)), List.of()));
        walk.answered(2, new ProtectOutcome(List.of(e), List.of(g), List.of(f), List.of(), List.of()));
        assertTrue(walk.done());
        assertEquals(List.of(d, g), walk.gone());
        assertEquals(List.of(f), walk.stale());
        assertEquals(List.of(d, g, f), walk.notRecorded());
        assertEquals(List.of(new ProtectAsk(2, 1, 7, 2, List.of(e, f, g))), next);
    }
}
