package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.IntConsumer;
import java.util.function.Predicate;

import static io.blobgc.ledger.PartitionedLedgerTest.in;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The settle round over messages (partitions-part2-plan S1.5): four hosting ledgers ({@link PartitionedLedger#hosting})
 * that begin their warm-ups together, as after a whole-cluster restart, a fake network between them that queues the
 * exports and delivers them when and in the order a test says — or drops them — and a {@link SettleRound} fed with
 * their {@link SettleStatus}es, as the Conductor will be. On NEED_FULL the network asks the sender for a FULL, as an
 * entity does.
 *
 * <p>A chain through every partition and back, {@code x (0) -> c (1) -> d (2) -> e (3) -> y (0)}, held by node n1 at
 * its root x: each hop is carried by one partition's export to the next, one flush after the hop before it arrived.
 * Node reports are applied without the fence of reported holds (over messages that is S1.6): the exports alone must
 * carry the chain, the case where settling too early loses a blob.
 */
class SettleRoundTest {

    private static final Partitioning P4 = Partitioning.of(4);
    private static final LedgerSettings SETTINGS = LedgerSettings.DEFAULTS.withGracePeriodMs(0);

    private final BlobHash x = in(0, 1), c = in(1, 1), d = in(2, 1), e = in(3, 1), y = in(0, 2);
    private final List<BlobHash> chain = List.of(x, c, d, e, y);

    private final PartitionedLedger[] hosts = new PartitionedLedger[4];
    private final Network net = new Network();
    private final SettleRound round = new SettleRound(4);
    private long now = 1_700_000_000_000L;
    private long nodeSeq;

    SettleRoundTest() {
        recoverTogether(hosts, chain, now);
    }

    /**
     * Fills {@code hosts} with hosting ledgers of P4 that begin their warm-ups together at {@code now}, as after a
     * whole-cluster restart, with {@code chain} registered (each blob calls the next). Also {@link SettleCutTest}'s.
     */
    static void recoverTogether(PartitionedLedger[] hosts, List<BlobHash> chain, long now) {
        List<Registration> registrations = new ArrayList<>(List.of(Registration.of(chain.get(chain.size() - 1))));
        for (int i = chain.size() - 2; i >= 0; i--) {
            registrations.add(new Registration(chain.get(i), List.of(chain.get(i + 1))));
        }
        for (int p = 0; p < hosts.length; p++) {
            hosts[p] = PartitionedLedger.hosting(SETTINGS, 64, P4, p);
            hosts[p].applyRegistered(registrations); // replayed from the journal: each takes its own
            hosts[p].beginWarmUp(List.of("n1"), now); // the whole cluster restarted: every partition warms up
            hosts[p].applyTookOver("instance-" + p, 30_000); // its own takeover: a new generation, its exports' incarnation
        }
    }

    /** The fake network: every export sent and not yet delivered or dropped, in the order sent. */
    private final class Network {
        final List<PartitionedLedger.Export> inFlight = new ArrayList<>();
        int needFull;

        void send(List<PartitionedLedger.Export> exports) {
            inFlight.addAll(exports);
        }

        /**
         * Delivers {@code ex} (in flight): applied by its target; on NEED_FULL its sender owes a FULL that echoes the
         * target's generation — the only FULL a warming target takes (the echo rule, S1.4): so the first provisional
         * FULLs after the restart, which echo no ask, are refused and sent again.
         */
        ReportOutcome deliver(PartitionedLedger.Export ex) {
            assertTrue(inFlight.remove(ex));
            ReportOutcome o = hosts[ex.to()].deliverExport(ex, now);
            if (o == ReportOutcome.NEED_FULL) {
                needFull++;
                hosts[ex.from()].resendExportsFull(ex.from(), ex.to(), hosts[ex.to()].generation());
            }
            return o;
        }

        /** Delivers everything in flight, in the order sent. */
        void deliverAll() {
            while (!inFlight.isEmpty()) deliver(inFlight.get(0));
        }

        /**
         * Delivers each export in flight with probability {@code p}, pairs of partitions interleaved at random, each
         * pair's in the order sent (as between two actors); the rest stays in flight, delayed.
         */
        void deliverSome(Random rnd, double p) {
            Set<List<Integer>> blocked = new HashSet<>(); // a pair with an export held back keeps its order
            for (PartitionedLedger.Export ex : shuffled(rnd)) {
                List<Integer> pair = List.of(ex.from(), ex.to());
                if (blocked.contains(pair) || rnd.nextDouble() >= p) {
                    blocked.add(pair);
                    continue;
                }
                deliver(ex);
            }
        }

        /** In flight, pairs interleaved at random, each pair's exports in the order sent. */
        private List<PartitionedLedger.Export> shuffled(Random rnd) {
            Map<List<Integer>, List<PartitionedLedger.Export>> byPair = new TreeMap<>(
                    (a, b) -> a.get(0) * 10 + a.get(1) - b.get(0) * 10 - b.get(1));
            for (PartitionedLedger.Export ex : inFlight) {
                byPair.computeIfAbsent(List.of(ex.from(), ex.to()), k -> new ArrayList<>()).add(ex);
            }
            List<List<PartitionedLedger.Export>> queues = new ArrayList<>(byPair.values());
            List<PartitionedLedger.Export> out = new ArrayList<>();
            while (!queues.isEmpty()) {
                List<PartitionedLedger.Export> q = queues.get(rnd.nextInt(queues.size()));
                out.add(q.remove(0));
                if (q.isEmpty()) queues.remove(q);
            }
            return out;
        }

        /** Drops the exports in flight that {@code lost} picks; how many. */
        int drop(Predicate<PartitionedLedger.Export> lost) {
            int before = inFlight.size();
            inFlight.removeIf(lost);
            return before - inFlight.size();
        }
    }

    /** Node n1's FULL, each partition taking its share: what every node sends after the restart. */
    private void nodeFull(BlobHash... held) {
        NodeReport r = NodeReport.full("n1", 1, ++nodeSeq, List.of(held), List.of());
        for (PartitionedLedger h : hosts) assertEquals(ReportOutcome.APPLIED, h.report(r, now));
    }

    private void nodeDelta(List<BlobHash> added, List<BlobHash> removed) {
        NodeReport r = NodeReport.delta("n1", 1, ++nodeSeq, added, removed, List.of(), List.of());
        for (PartitionedLedger h : hosts) assertEquals(ReportOutcome.APPLIED, h.report(r, now));
    }

    /**
     * One poll of the settle round, as the Conductor's {@code SettleQuery}: each partition in turn flushes its exports
     * (onto the network) and answers; then {@code between} runs with its number — what happens in the world between
     * two answers. Only the partitions in {@code answering} have their answers arrive.
     */
    private Optional<List<Integer>> poll(Set<Integer> answering, IntConsumer between) {
        now += 100;
        Map<Integer, SettleStatus> answers = new TreeMap<>();
        long cut = round.queryCut();
        for (int p = 0; p < hosts.length; p++) {
            hosts[p].beginCut(p, cut); // as LinksCore.onSettleQuery: the query's cut, taken before the flush
            net.send(hosts[p].flushExports(p, now));
            if (answering.contains(p)) answers.put(p, hosts[p].settleStatus(p));
            between.accept(p);
        }
        return round.poll(answers);
    }

    /** What the partitions would answer now, without a flush: whether the next poll is clean. */
    private Map<Integer, SettleStatus> answersNow() {
        Map<Integer, SettleStatus> out = new TreeMap<>();
        for (int p = 0; p < hosts.length; p++) out.put(p, hosts[p].settleStatus(p));
        return out;
    }

    private Optional<List<Integer>> poll() {
        return poll(Set.of(0, 1, 2, 3), p -> { });
    }

    /** The conductor's {@code Settled(epoch)}, delivered to every partition: those of the epoch end their warm-ups. */
    private void settled(List<Integer> epoch) {
        for (int p = 0; p < hosts.length; p++) {
            if (SettleRound.appliesTo(epoch, p, hosts[p].generation())) hosts[p].partitionsSettled();
        }
    }

    private PartitionedLedger owner(BlobHash b) {
        return hosts[P4.partitionOf(b)];
    }

    private void assertEveryoneWarms(String when) {
        for (int p = 0; p < hosts.length; p++) assertTrue(hosts[p].warmingUp(), "partition " + p + " " + when);
    }

    /** The round has settled: every partition's warm-up ends, and the whole held chain is protected in its owners. */
    private void assertSettledWithTheChainHeld(List<Integer> epoch, String when) {
        assertEquals(List.of(1, 1, 1, 1), epoch, "every partition's own generation");
        assertEveryoneWarms("before the Settled (" + when + ")");
        settled(epoch);
        for (int p = 0; p < hosts.length; p++) {
            assertFalse(hosts[p].warmingUp(), "partition " + p + " still warms up: " + hosts[p].warmUpBlockers());
        }
        for (BlobHash b : chain) {
            assertTrue(owner(b).isProtected(b), b.shortHex() + " is unprotected when the warm-ups end (" + when + ")");
        }
    }

    /** Polls until the round settles, delivering each export with probability {@code p} between polls. */
    private List<Integer> pollUntilSettled(Random rnd, double p, int maxPolls) {
        for (int i = 0; i < maxPolls; i++) {
            assertEveryoneWarms("at poll " + i + ": no warm-up ends before the round settles");
            Optional<List<Integer>> epoch = poll();
            if (epoch.isPresent()) return epoch.get();
            net.deliverSome(rnd, p);
        }
        throw new AssertionError("no settle in " + maxPolls + " polls");
    }

    /**
     * Polls, everything delivered between them, until every partition has all its inputs in: the provisional FULLs
     * went out, were refused for their echo, and were resent and applied. No cut yet: the last poll's answers were not
     * all in (they are read before the deliveries), and only such a poll allocates one.
     */
    private void pollUntilEveryInputIsIn() {
        for (int i = 0; !answersNow().values().stream().allMatch(SettleStatus::haveAllInputs); i++) {
            assertTrue(i < 10, "the inputs are not in");
            assertEquals(Optional.empty(), poll());
            net.deliverAll();
        }
        assertEquals(0, round.queryCut(), "a cut before every input was in");
    }

    /**
     * Four cycles of every partition after the Settled, each followed by a flush of the exports, their delivery and
     * an empty DELTA of n1: the settled FULLs replace the provisional views and confirm.
     */
    private void cycleFourTimes() {
        for (int i = 0; i < 4; i++) {
            now += 1_000;
            for (PartitionedLedger h : hosts) h.applyCycle(h.planCycle(now, now, false));
            for (int p = 0; p < hosts.length; p++) net.send(hosts[p].flushExports(p, now));
            net.deliverAll();
            nodeDelta(List.of(), List.of());
        }
    }

    @Test
    void noWarmUpEndsBeforeTheExportsSettleAndThenTheWholeChainIsHeld() {
        nodeFull(x);
        List<Integer> epoch = pollUntilSettled(new Random(1), 1.0, 30);
        assertSettledWithTheChainHeld(epoch, "everything delivered between polls");

        cycleFourTimes(); // the settled FULLs confirm, and the chain stays: nothing of it is marked over cycles
        for (BlobHash b : chain) assertEquals(Optional.of(BlobStatus.ACTIVE), owner(b).status(b), b.shortHex());
        for (PartitionedLedger h : hosts) assertEquals(List.of(), h.planDeletion(100));
    }

    @Test
    void exportsDelayedAndInterleavedAtRandomSettleOnlyWithTheWholeChainHeld() {
        for (int seed = 1; seed <= 30; seed++) {
            SettleRoundTest t = new SettleRoundTest();
            t.nodeFull(t.x);
            List<Integer> epoch = t.pollUntilSettled(new Random(seed), 0.5, 200);
            t.assertSettledWithTheChainHeld(epoch, "seed " + seed);
        }
    }

    @Test
    void aLostProvisionalExportDelaysSettlingButNeverEndsItWrongly() {
        nodeFull(); // n1 holds nothing yet
        assertEquals(Optional.empty(), poll()); // the first provisional FULLs go out
        net.deliverAll();
        nodeDelta(List.of(x), List.of()); // now n1 holds x
        assertEquals(Optional.empty(), poll());
        assertEquals(1, net.drop(ex -> ex.from() == 0 && ex.to() == 1), "0's DELTA that exports c to 1, lost");
        int needFullBefore = net.needFull;
        net.deliverAll();
        assertFalse(owner(c).isProtected(c));

        for (int i = 0; i < 30; i++) {
            assertEveryoneWarms("at poll " + i);
            Optional<List<Integer>> epoch = poll();
            if (epoch.isPresent()) {
                assertSettledWithTheChainHeld(epoch.get(), "after the loss");
                assertTrue(net.needFull > needFullBefore, "1 saw the gap, and 0 resent its export as a FULL");
                return;
            }
            net.deliverAll();
        }
        throw new AssertionError("a lost export kept the round from settling for ever");
    }

    @Test
    void aHoldThatArrivesDuringAPollIsExportedBeforeTheRoundSettles() {
        nodeFull(); // n1 holds nothing yet
        pollUntilEveryInputIsIn();
        // the poll that allocates the cut — and n1's DELTA reaches partition 0 just after it answered: 0's next flush
        // exports c. x is held before any partition takes the cut, so it is one of the cut's roots: had the round
        // settled without its closure, the warm-ups would end with c, d, e and y unprotected
        assertEquals(Optional.empty(), poll(Set.of(0, 1, 2, 3), p -> {
            if (p == 0) nodeDelta(List.of(x), List.of());
        }));
        assertTrue(round.queryCut() > 0, "the cut is allocated");
        net.deliverAll();
        assertSettledWithTheChainHeld(pollUntilSettled(new Random(1), 1.0, 30), "x held before the cut was taken");
    }

    @Test
    void aNodesFullThatIsLateSomewhereHoldsTheRound() {
        NodeReport full = NodeReport.full("n1", 1, ++nodeSeq, List.of(x), List.of());
        for (int p = 1; p < hosts.length; p++) assertEquals(ReportOutcome.APPLIED, hosts[p].report(full, now));
        for (int i = 0; i < 20; i++) {
            assertEquals(Optional.empty(), poll(), "poll " + i + ": n1's FULL is not in at partition 0");
            net.deliverAll();
        }
        assertEveryoneWarms("while n1's FULL is late");
        assertEquals(ReportOutcome.APPLIED, hosts[0].report(full, now));
        assertSettledWithTheChainHeld(pollUntilSettled(new Random(1), 1.0, 30), "n1's FULL late at 0");
    }

    @Test
    void aPollMissingAPartitionNeverSettles() {
        nodeFull(x);
        for (int i = 0; i < 30; i++) {
            assertEquals(Optional.empty(), poll(Set.of(0, 1, 3), p -> { }), "poll " + i + ": 2's answer lost");
            net.deliverAll();
        }
        assertEveryoneWarms("without 2's answers");
        assertEquals(Optional.empty(), poll(), "the first whole poll is a first collect");
        net.deliverAll();
        assertEquals(Optional.empty(), poll(Set.of(0, 1, 2), p -> { }), "3's answer lost: the round starts again");
        net.deliverAll();
        assertEquals(Optional.empty(), poll());
        net.deliverAll();
        assertSettledWithTheChainHeld(poll().orElseThrow(() -> new AssertionError("two whole clean polls")),
                "after polls with answers missing");
    }

    @Test
    void aStatusReadBeforeTheFlushIsDirtyWhileAFullIsOwed() {
        nodeFull(x);
        assertEquals(Optional.empty(), poll());
        net.deliverAll(); // the first FULLs echo no ask: refused, so every partition owes each other one
        assertTrue(hosts[0].settleStatus(0).dirty(), "a FULL is owed: the next flush sends more than heartbeats");
        net.send(hosts[0].flushExports(0, now));
        assertFalse(hosts[0].settleStatus(0).dirty(), "the flush sent it");
    }

    /**
     * A VM retrying a refused registration, as at seed 30001 of the randomized run (partitions-part2-plan §10): at
     * every poll partition 0 reserves a new caller f(0) -> lib(1) and releases it again, its walk refused — once
     * before 0's flush (the reservation's ask makes the flush list lib removed), once after it (the flush lists lib
     * added, the next one removed). While 0 warms up its reports are applied add-only, so none of that changes 1's
     * view after the first add: the round must settle all the same, within a few polls of the quiet case, and with
     * the chain held. Both with lib registered in 1 (the first add holds it there) and unknown (a refused upload).
     */
    @Test
    void aRetriedRefusedRegistrationAtEveryPollStillSettles() {
        for (boolean libKnown : new boolean[]{true, false}) {
            SettleRoundTest t = new SettleRoundTest();
            BlobHash lib = in(1, 2);
            if (libKnown) for (PartitionedLedger h : t.hosts) h.applyRegistered(List.of(Registration.of(lib)));
            t.nodeFull(t.x);
            Optional<List<Integer>> epoch = Optional.empty();
            for (int i = 0; i < 10 && epoch.isEmpty(); i++) {
                t.assertEveryoneWarms("at poll " + i);
                PartitionedLedger.Reservation r = t.hosts[0].reserve(
                        List.of(new Registration(in(0, 10 + i), List.of(lib))), t.now);
                assertFalse(r.isEmpty(), "lib is reserved in 0");
                boolean afterFlush = i % 2 == 1;
                if (!afterFlush) t.hosts[0].release(r);
                epoch = t.poll(Set.of(0, 1, 2, 3), p -> {
                    if (p == 0 && afterFlush) t.hosts[0].release(r);
                });
                t.net.deliverAll();
            }
            assertTrue(epoch.isPresent(), "no settle in 10 polls with a registration retried at each (lib "
                    + (libKnown ? "known" : "unknown") + " in 1)");
            t.assertSettledWithTheChainHeld(epoch.get(), "a registration retried at every poll");
        }
    }

    /**
     * Tier 1's rule, mark by mark: while 0 warms up, its report to 1 has content (moves 0's sent mark, and 1's applied
     * one once applied, by the stamp it carries) only when it adds a hash not listed to 1 since the last FULL. The
     * removal and the re-add of lib leave both marks — and 1's view, which holds lib from the first add — as they
     * were; a new hash (y's caller e is reserved too) moves them again.
     */
    @Test
    void aProvisionalReportHasContentOnlyWhenItAddsAHashNewSinceTheLastFull() {
        BlobHash lib = in(1, 2);
        for (PartitionedLedger h : hosts) h.applyRegistered(List.of(Registration.of(lib)));
        nodeFull(); // n1 holds nothing
        pollUntilEveryInputIsIn();
        SettleStatus.ReportId before = hosts[0].settleStatus(0).sentTo(1);
        PartitionedLedger.Reservation r = hosts[0].reserve(List.of(new Registration(in(0, 10), List.of(lib))), now);
        assertNotEquals(before, flushAndDeliver(), "lib's first add is content");
        assertTrue(hosts[1].isProtected(lib), "1's view of 0 holds lib");
        SettleStatus.ReportId first = hosts[0].settleStatus(0).sentTo(1);

        hosts[0].release(r);
        assertEquals(first, flushAndDeliver(), "a provisional removal is no content");
        assertEquals(List.of(lib), lastToOne.activeRemoved());
        assertTrue(hosts[1].isProtected(lib), "and it changed no view: 1 applies it add-only");
        r = hosts[0].reserve(List.of(new Registration(in(0, 11), List.of(lib))), now);
        assertEquals(first, flushAndDeliver(), "nor is a re-add of a hash listed since the last FULL");
        assertEquals(List.of(lib), lastToOne.activeAdded());
        hosts[0].release(r);
        assertEquals(first, flushAndDeliver(), "nor its removal again");
        // reserved and released between two flushes: lib is not exported, but the reservation's ask lists it removed
        hosts[0].release(hosts[0].reserve(List.of(new Registration(in(0, 12), List.of(lib))), now));
        assertEquals(first, flushAndDeliver(), "nor an ask's removal");
        assertEquals(List.of(lib), lastToOne.activeRemoved());
        assertTrue(hosts[1].isProtected(lib), "1's view of 0 still holds lib: 0 warms up");

        hosts[0].reserve(List.of(new Registration(in(0, 13), List.of(c))), now);
        assertNotEquals(first, flushAndDeliver(), "c is new to 1 since the last FULL: content");
    }

    /** 0's report to 1 of the last {@link #flushAndDeliver}. */
    private NodeReport lastToOne;

    /** 0 flushes, its exports are delivered: its sent mark to 1, which 1's applied mark from 0 equals now. */
    private SettleStatus.ReportId flushAndDeliver() {
        now += 100;
        List<PartitionedLedger.Export> out = hosts[0].flushExports(0, now);
        lastToOne = out.stream().filter(ex -> ex.to() == 1).findFirst().orElseThrow().report();
        net.send(out);
        net.deliverAll();
        SettleStatus.ReportId sent = hosts[0].settleStatus(0).sentTo(1);
        assertEquals(sent, hosts[1].settleStatus(1).appliedFrom(0), "1 applied everything 0 sent it");
        return sent;
    }

    /** How many polls the quiet case takes: the bound of the test above is a few more. */
    @Test
    void theQuietCaseSettlesWithinTenPolls() {
        nodeFull(x);
        assertSettledWithTheChainHeld(pollUntilSettled(new Random(1), 1.0, 10), "quiet");
    }

    @Test
    void aPartitionThatRecoveredAgainIgnoresASettledOfTheEpochBefore() {
        nodeFull(x);
        List<Integer> epoch = pollUntilSettled(new Random(1), 1.0, 30);
        hosts[2].beginWarmUp(List.of("n1"), now); // 2 recovered again before the Settled reached it
        hosts[2].applyTookOver("instance-2b", 30_000);
        assertFalse(SettleRound.appliesTo(epoch, 2, hosts[2].generation()));
        settled(epoch);
        assertTrue(hosts[2].warmingUp(), "2 took a Settled of an epoch it was not part of");
        assertFalse(hosts[0].warmingUp());
    }

    // ---- tier 2, the cut (partitions-part2-plan §10.7)

    /** Polls (everything delivered between them) until the round has allocated a cut: the next queries carry it. */
    private long pollUntilACut() {
        for (int i = 0; round.queryCut() == 0; i++) {
            assertTrue(i < 10, "no cut allocated");
            assertEquals(Optional.empty(), poll());
            net.deliverAll();
        }
        return round.queryCut();
    }

    /**
     * Fresh holds across partitions at every poll (§10.7, test 2): between polls a new pair f(0) -> l(1) is registered,
     * n1 acquires f through the fence (its walk records l in 1's view of 0, a sticky), and n1's next DELTA lists f.
     * Every poll, 0 exports a hash new to 1: content, so a round that waited for no export with content to move
     * anywhere, as before the cut, never settled (tier 1 does not help: l is new). The cut counts only what was held
     * when it was taken and its closure, so the round settles within a few polls, with the chain held and every l
     * protected; and once the settled FULLs confirm, no f nor l is marked.
     */
    @Test
    void freshHoldsAcrossPartitionsAtEveryPollStillSettle() {
        InstantPartitions fence = new InstantPartitions(P4, hosts);
        nodeFull(x);
        List<BlobHash> fresh = new ArrayList<>();
        Optional<List<Integer>> epoch = Optional.empty();
        for (int i = 0; i < 10 && epoch.isEmpty(); i++) {
            assertEveryoneWarms("at poll " + i);
            BlobHash f = in(0, 30 + i), l = in(1, 30 + i);
            for (PartitionedLedger h : hosts) h.applyRegistered(List.of(Registration.of(l), new Registration(f, List.of(l))));
            assertEquals(AcquireOutcome.ACQUIRED, fence.acquire("n1", 1, nodeSeq, f, now));
            nodeDelta(List.of(f), List.of());
            fresh.add(f);
            fresh.add(l);
            epoch = poll();
            net.deliverAll();
        }
        assertTrue(epoch.isPresent(), "no settle in 10 polls with fresh holds across partitions at each");
        assertSettledWithTheChainHeld(epoch.get(), "fresh holds at every poll");
        for (BlobHash b : fresh) assertTrue(owner(b).isProtected(b), b.shortHex() + " is unprotected at the Settled");
        cycleFourTimes();
        for (BlobHash b : fresh) assertEquals(Optional.of(BlobStatus.ACTIVE), owner(b).status(b), b.shortHex());
        for (BlobHash b : chain) assertEquals(Optional.of(BlobStatus.ACTIVE), owner(b).status(b), b.shortHex());
        for (PartitionedLedger h : hosts) assertEquals(List.of(), h.planDeletion(100));
    }

    /** How many polls test 3 churns: a fresh pair at each, while the ids of the partitions last. */
    private static final int CHURN = 116;

    /**
     * {@link #freshHoldsAcrossPartitionsAtEveryPollStillSettle} with delays and loss (§10.7, test 3): at every poll
     * a fresh pair f(a) -> l(a + 1), a going round the partitions; between polls each export is delivered with
     * probability 1/2 (pairs in order), and for the first 30 polls one in ten is lost. No warm-up ends before the
     * Settled; at the Settled the chain and every acquired pair are protected; it settles while the churn goes on
     * (the round before the cut never did, over 30 seeds). (With one in ten lost at every poll the round does not
     * settle, fresh holds or none: a gap somewhere at nearly every poll keeps a partition view incomplete, and so
     * {@code haveAllInputs} false, or moves the cut marks by the FULL that makes it up — §10.8, point 4.)
     */

    @Test
    void freshHoldsWithDelaysAndLossSettleOnlyWithTheCutClosed() {
        for (int seed = 1; seed <= 30; seed++) {
            SettleRoundTest t = new SettleRoundTest();
            Random rnd = new Random(seed);
            InstantPartitions fence = new InstantPartitions(P4, t.hosts);
            t.nodeFull(t.x);
            List<BlobHash> fresh = new ArrayList<>();
            Optional<List<Integer>> epoch = Optional.empty();
            for (int i = 0; i < CHURN && epoch.isEmpty(); i++) {
                t.assertEveryoneWarms("seed " + seed + ", poll " + i);
                int a = i % 4; // f(a) -> l(a + 1), each in ids of its partition no other blob uses
                BlobHash f = in(a, 3 + 2 * (i / 4)), l = in((a + 1) % 4, 4 + 2 * (i / 4));
                {
                    for (PartitionedLedger h : t.hosts) {
                        h.applyRegistered(List.of(Registration.of(l), new Registration(f, List.of(l))));
                    }
                    assertEquals(AcquireOutcome.ACQUIRED, fence.acquire("n1", 1, t.nodeSeq, f, t.now));
                    t.nodeDelta(List.of(f), List.of());
                    fresh.add(f);
                    fresh.add(l);
                }
                epoch = t.poll();
                if (i < 30) t.net.drop(ex -> rnd.nextInt(10) == 0);
                t.net.deliverSome(rnd, 0.5);
            }
            assertTrue(epoch.isPresent(), "seed " + seed + ": no settle in " + CHURN + " polls of churn");
            for (BlobHash b : fresh) {
                assertTrue(t.owner(b).isProtected(b), "seed " + seed + ": " + b.shortHex() + " is unprotected");
            }
            t.assertSettledWithTheChainHeld(epoch.get(), "seed " + seed + ", fresh holds, delays and loss");
        }
    }

    /**
     * A pin replayed from the journal, which no node holds and no walk fences (§10.7, test 4): the round is for it.
     * Its chain goes through every partition, each hop forwarded as cut content imported by the hop before; the
     * Settled comes only once y, the last hop, is protected in 0.
     */
    @Test
    void aJournalPinCarriesItsWholeChainThroughTheCut() {
        hosts[0].applyPinned(x, new Pin("ops", "replayed", now, null)); // as replayed before the warm-up began
        nodeFull(); // n1 holds nothing
        List<Integer> epoch = pollUntilSettled(new Random(1), 1.0, 20);
        // the cut's content holds the whole chain (Lemma 2): here the ordinary exports carry it too, a hop a poll, and
        // they are through before the double collect, so only this shows the hops forwarded as cut content
        for (int p = 0; p < 4; p++) {
            BlobHash next = chain.get(p + 1);
            assertTrue(hosts[p].cutContent(p, (p + 1) % 4).contains(next), next.shortHex() + " is not cut content of "
                    + p + " -> " + (p + 1) % 4);
        }
        assertSettledWithTheChainHeld(epoch, "a journal pin");
    }

    /**
     * The marker rule over the round (§10.7, test 5): at every poll 1's exports reach 2 before 2's query, so 2 takes
     * each cut from 1's part first; its marks still meet, and the round settles with the chain held.
     */
    @Test
    void aCutPartSeenBeforeTheQueryTakesTheCut() {
        nodeFull(x);
        boolean[] takenFromAPart = {false};
        Optional<List<Integer>> epoch = Optional.empty();
        for (int i = 0; i < 20 && epoch.isEmpty(); i++) {
            epoch = poll(Set.of(0, 1, 2, 3), p -> {
                if (p != 1) return;
                long before = hosts[2].cut(2);
                for (PartitionedLedger.Export ex : List.copyOf(net.inFlight)) if (ex.from() == 1 && ex.to() == 2) net.deliver(ex);
                if (hosts[2].cut(2) != before && hosts[2].cut(2) == round.queryCut()) takenFromAPart[0] = true;
            });
            net.deliverAll();
        }
        assertTrue(takenFromAPart[0], "2 took the cut from 1's export, before its own query");
        assertTrue(epoch.isPresent(), "no settle in 20 polls");
        assertSettledWithTheChainHeld(epoch.get(), "the cut taken from a part");
    }

    /**
     * A lost export with cut content added (§10.7, test 6): x is held once the cut is allocated and before it is
     * taken, so 0's base has c while 1's is empty; 1 forwards d as cut content added, and that export is lost. The
     * next one leaves a gap, 1 sends the FULL 2 asks for, which carries a base: the marks meet again, with d and the
     * rest of the chain in.
     */
    @Test
    void aLostExportWithCutAdditionsIsMadeUpByTheFull() {
        nodeFull();
        pollUntilACut();
        nodeDelta(List.of(x), List.of()); // before any partition takes the cut: x is a root
        assertEquals(Optional.empty(), poll()); // the bases: 0's has c, 1's nothing
        net.deliverAll();
        assertEquals(Optional.empty(), poll()); // 1 forwards d: lost
        List<PartitionedLedger.Export> lost = new ArrayList<>();
        net.drop(ex -> ex.from() == 1 && ex.to() == 2 && lost.add(ex));
        assertEquals(1, lost.size());
        assertEquals(List.of(d), lost.get(0).cut().added(), "d, cut content added");
        net.deliverAll();
        int needFullBefore = net.needFull;
        List<Integer> epoch = pollUntilSettled(new Random(1), 1.0, 20);
        assertTrue(net.needFull > needFullBefore, "2 saw the gap and asked for a FULL");
        assertSettledWithTheChainHeld(epoch, "cut content lost");
    }

    /**
     * A hold that arrives after the cut is the fences', not the round's (§10.7, test 7; in
     * {@link #aHoldThatArrivesDuringAPollIsExportedBeforeTheRoundSettles} it arrives before the cut is taken): n1's
     * DELTA adds x once every partition took the cut. Without the walk of reported holds the round may settle before c, d, e and y
     * are exported (nothing asserted on them then); with it, they are protected in their owners by stickies from the
     * moment the report is applied, and so at the Settled.
     */
    @Test
    void aHoldAddedAfterTheCutIsTheFencesNotTheRounds() {
        for (boolean fenced : new boolean[]{false, true}) {
            SettleRoundTest t = new SettleRoundTest();
            t.nodeFull();
            t.pollUntilACut();
            assertEquals(Optional.empty(), t.poll()); // every partition takes the cut
            t.net.deliverAll();
            NodeReport r = NodeReport.delta("n1", 1, ++t.nodeSeq, List.of(t.x), List.of(), List.of(), List.of());
            for (PartitionedLedger h : t.hosts) assertEquals(ReportOutcome.APPLIED, h.report(r, t.now));
            if (fenced) new InstantPartitions(P4, t.hosts).fenceReportedHolds(r, ReportOutcome.APPLIED, t.now);
            List<Integer> epoch = t.pollUntilSettled(new Random(1), 1.0, 20);
            if (!fenced) continue; // the round owes nothing for it: c may be unprotected
            t.assertSettledWithTheChainHeld(epoch, "x held after the cut, fenced");
        }
    }
}
