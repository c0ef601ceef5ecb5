package io.blobgc.coordinator;

import io.blobgc.coordinator.ConductorCore.CycleAsk;
import io.blobgc.coordinator.ConductorCore.Out;
import io.blobgc.coordinator.ConductorCore.State;
import io.blobgc.coordinator.ConductorCore.Step;
import io.blobgc.coordinator.LinksCore.Send;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.ledger.Partitioning;
import io.blobgc.ledger.SettleStatus;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The conductor's decisions without an actor system ({@link ConductorCore}; partitions-part2-plan §9, step 5): the
 * settle round's double collect and its one poll at a time, the cycles' one at a time and the operators' waiting
 * {@code RunCycleNow}s, and a journal behind its partitions numbering on from theirs. Reply tokens are strings.
 */
class ConductorCoreTest {

    private static final int P = 2;
    private static final long NOW = 1_000_000L;

    private static ConductorCore<String> core(boolean linked) {
        return new ConductorCore<>(Partitioning.of(P), linked, false, Duration.ofSeconds(10), Duration.ofSeconds(10),
                100);
    }

    /** A core that took over a fresh journal: its state, with the takeover applied. */
    private static State tookOver(ConductorCore<String> core) {
        State s = core.emptyState();
        Step<String> step = core.takeOver(s, "conductor-1", NOW);
        assertNull(step.refusal());
        for (Coordinator.Event e : step.events()) s = core.apply(s, e);
        Out<String> out = step.after().apply(s);
        assertTrue(out.tookOver());
        assertTrue(core.takenOver());
        return s;
    }

    /** {@code step}'s events applied to {@code s}, then what follows them: as the actor and the simulation do. */
    private static Out<String> written(ConductorCore<String> core, State[] s, Step<String> step) {
        for (Coordinator.Event e : step.events()) s[0] = core.apply(s[0], e);
        return step.after().apply(s[0]);
    }

    private static CycleOutcome ran(long cycle) {
        return new CycleOutcome(cycle, NOW, false, false, false, List.of(), List.of(), List.of(), List.of(), List.of(),
                List.of(), List.of(), List.of(), List.of(), 0);
    }

    /** Every partition ran {@code ask}'s cycle; {@code lastCycle} is the highest each had run by then. */
    private static Map<Integer, Coordinator.PartitionCycled> allRan(CycleAsk<String> ask, long lastCycle) {
        Map<Integer, Coordinator.PartitionCycled> answers = new TreeMap<>();
        for (int p = 0; p < P; p++) {
            answers.put(p, new Coordinator.PartitionCycled(p, ask.cycle(), ran(ask.cycle()), lastCycle));
        }
        return answers;
    }

    // ---- the settle round

    /** Partition {@code p}'s answer on {@code cut}: warming, all inputs in, its cut report to the other one applied. */
    private static SettleStatus onCut(int p, long cut, long mark) {
        int q = 1 - p;
        return new SettleStatus(p, 7 + p, true, true, Map.of(), Map.of(), false, cut, Map.of(q, mark),
                Map.of(q, mark), false);
    }

    private static Map<Integer, SettleStatus> poll(long cut, long mark) {
        return Map.of(0, onCut(0, cut, mark), 1, onCut(1, cut, mark));
    }

    private static List<Send> settled(List<Integer> generations) {
        var m = new Coordinator.PartitionsSettled(generations);
        return List.of(new Send(0, m), new Send(1, m));
    }

    @Test
    void thePartitionsSettleOnlyAfterTwoEqualPollsOfTheCut() {
        ConductorCore<String> core = core(true);
        tookOver(core);
        assertEquals(OptionalLong.of(0), core.startPoll(), "no cut before the first poll");
        assertEquals(List.of(), core.polled(poll(0, 0), Set.of()).send(), "the first poll only allocates the cut");

        assertEquals(OptionalLong.of(1), core.startPoll(), "the next poll carries the cut");
        assertEquals(List.of(), core.polled(poll(1, 1), Set.of()).send(), "one clean poll is a first collect");
        assertEquals(OptionalLong.of(1), core.startPoll());
        assertEquals(List.of(), core.polled(poll(1, 2), Set.of()).send(), "a mark moved: a first collect again");
        assertEquals(OptionalLong.of(1), core.startPoll());
        Out<String> out = core.polled(poll(1, 2), Set.of());
        assertEquals(settled(List.of(7, 8)), out.send(), "the second equal poll: every partition told, by generation");
        assertTrue(out.logs().stream().anyMatch(l -> l.level() == LinksCore.Level.INFO), "and it is logged");

        assertEquals(OptionalLong.of(2), core.startPoll(), "the cut is spent: the next one is allocated at once");
        assertEquals(List.of(), core.polled(poll(2, 2), Set.of()).send(), "a new round: a first collect");
    }

    @Test
    void aPollMissingAPartitionSettlesNothingAndStartsTheCollectAgain() {
        ConductorCore<String> core = core(true);
        tookOver(core);
        core.startPoll();
        core.polled(poll(0, 0), Set.of());
        core.startPoll();
        core.polled(poll(1, 1), Set.of());
        core.startPoll();
        assertEquals(List.of(), core.polled(Map.of(0, onCut(0, 1, 1)), Set.of(1)).send(), "partition 1 missing");
        core.startPoll();
        assertEquals(List.of(), core.polled(poll(1, 1), Set.of()).send(), "a first collect again, not a second");
        core.startPoll();
        assertEquals(settled(List.of(7, 8)), core.polled(poll(1, 1), Set.of()).send());
    }

    @Test
    void aPollIsNotReopenedWhileOpenAndOneStartsAgainAfterARecovery() {
        ConductorCore<String> core = core(true);
        tookOver(core);
        assertTrue(core.startPoll().isPresent());
        assertTrue(core.pollOpen());
        assertEquals(OptionalLong.empty(), core.startPoll(), "a tick while the poll gathers starts none");
        assertEquals(OptionalLong.empty(), core.startPoll());
        core.polled(poll(0, 0), Set.of());
        assertFalse(core.pollOpen());
        assertTrue(core.startPoll().isPresent(), "its answers are in: the next tick polls");

        core.recovered(); // the gather in flight belongs to the incarnation that is gone
        assertFalse(core.takenOver());
        assertFalse(core.pollOpen());
        State s = core.emptyState();
        for (Coordinator.Event e : core.takeOver(s, "conductor-2", NOW).events()) s = core.apply(s, e);
        assertTrue(core.startPoll().isPresent(), "polls again after the takeover");
    }

    @Test
    void aTakeoverForgetsTheFirstCollectOfTheIncarnationBefore() {
        ConductorCore<String> core = core(true);
        tookOver(core);
        core.startPoll();
        core.polled(poll(0, 0), Set.of());
        core.startPoll();
        assertEquals(List.of(), core.polled(poll(1, 1), Set.of()).send(), "a first collect");
        core.recovered();
        State s = core.emptyState();
        Step<String> step = core.takeOver(s, "conductor-2", NOW);
        for (Coordinator.Event e : step.events()) s = core.apply(s, e);
        step.after().apply(s);
        assertEquals(OptionalLong.of(1), core.startPoll(), "the cut is kept");
        assertEquals(List.of(), core.polled(poll(1, 1), Set.of()).send(), "but the collect starts again");
        core.startPoll();
        assertEquals(settled(List.of(7, 8)), core.polled(poll(1, 1), Set.of()).send());
    }

    @Test
    void isolatedPartitionsAreNeverPolled() {
        ConductorCore<String> core = core(false);
        tookOver(core);
        assertFalse(core.settles());
        assertEquals(OptionalLong.empty(), core.startPoll());
    }

    // ---- cycles

    @Test
    void aCycleAtATimeAndTheRunCycleNowsThatCameMeanwhileRunInTurn() {
        ConductorCore<String> core = core(false);
        State[] s = {tookOver(core)};
        CycleAsk<String> first = core.cycleTick(s[0]).orElseThrow();
        assertEquals(new CycleAsk<String>(1, false, null), first, "the timer's cycle answers nobody");
        assertEquals(Optional.empty(), core.cycleTick(s[0]), "no tick starts a cycle while one is open");
        assertEquals(Optional.empty(), core.runCycleNow(s[0], true, "op-A"), "waits");
        assertEquals(Optional.empty(), core.runCycleNow(s[0], false, "op-B"), "waits behind A");
        assertEquals(2, core.waiting());

        Out<String> out = written(core, s, core.cycleGathered(s[0], first, allRan(first, 1), Set.of(), NOW));
        assertEquals(1, s[0].cycle());
        assertNull(out.answer(), "the timer's cycle answers nobody");
        assertEquals(new CycleAsk<>(2, true, "op-A"), out.cycle(), "A's cycle, the next number, A's dry run");
        assertTrue(core.cycleOpen());
        assertEquals(Optional.empty(), core.cycleTick(s[0]), "A's cycle is open");

        out = written(core, s, core.cycleGathered(s[0], out.cycle(), allRan(out.cycle(), 2), Set.of(), NOW));
        assertEquals("op-A", out.answer().to());
        assertEquals(2, ((CycleOutcome) out.answer().reply()).cycle());
        assertEquals(new CycleAsk<>(3, false, "op-B"), out.cycle(), "then B's");

        out = written(core, s, core.cycleGathered(s[0], out.cycle(), allRan(out.cycle(), 3), Set.of(), NOW));
        assertEquals("op-B", out.answer().to());
        assertNull(out.cycle(), "nobody waits");
        assertFalse(core.cycleOpen());
        assertEquals(0, core.waiting());
        assertEquals(List.of(3L, 2L, 1L), s[0].newest(10).stream().map(e -> e.cycle()).toList());
        assertEquals(Optional.of(new CycleAsk<String>(4, false, null)), core.cycleTick(s[0]));
    }

    @Test
    void aJournalBehindItsPartitionsRunsTheSameCallersCycleAgainUnderTheirNextNumber() {
        ConductorCore<String> core = core(false);
        State[] s = {tookOver(core)};
        CycleAsk<String> ask = core.runCycleNow(s[0], true, "op-A").orElseThrow();
        assertEquals(new CycleAsk<>(1, true, "op-A"), ask);
        assertEquals(Optional.empty(), core.runCycleNow(s[0], false, "op-B"), "waits");
        // the journal was restored from long ago: partition 0 had run up to cycle 40 (and cycle 1: no outcome)
        Map<Integer, Coordinator.PartitionCycled> answers = Map.of(
                0, new Coordinator.PartitionCycled(0, 1, null, 40),
                1, new Coordinator.PartitionCycled(1, 1, ran(1), 1));
        Step<String> step = core.cycleGathered(s[0], ask, answers, Set.of(), NOW);
        assertEquals(List.of(new Conductor.CycleRecorded(40, io.blobgc.ledger.HistoryEntry.of(ran(1)), List.of())),
                step.events(), "recorded as the highest cycle a partition ran");
        assertTrue(step.logs().stream().anyMatch(l -> l.level() == LinksCore.Level.WARN
                && l.format().contains("runs now")), "and said, before the write");
        Out<String> out = written(core, s, step);
        assertEquals(40, s[0].cycle());
        assertNull(out.answer(), "the caller is not answered with a cycle the partitions had run before");
        assertEquals(new CycleAsk<>(41, true, "op-A"), out.cycle(),
                "the same caller's cycle, its dry run kept, under the partitions' next number");
        assertTrue(core.cycleOpen());
        assertEquals(1, core.waiting(), "B still waits its turn");

        out = written(core, s, core.cycleGathered(s[0], out.cycle(), allRan(out.cycle(), 41), Set.of(), NOW));
        assertEquals("op-A", out.answer().to());
        assertEquals(41, ((CycleOutcome) out.answer().reply()).cycle());
        assertEquals(new CycleAsk<>(42, false, "op-B"), out.cycle());
    }

    @Test
    void aCycleNobodyAnsweredIsRecordedWithThePartitionsSkipped() {
        ConductorCore<String> core = core(false);
        State[] s = {tookOver(core)};
        CycleAsk<String> ask = core.cycleTick(s[0]).orElseThrow();
        Step<String> step = core.cycleGathered(s[0], ask, Map.of(), new java.util.TreeSet<>(Set.of(0, 1)), NOW + 5);
        var recorded = (Conductor.CycleRecorded) step.events().get(0);
        assertEquals(1, recorded.cycle());
        assertEquals(List.of(0, 1), recorded.skipped());
        assertEquals(NOW + 5, recorded.entry().at(), "nothing ran: the outcome is the conductor's, at now");
        assertEquals(1, step.logs().size());
        Out<String> out = written(core, s, step);
        assertNull(out.answer());
        assertNull(out.cycle());
        assertFalse(core.cycleOpen());
    }

    // ---- takeover, state

    @Test
    void aJournalOfAnotherPIsRefusedAndNothingIsWritten() {
        ConductorCore<String> core = core(false);
        State s = core.apply(core.emptyState(), new Coordinator.TookOver("old", 1, 0, 4, "sharded", null));
        assertEquals(4, s.recordedPartitions());
        Step<String> step = core.takeOver(s, "conductor-1", NOW);
        assertNotNull(step.refusal());
        assertEquals(List.of(), step.events());
        assertFalse(core.takenOver());
    }

    @Test
    void theSnapshotRestoresTheStateAndTheEmptyStateStaysEmpty() {
        ConductorCore<String> core = core(false);
        State[] s = {tookOver(core)};
        assertTrue(core.emptyState().fresh(), "applying the takeover made a new state");
        CycleAsk<String> ask = core.cycleTick(s[0]).orElseThrow();
        written(core, s, core.cycleGathered(s[0], ask, allRan(ask, 1), Set.of(), NOW));
        State restored = core.restored(ConductorCore.snapshot(s[0]));
        assertEquals(1, restored.cycle());
        assertEquals(P, restored.recordedPartitions());
        assertEquals("sharded", restored.recordedHosting());
        assertEquals(s[0].history(), restored.history());
        assertEquals(Optional.empty(), core.refusal(restored));
        assertEquals(Step.class, core.takeOver(restored, "again", NOW).getClass());
        assertEquals(List.of(), core.takeOver(restored, "again", NOW).events(), "taken over already: nothing");
    }
}
