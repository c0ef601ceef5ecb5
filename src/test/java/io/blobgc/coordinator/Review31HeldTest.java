package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.GoneWalk;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import io.blobgc.protocol.ReporterProtocol.Register;
import io.blobgc.protocol.ReporterProtocol.Registered;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review 31 (adversarial, of 1570659 and 8ad741e: a linked entity's GONE names the whole gone closure across
 * partitions): what held. Each test names the plausible mutation that would break it.
 */
class Review31HeldTest extends FencesReviewBase {

    /**
     * A cycle through three partitions: a(0, collected) → b(1) → c(2) → a, and c → d(3, collected). The walk asks
     * a again below c and stops there (each hash once), naming a, b (what 0 knew) and d. Mutation: GoneWalk without
     * its asked set (or asking a hash again when met from another partition) — the walk never ends and the acquire is
     * answered only at the deadline, or FindGones ping-pong until then.
     */
    @Test
    void aCycleThroughThreePartitionsEndsAndNamesWhatIsGone() {
        long now = System.currentTimeMillis();
        List<Coordinator.Event> zero = new ArrayList<>(List.of(registered(a, b)));
        zero.addAll(collected(a, now));
        net.seed(0, zero.toArray(Coordinator.Event[]::new));
        net.seed(1, registered(b, c));
        List<Coordinator.Event> three = new ArrayList<>(List.of(registered(d, null)));
        three.addAll(collected(d, now));
        net.seed(3, three.toArray(Coordinator.Event[]::new));
        net.seed(2, new Coordinator.BlobsRegistered(List.of(new Registration(c, List.of(a, d)))));
        startAll();
        assertGoneNaming(acquire(a), a, b, d); // d found: the walk ended (a deadline's answer would lack it)
        Set<List<BlobHash>> asked = new java.util.HashSet<>();
        net.told.stream().filter(m -> m instanceof Coordinator.FindGone)
                .forEach(m -> asked.add(((Coordinator.FindGone) m).hashes()));
        assertEquals(Set.of(List.of(b), List.of(c), List.of(a), List.of(d)), asked, "b, c, then a and d once each");
    }

    /**
     * A lost FindGone is sent again with the fences' tick, within the walk's deadline (a quarter of the acquire
     * timeout, ticks every eighth): the names are whole. Mutation: GoneNames.tick not resending the outstanding asks
     * (the answer at the deadline names a and b only, and the VM uploads them for ever).
     */
    @Test
    void aLostFindGoneIsAskedAgainAndTheNamesAreWhole() throws IOException {
        seedGoneChain(true);
        net.loseOnce(m -> m instanceof Coordinator.FindGone);
        assertGoneNaming(acquire(a), a, b, b2);
        assertTrue(net.told.stream().filter(m -> m instanceof Coordinator.FindGone).count() >= 2);
    }

    /**
     * Every FindGone lost (partition 1 moving for long): the acquire is still answered, GONE naming what partition 0
     * knew, before the reporter's own timeout. Mutation: no deadline in GoneNames.tick — the acquire is never
     * answered.
     */
    @Test
    void withEveryFindGoneLostTheAcquireIsAnsweredWithinTheReportersTimeout() throws IOException {
        seedGoneChain(true);
        net.lost = m -> m instanceof Coordinator.FindGone;
        long t0 = System.nanoTime();
        TestProbe<AcquireReply> probe = Review31Test.acquireAsync(net, a);
        AcquireReply reply = probe.expectMessageClass(AcquireReply.class, ACQUIRE_TIMEOUT);
        long ms = Duration.ofNanos(System.nanoTime() - t0).toMillis();
        assertGoneNaming(reply, a, b);
        assertTrue(ms < ACQUIRE_TIMEOUT.toMillis(), "answered at the quarter deadline (+ a tick): " + ms);
        probe.expectNoMessage(ACQUIRE_TIMEOUT.dividedBy(2));
    }

    /**
     * An acquire of a gone blob answered GONE after a walk writes nothing in any partition, and n1 holds nothing.
     * Mutation: the acquire recorded or its grace uses persisted before the gone check (the old order of the
     * fence's persist path).
     */
    @Test
    void aGoneAcquireWritesNothingAnywhereAndRecordsNoHold() throws IOException {
        seedGoneChain(true);
        int[] before = new int[4];
        for (int p = 0; p < 4; p++) before[p] = net.kit.written(p).size();
        assertGoneNaming(acquire(a), a, b, b2);
        for (int p = 0; p < 4; p++) {
            assertEquals(before[p], net.kit.written(p).size(), "partition " + p + " wrote " + net.kit.written(p));
        }
        assertFalse(net.info(a).referencedBy().contains("n1"), String.valueOf(net.info(a)));
        assertFalse(net.heldFor(b, 0), "b held for partition 0 by a GONE acquire");
        assertEquals(BlobStatus.COLLECTED, net.info(a).status());
    }

    /**
     * Forged or mismatched answers to a walk in flight change nothing: one from a partition not asked, one to another
     * walk id, one naming hashes not asked, one naming a partition that does not exist; a right one delivered twice
     * answers once. Mutation: matching answers by
     * walk id alone (the forged d would be named), or not removing a done walk (a second reply).
     */
    @Test
    void mismatchedAnswersChangeNothingAndADuplicateAnswersOnce() {
        startWithACollected(System.currentTimeMillis());
        net.lost = m -> m instanceof Coordinator.FindGone;
        TestProbe<AcquireReply> probe = Review31Test.acquireAsync(net, a);
        long walk = Review31Test.firstWalk(net);
        var forged = new GoneWalk.Found(List.of(d), Map.of());
        var e0 = net.entities.get(0);
        e0.tell(new Coordinator.GoneFound(walk, 2, List.of(b), forged));
        e0.tell(new Coordinator.GoneFound(walk + 1, 1, List.of(b), forged));
        e0.tell(new Coordinator.GoneFound(walk, 1, List.of(b, c), forged));
        e0.tell(new Coordinator.GoneFound(walk, 1, null, forged));
        e0.tell(new Coordinator.GoneFound(walk, 1, List.of(b), null));
        // a remote callee of no partition (7 at P = 4): ignored whole, as sharding would start no entity "7"
        e0.tell(new Coordinator.GoneFound(walk, 1, List.of(b), new GoneWalk.Found(List.of(d), Map.of(7, List.of(d)))));
        e0.tell(new Coordinator.GoneFound(walk, 1, List.of(b), new GoneWalk.Found(List.of(c), Map.of())));
        AcquireReply reply = probe.expectMessageClass(AcquireReply.class, ACQUIRE_TIMEOUT);
        assertGoneNaming(reply, a, b, c);
        e0.tell(new Coordinator.GoneFound(walk, 1, List.of(b), new GoneWalk.Found(List.of(c), Map.of())));
        probe.expectNoMessage(ACQUIRE_TIMEOUT.dividedBy(2));
        net.kit.assertAlive(e0);
    }

    /**
     * A remote callee two hops away that its owner does not know (a pruned tombstone, or never registered) is named:
     * the owner names an unknown asked hash as gone. Mutation: goneBelow calling localGoneInClosure(h, true) (as the
     * acquired blob is asked) — x left out, and the VM uploads a and b for ever.
     */
    @Test
    void anUnknownRemoteCalleeTwoHopsAwayIsNamed() throws IOException {
        BlobHash x = net.stored(2, "x"); // content written, never registered: no tombstone in partition 2
        long now = System.currentTimeMillis();
        List<Coordinator.Event> zero = new ArrayList<>(List.of(registered(a, b)));
        zero.addAll(collected(a, now));
        net.seed(0, zero.toArray(Coordinator.Event[]::new));
        net.seed(1, registered(b, x));
        net.seed(2);
        net.seed(3);
        startAll();
        assertGoneNaming(acquire(a), a, b, x);
    }

    /**
     * A gone blob that is DELETING (its partition's deletion started, not confirmed) below a remote callee is named
     * like a COLLECTED one. Mutation: goneBelow naming COLLECTED (or unknown) blobs only.
     */
    @Test
    void aDeletingBlobBelowARemoteCalleeIsNamed() throws IOException {
        long now = System.currentTimeMillis();
        b2 = net.stored(1, "b2");
        List<Coordinator.Event> zero = new ArrayList<>(List.of(registered(a, b)));
        zero.addAll(collected(a, now));
        net.seed(0, zero.toArray(Coordinator.Event[]::new));
        List<Coordinator.Event> one = new ArrayList<>(List.of(registered(b2, null), registered(b, b2)));
        one.addAll(collected(b2, now).subList(0, 2)); // marked, deletion started: DELETING
        net.seed(1, one.toArray(Coordinator.Event[]::new));
        net.seed(2);
        net.seed(3);
        startAll();
        assertGoneNaming(acquire(a), a, b, b2);
    }

    /**
     * The VM's loop converges: told GONE, it uploads what the answer names — here in the worst order, callers first,
     * each registration to its owner with its callees — and acquires again, until ACQUIRED. Both shapes of the
     * review-30 chain (a gone above b, and a there above b whose callee b2 is gone). Mutation: the names without the
     * walk (what partition 0 knows: a, b) — b2 never uploaded, every round the same.
     */
    @Test
    void aVmUploadingWhatGoneNamesCallersFirstConvergesToAcquired() throws IOException {
        seedGoneChain(true);
        Map<BlobHash, List<BlobHash>> deps = new HashMap<>(Map.of(a, List.of(b), b, List.of(b2), b2, List.of()));
        List<String> rounds = new ArrayList<>();
        for (int round = 0; round < 8; round++) {
            AcquireReply r = acquire(a);
            rounds.add(r.result() + " " + r.gone());
            if (r.result() == AcquireResult.ACQUIRED) break;
            List<BlobHash> named = new ArrayList<>(r.gone());
            if (round % 2 == 1) Collections.reverse(named);
            for (BlobHash h : named) {
                TestProbe<Registered> probe = net.kit.createTestProbe();
                net.entities.get(net.partitioning.partitionOf(h)).tell(new Register(List.of(new Registration(h,
                        deps.get(h))), probe.getRef()));
                probe.expectMessageClass(Registered.class, Duration.ofSeconds(10));
            }
        }
        assertTrue(rounds.get(rounds.size() - 1).startsWith("ACQUIRED"), "rounds: " + rounds);
        assertTrue(rounds.size() <= 4, "rounds: " + rounds);
        for (BlobHash h : List.of(a, b, b2)) assertEquals(BlobStatus.ACTIVE, net.info(h).status(), h.toString());
    }

    /**
     * FindGone and GoneFound cross the wire as jackson-cbor and round-trip, the Found's partitions (integer map keys)
     * and its lists intact. Mutation: Found not CborSerializable, or its map keyed by something Jackson reads back as
     * strings (a TreeMap of String keys in GoneWalk.ask would throw ClassCastException).
     */
    @Test
    void findGoneAndGoneFoundRoundTripAsJacksonCbor() throws Exception {
        Serialization serialization = SerializationExtension.get(net.kit.system().classicSystem());
        List<Object> messages = List.of(new Coordinator.FindGone(-5, 2, List.of(a, b)),
                new Coordinator.GoneFound(Long.MAX_VALUE, 1, List.of(b), new GoneWalk.Found(List.of(c, d),
                        Map.of(0, List.of(a), 3, List.of(d, c)))));
        for (Object m : messages) {
            Serializer serializer = serialization.findSerializerFor(m);
            assertEquals("JacksonCborSerializer", serializer.getClass().getSimpleName());
            byte[] bytes = serialization.serialize(m).get();
            Object back = serialization.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, m))
                    .get();
            assertEquals(m, back);
            if (back instanceof Coordinator.GoneFound g) {
                for (Object key : g.found().below().keySet()) assertEquals(Integer.class, key.getClass());
            }
        }
    }

    /** Registers {@code h} with {@code callees} at its owner: the answer. */
    private Registered upload(BlobHash h, List<BlobHash> callees) {
        TestProbe<Registered> probe = net.kit.createTestProbe();
        net.entities.get(net.partitioning.partitionOf(h)).tell(new Register(List.of(new Registration(h, callees)),
                probe.getRef()));
        return probe.expectMessageClass(Registered.class, Duration.ofSeconds(10));
    }

    /**
     * A diamond over four partitions with gone blobs at two depths: a(0, collected) → b(1), c(2); b → e(3); c → e;
     * e(3, collected) → f(1, collected). The first GONE names a, b, c (what 0 knows), e and f (found by the walk:
     * e below both b and c, asked once); a VM uploading the names in the order given (callers first) converges to
     * ACQUIRED. Mutation: the walk not asking below a gone blob it met (f left out: e's registration refused for
     * ever).
     */
    @Test
    void aDiamondOverFourPartitionsIsNamedWholeAndTheVmConverges() throws IOException {
        BlobHash f = net.stored(1, "f");
        long now = System.currentTimeMillis();
        List<Coordinator.Event> zero = new ArrayList<>(List.of(new Coordinator.BlobsRegistered(List.of(
                new Registration(a, List.of(b, c))))));
        zero.addAll(collected(a, now));
        net.seed(0, zero.toArray(Coordinator.Event[]::new));
        List<Coordinator.Event> one = new ArrayList<>(List.of(registered(f, null), registered(b, d)));
        one.addAll(collected(f, now));
        net.seed(1, one.toArray(Coordinator.Event[]::new));
        net.seed(2, registered(c, d));
        List<Coordinator.Event> three = new ArrayList<>(List.of(registered(d, f)));
        three.addAll(collected(d, now));
        net.seed(3, three.toArray(Coordinator.Event[]::new));
        startAll();
        Map<BlobHash, List<BlobHash>> deps = Map.of(a, List.of(b, c), b, List.of(d), c, List.of(d), d, List.of(f),
                f, List.of());
        AcquireReply first = acquire(a);
        assertGoneNaming(first, a, b, c, d, f);
        List<String> rounds = new ArrayList<>(List.of(first.result() + " " + first.gone()));
        AcquireReply r = first;
        for (int round = 0; round < 6 && r.result() != AcquireResult.ACQUIRED; round++) {
            for (BlobHash h : r.gone()) upload(h, deps.get(h));
            r = acquire(a);
            rounds.add(r.result() + " " + r.gone());
        }
        assertEquals(AcquireResult.ACQUIRED, r.result(), "rounds: " + rounds);
        assertTrue(rounds.size() <= 5, "rounds: " + rounds);
    }

    /**
     * The asking entity restarted mid-walk: its walk is forgotten, an answer to it reaches the new instance and
     * changes nothing, the old acquire is never answered (the reporter's ask times out and it acquires again), and
     * the next acquire is named whole. Mutation: walk ids not random per instance (a restarted instance numbering
     * from the same start would take the old answer as its own walk's).
     */
    @Test
    void anAnswerToAWalkOfTheInstanceBeforeARestartChangesNothing() throws IOException {
        seedGoneChain(true);
        net.lost = m -> m instanceof Coordinator.FindGone;
        TestProbe<AcquireReply> old = Review31Test.acquireAsync(net, a);
        long walk = Review31Test.firstWalk(net);
        net.restart(0);
        net.told.clear();
        net.lost = m -> false;
        TestProbe<AcquireReply> next = Review31Test.acquireAsync(net, a);
        long walk2 = Review31Test.firstWalk(net);
        assertTrue(walk != walk2, "the new instance's walk id differs from the old one's");
        net.entities.get(0).tell(new Coordinator.GoneFound(walk, 1, List.of(b),
                new GoneWalk.Found(List.of(c), Map.of())));
        assertGoneNaming(next.expectMessageClass(AcquireReply.class, ACQUIRE_TIMEOUT), a, b, b2);
        old.expectNoMessage(ACQUIRE_TIMEOUT.dividedBy(2));
        net.kit.assertAlive(net.entities.get(0));
    }

    /**
     * An entity before its takeover drops FindGone and GoneFound (they are sent again, or answered at the deadline),
     * as the other peers' messages: a partition waiting for a conductor that never comes does not fill its stash
     * with them. The whole stashes them (and never gets any). Mutation: removing them from EntityGate.fromPeers.
     */
    @Test
    void findGoneAndGoneFoundAreDroppedBeforeAnEntitysTakeover() {
        EntityGate entity = new EntityGate(true);
        var find = new Coordinator.FindGone(1, 0, List.of(a));
        var found = new Coordinator.GoneFound(1, 1, List.of(a), new GoneWalk.Found(List.of(), Map.of()));
        assertEquals(EntityGate.Admission.DROP, entity.admit(find, false));
        assertEquals(EntityGate.Admission.DROP, entity.admit(found, false));
        assertEquals(EntityGate.Admission.HANDLE, entity.admit(find, true));
        assertEquals(EntityGate.Admission.STASH, new EntityGate(false).admit(found, false));
    }
}
