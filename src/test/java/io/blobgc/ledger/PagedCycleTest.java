package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A cycle decides at most {@code max-transitions-per-cycle} status changes (one journal event holds them, issue 24);
 * the candidates it did not look at wait for the next cycle, with what they carried (a use since the last cycle).
 */
class PagedCycleTest {

    private static BlobHash blob(int i) {
        byte[] b = new byte[32];
        ByteBuffer.wrap(b).putInt(i).putInt(i * 7919);
        return BlobHash.of(b);
    }

    @Test
    void aBulkChangeIsDecidedOverSeveralCyclesOfAtMostTheLimit() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(0).withMaxTransitionsPerCycle(10));
        List<BlobHash> blobs = new ArrayList<>();
        for (int i = 0; i < 25; i++) blobs.add(blob(i));
        f.full("n1");
        f.register(blobs.toArray(BlobHash[]::new));
        List<Integer> sizes = new ArrayList<>();
        for (int c = 0; c < 4; c++) sizes.add(f.cycle().unreferenced().size());
        assertEquals(List.of(10, 10, 5, 0), sizes, "25 new, unused blobs: 10, 10, then 5 go UNREFERENCED");
        for (BlobHash b : blobs) assertEquals(BlobStatus.UNREFERENCED, f.status(b));
    }

    /** Grace 1 s, one transition a cycle: {@code x} and {@code y} used, then dropped, and both past their grace. */
    private static LedgerFixture bothPastTheirGrace(BlobHash x, BlobHash y) {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(1000).withMaxTransitionsPerCycle(1));
        f.full("n1", x, y);
        f.cycle();
        f.delta("n1", List.of(), List.of(x, y));
        f.cycle(); // one of them goes UNREFERENCED, the other waits (still ACTIVE)
        f.cycle(); // the other
        assertEquals(BlobStatus.UNREFERENCED, f.status(x));
        assertEquals(BlobStatus.UNREFERENCED, f.status(y));
        f.advance(5000);
        f.heartbeat("n1");
        return f;
    }

    @Test
    void aCandidateLeftForTheNextCycleIsNeitherMarkedNorDeletedMeanwhile() {
        BlobHash x = blob(1), y = blob(2);
        LedgerFixture f = bothPastTheirGrace(x, y);
        // a brief use of both between two cycles: each must start its grace again, however long it waits its turn
        f.delta("n1", List.of(x, y), List.of());
        f.delta("n1", List.of(), List.of(x, y));
        f.heartbeat("n1");
        for (int c = 0; c < 2; c++) {
            CycleOutcome o = f.cycle();
            assertTrue(o.marked().isEmpty(), "nothing marked while its renewed grace runs: " + o.marked());
            assertEquals(1, o.unreferenced().size(), "one grace restarted per cycle");
            f.heartbeat("n1");
        }
        assertTrue(f.startDeletion().isEmpty());
    }

    /**
     * Review (issue 24): with the dirty candidates taking the whole limit every cycle — a blob used briefly between
     * cycles, again and again — a blob whose grace is over was never marked. Every other cycle the elapsed ones go first.
     */
    @Test
    void aStreamOfChangesAtTheLimitDoesNotHoldUpMarking() {
        BlobHash x = blob(1), a = blob(2);
        LedgerFixture f = bothPastTheirGrace(x, a);
        boolean marked = false;
        for (int i = 0; i < 10 && !marked; i++) {
            f.delta("n1", List.of(a), List.of()); // a brief use of a: its grace starts again, a transition each cycle
            f.delta("n1", List.of(), List.of(a));
            f.heartbeat("n1");
            marked = f.cycle().marked().stream().anyMatch(m -> m.hash().equals(x));
            f.advance(5000);
            f.heartbeat("n1");
        }
        assertTrue(marked, "x, unused far beyond its grace, is marked while a is used again and again");
    }

    /** Those a cycle left wait no longer than the newcomers: the next cycle looks at them first. */
    @Test
    void theCandidatesACycleLeftGoFirstInTheNext() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(0).withMaxTransitionsPerCycle(2));
        f.full("n1");
        List<BlobHash> first = new ArrayList<>();
        for (int i = 0; i < 6; i++) first.add(blob(100 + i));
        f.register(first.toArray(BlobHash[]::new));
        CycleOutcome o = f.cycle(); // decides 2, leaves 4
        List<BlobHash> left = new ArrayList<>(first);
        left.removeAll(o.unreferenced());
        assertEquals(4, left.size());
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 4; i++) f.register(blob(1000 + round * 10 + i)); // newcomers, 4 each cycle
            o = f.cycle();
            if (!left.isEmpty()) {
                assertTrue(left.containsAll(o.unreferenced()), "the ones left go before the newcomers: "
                        + o.unreferenced());
            }
            left.removeAll(o.unreferenced());
        }
        assertTrue(left.isEmpty(), "every candidate the first cycle left was decided: " + left);
    }

    /**
     * A paged cycle costs what it looks at, not the backlog (issue 24: 10M blobs registered at once ran a 1 GiB heap out
     * of memory listing the ones it left): those it looked at leave the candidates, the rest wait in line.
     */
    @Test
    void aCycleAtItsLimitLeavesTheRestOfTheBacklogWaitingInLine() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(0).withMaxTransitionsPerCycle(10));
        f.full("n1");
        for (int i = 0; i < 100; i++) f.register(blob(400 + i));
        assertEquals(100, f.ledger.candidatesWaiting());
        f.cycle();
        assertEquals(90, f.ledger.candidatesWaiting(), "the 10 decided left; 90 wait");
        for (int i = 0; i < 5; i++) f.register(blob(600 + i));
        f.cycle();
        assertEquals(85, f.ledger.candidatesWaiting(), "5 newcomers join the end of the line, 10 more decided");
        for (int c = 0; c < 9; c++) f.cycle();
        assertEquals(0, f.ledger.candidatesWaiting());
        for (int i = 0; i < 100; i++) assertEquals(BlobStatus.UNREFERENCED, f.status(blob(400 + i)));
    }

    /**
     * Review (issue 24): pruned tombstones were not counted — a coordinator back after a day prunes a day's deletions
     * in one event. They go up to the limit a cycle, in whole groups joined by dependencies, oldest first.
     */
    @Test
    void expiredTombstonesArePrunedAtMostTheLimitACycleInWholeGroups() {
        LedgerFixture f = new LedgerFixture(new LedgerSettings(0, 600_000, 1, StaleNodePolicy.RETAIN, 1000, 100, 2));
        List<BlobHash> lone = new ArrayList<>();
        for (int i = 0; i < 4; i++) lone.add(blob(200 + i));
        BlobHash a = blob(300), b = blob(301), c = blob(302);
        f.full("n1");
        f.register(lone.toArray(BlobHash[]::new));
        f.register(a);
        f.registerWithDeps(b, a);
        f.registerWithDeps(c, b);
        for (int i = 0; i < 20; i++) {
            f.heartbeat("n1");
            f.cycle();
        }
        f.heartbeat("n1");
        List<BlobHash> batch = f.startDeletion();
        assertEquals(7, batch.size(), "all seven marked and handed out");
        f.collect(lone);
        f.advance(10);
        f.collect(List.of(c, b, a));
        f.advance(2000);
        List<Integer> sizes = new ArrayList<>();
        List<List<BlobHash>> pruned = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            List<BlobHash> p = f.cycle().prunedTombstones();
            sizes.add(p.size());
            pruned.add(p);
        }
        assertEquals(List.of(2, 2, 3, 0), sizes, "two lone ones, two lone ones, then the group of three whole");
        assertTrue(pruned.get(2).containsAll(List.of(a, b, c)));
        for (BlobHash x : batch) assertEquals(null, f.status(x), "forgotten: " + x);
    }

    /** Expired operator pins count too: at most the limit a cycle; the others are held until a later cycle's turn. */
    @Test
    void expiredPinsAreDroppedAtMostTheLimitACycle() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(0).withMaxTransitionsPerCycle(2));
        f.full("n1");
        List<BlobHash> pinned = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            BlobHash x = blob(400 + i);
            pinned.add(x);
            f.register(x);
            f.ledger.applyPinned(x, new Pin("ops", "until later", f.now, f.now + 1000));
        }
        for (int i = 0; i < 4; i++) f.cycle();
        f.advance(2000);
        List<Integer> sizes = new ArrayList<>();
        for (int i = 0; i < 4; i++) sizes.add(f.cycle().expiredPins().size());
        assertEquals(List.of(2, 2, 1, 0), sizes);
        for (BlobHash x : pinned) assertTrue(f.ledger.info(x).orElseThrow().pins().isEmpty(), "unpinned: " + x);
    }
}
