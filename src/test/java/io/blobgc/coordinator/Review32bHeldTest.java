package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator.FindGone;
import io.blobgc.coordinator.Coordinator.GoneFound;
import io.blobgc.coordinator.LinksCore.Send;
import io.blobgc.ledger.GoneWalk;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.Registration;
import io.blobgc.ledger.TwoPartitions;
import io.blobgc.protocol.ReporterProtocol.Registered;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.blobgc.coordinator.Review32bTest.LOCAL;
import static io.blobgc.coordinator.Review32bTest.NOW;
import static io.blobgc.coordinator.Review32bTest.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review 32b: suspicions about 508782d, 89af854, 012772d, 525bccf and e451bd7 that hold (these pass). Each says the
 * mutation it catches. Fixture: y(A) → b(B) → d(A), d unknown to A (pruned): a registration of y walks b, then d, which
 * A answers gone; the saga's gone hop d is then named across partitions by A's {@link GoneNamesCore} (a FindGone to A
 * itself), and only then is the registration decided again — its reservation held meanwhile.
 */
class Review32bHeldTest {

    private static final BlobHash Y = TwoPartitions.in(0, 1), D = TwoPartitions.in(0, 2), B = TwoPartitions.in(1, 1);

    private final Review32bTest.Pair p = new Review32bTest.Pair(List.of(), List.of(new Registration(B, List.of(D))));

    /** The registration of y, its fence walk carried by hand up to the NameGone its saga's end gives. */
    private LinkOut.NameGone<String> walkedToNames() {
        List<LinkOut<String>> todo = new ArrayList<>(List.of(p.journalA.run(p.a,
                p.registrationsA.register(p.a, List.of(new Registration(Y, List.of(B))), h -> true, "vm", NOW, LOCAL))));
        for (int guard = 0; guard < 50 && !todo.isEmpty(); guard++) {
            List<LinkOut<String>> next = new ArrayList<>();
            for (LinkOut<String> o : todo) {
                assertEquals(List.of(), o.toSelf(), "no end before the names: " + o);
                if (!o.names().isEmpty()) {
                    assertEquals(1, o.names().size());
                    return o.names().get(0);
                }
                for (Send s : o.send()) next.add(p.receive(s.to(), s.message()));
            }
            todo = next;
        }
        throw new AssertionError("the saga never ended naming its gone hop");
    }

    private static FindGone onlyFindGone(LinkOut<String> out) {
        assertEquals(1, out.send().size(), String.valueOf(out.send()));
        assertEquals(0, out.send().get(0).to(), "d is A's own");
        return assertInstanceOf(FindGone.class, out.send().get(0).message());
    }

    @SuppressWarnings("unchecked")
    private static FenceCore.RegistrationFenced<String> end(LinkOut<String> out) {
        assertEquals(1, out.toSelf().size(), String.valueOf(out));
        return (FenceCore.RegistrationFenced<String>) assertInstanceOf(FenceCore.RegistrationFenced.class,
                out.toSelf().get(0));
    }

    @SuppressWarnings("unchecked")
    private static int reservations(PartitionedLedger l) throws ReflectiveOperationException {
        var f = PartitionedLedger.class.getDeclaredField("reservations");
        f.setAccessible(true);
        return ((Map<Long, ?>) f.get(l)).size();
    }

    /**
     * A FindGone never answered: the ask is sent again until a quarter of the acquire timeout, then the registration
     * ends naming what is known (d), with its reservation — released by the second decision, which answers.
     * Catches: GoneNamesCore.tick not expiring a registration's walk (never answered, its reservation held for ever);
     * RegistrationFenced.naming dropping the reservations (held for ever: the callee exported for ever); fenced not
     * releasing them.
     */
    @Test
    void aRegistrationWhoseGoneNamesAreNeverAnsweredEndsAtTheDeadlineAndReleasesItsReservation()
            throws ReflectiveOperationException {
        LinkOut.NameGone<String> names = walkedToNames();
        assertEquals(List.of(D), names.known());
        assertEquals(1, reservations(p.a), "y's callee b reserved while the names are looked up");
        FindGone ask = onlyFindGone(p.namesA.name(names, LOCAL));
        assertEquals(ask.hashes(), onlyFindGone(p.namesA.tick(LOCAL + TIMEOUT / 4 - 1)).hashes(), "asked again");
        var fenced = end(p.namesA.tick(LOCAL + TIMEOUT / 4));
        Registered r = p.answer(p.journalA.run(p.a, p.registrationsA.fenced(p.a, fenced, h -> true, NOW, LOCAL)));
        assertEquals(List.of(Y), r.rejected());
        assertEquals(List.of(D), r.goneCallees());
        assertEquals(0, reservations(p.a), "released");
        assertEquals(LinkOut.none(), p.namesA.tick(LOCAL + TIMEOUT), "ended once");
    }

    /**
     * GoneFound from a partition not asked (B, though A asked itself), from no partition, duplicated, or late: only the
     * asked partition's answer ends the walk, and once. Catches: a walk matched by id alone (an answer of the wrong
     * partition ends it, naming what that partition says); a duplicate sending the registration's end twice (a second
     * RegistrationWalked: its second decision writes the batch again, and releases nothing twice only by luck).
     */
    @Test
    void onlyTheAskedPartitionsAnswerEndsTheWalkAndOnlyOnce() {
        FindGone ask = onlyFindGone(p.namesA.name(walkedToNames(), LOCAL));
        GoneWalk.Found found = p.a.goneBelow(ask.hashes());
        assertEquals(List.of(D), found.gone(), "A names d gone (unknown here)");
        assertEquals(List.of(), p.namesA.onGoneFound(new GoneFound(ask.walk(), 1, ask.hashes(), found)).toSelf(),
                "B was not asked");
        assertEquals(List.of(), p.namesA.onGoneFound(new GoneFound(ask.walk(), 9, ask.hashes(), found)).toSelf(),
                "no partition 9");
        GoneFound right = p.namesA.onFindGone(p.a, ask).send().stream().map(s -> (GoneFound) s.message())
                .findFirst().orElseThrow();
        var fenced = end(p.namesA.onGoneFound(right));
        assertEquals(List.of(D), List.copyOf(fenced.goneCallees()));
        assertEquals(LinkOut.none(), p.namesA.onGoneFound(right), "a duplicate ends nothing");
        assertEquals(LinkOut.none(), p.namesA.tick(LOCAL + TIMEOUT), "nor does the deadline");
    }

    /**
     * A restart forgets the walk (GoneNamesCore.recovered): no end at the deadline, a late answer ends nothing. The
     * reservation was the old ledger's (soft state, rebuilt empty by the recovery) and the conductor answers the share
     * retry at its gather timeout. Catches: recovered not clearing the walks (an end for a registration the new
     * instance never decided: its second decision would write a batch whose walk recorded nothing for the new instance).
     */
    @Test
    void aRestartForgetsTheWalkAndALateAnswerEndsNothing() {
        FindGone ask = onlyFindGone(p.namesA.name(walkedToNames(), LOCAL));
        p.namesA.recovered();
        GoneFound late = (GoneFound) p.namesA.onFindGone(p.a, ask).send().get(0).message();
        assertEquals(LinkOut.none(), p.namesA.onGoneFound(late));
        assertEquals(LinkOut.none(), p.namesA.tick(LOCAL + TIMEOUT));
    }

    /**
     * The registration's names capped at 1,000, the deepest first: a gone hop d with 1,500 gone blobs found below it
     * (in the order of a breadth-first answer, the deepest last); the answer names 1,000, starting with the last found.
     * Catches: no cap (an answer over the remote frame, dropped: never answered); the cap keeping the first 1,000 of
     * the top-down list (the hop and the shallowest, none uploadable at once).
     */
    @Test
    void theRegistrationsNamesAreCappedTheDeepestFirst() {
        FindGone ask = onlyFindGone(p.namesA.name(walkedToNames(), LOCAL));
        List<BlobHash> below = new ArrayList<>();
        for (int i = 0; i < 1_500; i++) below.add(Review31bTest.h("g" + i));
        List<BlobHash> found = new ArrayList<>(List.of(D));
        found.addAll(below);
        var fenced = end(p.namesA.onGoneFound(new GoneFound(ask.walk(), 0, ask.hashes(),
                new GoneWalk.Found(found, Map.of()))));
        Registered r = p.answer(p.journalA.run(p.a, p.registrationsA.fenced(p.a, fenced, h -> true, NOW, LOCAL)));
        assertEquals(1_000, r.goneCallees().size());
        assertEquals(below.get(1_499), r.goneCallees().get(0), "the deepest first");
        assertTrue(below.subList(500, 1_500).containsAll(r.goneCallees()));
    }

    /**
     * e451bd7 removed poll's check that a clean poll kept the cut, arguing that cutClean implies the cut is current
     * (allocateCut keeps it). Random polls of two partitions (generations, warming, inputs, answered cuts around the
     * round's, cut marks, missing answers): whenever a poll's answers are cutClean, the poll leaves queryCut as it was,
     * or moves it one past by the epoch it returns; and an epoch follows only two clean polls in a row with the same
     * cut and marks. Catches: allocateCut allocating a new cut on a clean poll (the dropped check was then needed: a
     * double collect whose second answers were on a replaced cut); an epoch on one clean poll.
     */
    @Test
    void aCleanPollNeverMovesTheCutAndAnEpochNeedsTwoCleanPollsAlike() {
        java.util.Random rnd = new java.util.Random(32);
        int epochs = 0;
        for (int run = 0; run < 2_000; run++) {
            io.blobgc.ledger.SettleRound round = new io.blobgc.ledger.SettleRound(2);
            Map<Integer, io.blobgc.ledger.SettleStatus> before = null;
            boolean cleanBefore = false;
            for (int step = 0; step < 30; step++) {
                long cut = round.queryCut();
                Map<Integer, io.blobgc.ledger.SettleStatus> statuses = new java.util.TreeMap<>();
                for (int q = 0; q < 2; q++) {
                    if (rnd.nextInt(12) == 0) continue;
                    long answeredCut = rnd.nextInt(6) == 0 ? Math.max(0, cut + rnd.nextInt(3) - 1) : cut;
                    long mark = 1 + rnd.nextInt(2);
                    statuses.put(q, new io.blobgc.ledger.SettleStatus(q, rnd.nextInt(8) == 0 ? 1 : 0,
                            rnd.nextInt(6) != 0, rnd.nextInt(6) != 0, Map.of(), Map.of(), false, answeredCut,
                            Map.of(1 - q, mark), Map.of(1 - q, rnd.nextInt(8) == 0 ? mark + 1 : mark), rnd.nextInt(8) == 0));
                }
                // make the marks match across the pair most of the time
                if (statuses.size() == 2 && rnd.nextBoolean()) {
                    var s0 = statuses.get(0);
                    var s1 = statuses.get(1);
                    statuses.put(1, new io.blobgc.ledger.SettleStatus(1, s1.generation(), s1.warming(),
                            s1.haveAllInputs(), Map.of(), Map.of(), false, s1.cut(), Map.of(0, s0.cutAppliedFrom(1)),
                            Map.of(0, s0.cutSentTo(1)), s1.cutDirty()));
                }
                boolean clean = round.cutClean(statuses);
                var epoch = round.poll(statuses);
                if (epoch.isPresent()) {
                    epochs++;
                    assertTrue(clean && cleanBefore, "an epoch on two clean polls only");
                    assertEquals(before.values().stream().map(x -> x.cut() + "/" + x.cutSent() + x.cutApplied()).toList(),
                            statuses.values().stream().map(x -> x.cut() + "/" + x.cutSent() + x.cutApplied()).toList(),
                            "the same cut marks twice");
                    assertEquals(cut + 1, round.queryCut(), "spent by the epoch");
                } else if (clean) {
                    assertEquals(cut, round.queryCut(), "a clean poll keeps the cut");
                }
                before = statuses;
                cleanBefore = clean && epoch.isEmpty();
            }
        }
        assertTrue(epochs > 0, "some runs settle: " + epochs);
    }
}
