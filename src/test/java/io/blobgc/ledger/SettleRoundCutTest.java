package io.blobgc.ledger;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The settle round's cut, pure (partitions-part2-plan §10.7, item 8): how {@link SettleRound} allocates the cut its
 * queries carry, and its cut criterion. Statuses are made up; three partitions.
 */
class SettleRoundCutTest {

    /** Partition p's answer: generation {@code gen}, on {@code cut}, with cut marks {@code mark} to and from all. */
    private static SettleStatus status(int p, int gen, boolean warming, boolean inputs, long cut, long mark,
                                       long contentSeq, boolean dirty) {
        Map<Integer, SettleStatus.ReportId> sent = new TreeMap<>(), applied = new TreeMap<>();
        Map<Integer, Long> cutSent = new TreeMap<>(), cutApplied = new TreeMap<>();
        for (int q = 0; q < 3; q++) {
            if (q == p) continue;
            sent.put(q, new SettleStatus.ReportId(1, contentSeq));
            applied.put(q, new SettleStatus.ReportId(1, contentSeq));
            cutSent.put(q, mark);
            cutApplied.put(q, mark);
        }
        return new SettleStatus(p, gen, warming, inputs, sent, applied, dirty, cut, cutSent, cutApplied, false);
    }

    private static Map<Integer, SettleStatus> poll(int gen, boolean warming, boolean inputs, long cut, long mark) {
        return poll(List.of(gen, gen, gen), warming, inputs, cut, mark, 1, false);
    }

    private static Map<Integer, SettleStatus> poll(List<Integer> gens, boolean warming, boolean inputs, long cut,
                                                   long mark, long contentSeq, boolean dirty) {
        Map<Integer, SettleStatus> out = new TreeMap<>();
        for (int p = 0; p < 3; p++) out.put(p, status(p, gens.get(p), warming, inputs, cut, mark, contentSeq, dirty));
        return out;
    }

    @Test
    void aCutIsAllocatedOnceEveryInputIsInAndKeptThroughFlaps() {
        SettleRound round = new SettleRound(3);
        assertEquals(0, round.queryCut());
        round.poll(poll(1, true, false, 0, 0));
        assertEquals(0, round.queryCut(), "a node's FULL is not in somewhere: no cut yet");
        Map<Integer, SettleStatus> missing = poll(1, true, true, 0, 0);
        missing.remove(2);
        round.poll(missing);
        assertEquals(0, round.queryCut(), "2 did not answer");
        round.poll(poll(1, true, true, 0, 0));
        assertEquals(1, round.queryCut());
        round.poll(poll(1, true, false, 1, 1));
        assertEquals(1, round.queryCut(), "haveAllInputs flapped: the cut stays");
        round.poll(missing);
        assertEquals(1, round.queryCut(), "an answer missing: the cut stays");
    }

    @Test
    void aChangedGenerationOrAHigherAnsweredCutStartsANewOneAndNobodyWarmingEndsIt() {
        SettleRound round = new SettleRound(3);
        round.poll(poll(1, true, true, 0, 0));
        assertEquals(1, round.queryCut());
        round.poll(poll(List.of(1, 2, 1), true, true, 1, 1, 1, false));
        assertEquals(2, round.queryCut(), "1 recovered again: a new cut");
        round.poll(poll(List.of(1, 2, 1), true, true, 7, 1, 1, false));
        assertEquals(8, round.queryCut(), "another conductor's cut 7 was answered: past it");
        round.poll(poll(List.of(1, 2, 1), false, true, 8, 1, 1, false));
        assertEquals(0, round.queryCut(), "nobody warms: no cut");
    }

    @Test
    void marksOfAnotherCutAreNeverClean() {
        SettleRound round = new SettleRound(3);
        round.poll(poll(1, true, true, 0, 0));
        assertEquals(1, round.queryCut());
        for (int i = 0; i < 5; i++) {
            assertEquals(Optional.empty(), round.poll(poll(1, true, true, 2, 1)), "answers on cut 2, not 1");
        }
        // (the answers named cut 2, so the round went past it)
        long cut = round.queryCut();
        assertEquals(3, cut);
        assertFalse(round.cutClean(poll(1, true, true, 2, 1)));
        assertFalse(round.cutClean(poll(1, true, true, cut, 0)), "no base sent");
        assertTrue(round.cutClean(poll(1, true, true, cut, 1)));
        Map<Integer, SettleStatus> unmet = poll(1, true, true, cut, 1);
        unmet.put(2, status(2, 1, true, true, cut, 2, 1, false));
        assertFalse(round.cutClean(unmet), "2 sent more than the others applied");
        Map<Integer, SettleStatus> otherGen = poll(List.of(1, 1, 2), true, true, cut, 1, 1, false);
        assertFalse(round.cutClean(otherGen), "not the cut's generations");
    }

    /** Churn outside the cut moves the content marks and dirties every answer: the cut's marks stay, and it settles. */
    @Test
    void contentMarksThatMoveWhileTheCutMarksStayStillSettleAfterTwoPolls() {
        SettleRound round = new SettleRound(3);
        round.poll(poll(1, true, true, 0, 0));
        long cut = round.queryCut();
        assertEquals(Optional.empty(), round.poll(poll(List.of(1, 1, 1), true, true, cut, 1, 10, true)));
        assertEquals(Optional.of(List.of(1, 1, 1)), round.poll(poll(List.of(1, 1, 1), true, true, cut, 1, 11, true)));
        assertEquals(cut + 1, round.queryCut(), "after an epoch the next cut at once: a partition that missed the "
                + "Settled settles on it (those that took the Settled ended the cut, and take the next one again)");
        round.poll(poll(List.of(1, 1, 1), true, true, cut, 1, 12, true));
        assertEquals(cut + 1, round.queryCut(), "kept");
    }

    @Test
    void aCutDirtyAnswerIsNotClean() {
        SettleRound round = new SettleRound(3);
        round.poll(poll(1, true, true, 0, 0));
        Map<Integer, SettleStatus> s = poll(1, true, true, 1, 1);
        assertTrue(round.cutClean(s));
        SettleStatus b = s.get(1);
        s.put(1, new SettleStatus(1, 1, true, true, b.sent(), b.applied(), false, 1, b.cutSent(), b.cutApplied(), true));
        assertFalse(round.cutClean(s), "1 has cut content to forward");
    }
}
