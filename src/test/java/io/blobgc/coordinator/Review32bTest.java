package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator.FindGone;
import io.blobgc.coordinator.Coordinator.GoneFound;
import io.blobgc.coordinator.Coordinator.Protect;
import io.blobgc.coordinator.Coordinator.Protected;
import io.blobgc.coordinator.LinksCore.Send;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.Registration;
import io.blobgc.ledger.TwoPartitions;
import io.blobgc.protocol.ReporterProtocol.Registered;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review 32b (adversarial, of 508782d, 89af854, 012772d, 525bccf, e451bd7): each test failed on 2b5acb7, fixed
 * since.
 * Pair: two linked partitions whose cores (FenceCore, GoneNamesCore, LinkedRegistrationCore) are driven by hand.
 */
class Review32bTest {

    static final long TIMEOUT = 8_000, NOW = 1_000, LOCAL = 5_000;

    /** Two linked partitions, carried by hand: A (0) and B (1), each with its cores and its journal. */
    static final class Pair {
        final CoordinatorCore core = new CoordinatorCore(false);
        final FenceCore<String> fenceA = new FenceCore<>(EntityLink.partition(0, 2), TIMEOUT, 100);
        final FenceCore<String> fenceB = new FenceCore<>(EntityLink.partition(1, 2), TIMEOUT, 200);
        final GoneNamesCore<String> namesA = new GoneNamesCore<>(EntityLink.partition(0, 2), TIMEOUT, 300);
        final GoneNamesCore<String> namesB = new GoneNamesCore<>(EntityLink.partition(1, 2), TIMEOUT, 400);
        final TestJournal journalA = new TestJournal(TwoPartitions.SETTINGS);
        final TestJournal journalB = new TestJournal(TwoPartitions.SETTINGS);
        final PartitionedLedger a, b;
        final LinkedRegistrationCore<String> registrationsA;

        Pair(List<Registration> atA, List<Registration> atB) {
            a = TwoPartitions.hosted(0, atA, 0, false, NOW);
            b = TwoPartitions.hosted(1, atB, 0, false, NOW);
            a.report(NodeReport.full("n1", 1, 1, List.of(), List.of()), NOW);
            b.report(NodeReport.full("n1", 1, 1, List.of(), List.of()), NOW);
            LinksCore linksA = new LinksCore(EntityLink.partition(0, 2)), linksB = new LinksCore(EntityLink.partition(1, 2));
            for (Send s : linksA.flush(a, LOCAL)) linksB.onExport(b, (Coordinator.PartitionExport) s.message(), LOCAL);
            for (Send s : linksB.flush(b, LOCAL)) linksA.onExport(a, (Coordinator.PartitionExport) s.message(), LOCAL);
            registrationsA = new LinkedRegistrationCore<>(core, fenceA);
        }

        /**
         * Delivers every message of {@code out} (sent by partition {@code from}) and of what they cause, by hand, until
         * nothing is in flight; returns what the entity A sends itself and answers, gathered.
         */
        List<LinkOut<String>> deliver(LinkOut<String> first) {
            List<LinkOut<String>> atA = new ArrayList<>();
            List<LinkOut<String>> todoA = new ArrayList<>(List.of(first)); // outs of A
            List<LinkOut<String>> todoB = new ArrayList<>();
            for (int guard = 0; guard < 100 && !(todoA.isEmpty() && todoB.isEmpty()); guard++) {
                List<LinkOut<String>> nextA = new ArrayList<>(), nextB = new ArrayList<>();
                for (LinkOut<String> o : todoA) {
                    atA.add(o);
                    for (LinkOut.NameGone<String> n : o.names()) nextA.add(namesA.name(n, LOCAL));
                    for (Send s : o.send()) (s.to() == 0 ? nextA : nextB).add(receive(s.to(), s.message()));
                }
                for (LinkOut<String> o : todoB) {
                    for (LinkOut.NameGone<String> n : o.names()) nextB.add(namesB.name(n, LOCAL));
                    for (Send s : o.send()) (s.to() == 0 ? nextA : nextB).add(receive(s.to(), s.message()));
                }
                todoA = nextA;
                todoB = nextB;
            }
            return atA;
        }

        LinkOut<String> receive(int at, Object m) {
            PartitionedLedger l = at == 0 ? a : b;
            FenceCore<String> f = at == 0 ? fenceA : fenceB;
            GoneNamesCore<String> g = at == 0 ? namesA : namesB;
            TestJournal j = at == 0 ? journalA : journalB;
            if (m instanceof Protect p) return j.run(l, f.protect(l, p, NOW, LOCAL));
            if (m instanceof Protected p) return f.answered(l, p);
            if (m instanceof FindGone fg) return g.onFindGone(l, fg);
            if (m instanceof GoneFound gf) return g.onGoneFound(gf);
            throw new AssertionError("unexpected " + m);
        }

        @SuppressWarnings("unchecked")
        static FenceCore.RegistrationFenced<String> fenced(List<LinkOut<String>> outs) {
            List<FenceCore.SelfMessage<String>> self = new ArrayList<>();
            for (LinkOut<String> o : outs) self.addAll(o.toSelf());
            assertEquals(1, self.size(), "one end of the saga: " + self);
            return (FenceCore.RegistrationFenced<String>) assertInstanceOf(FenceCore.RegistrationFenced.class, self.get(0));
        }

        Registered answer(LinkOut<String> out) {
            assertEquals(1, out.answers().size(), String.valueOf(out.answers()));
            return assertInstanceOf(Registered.class, out.answers().get(0).reply());
        }
    }

    /**
     * Wrong names: a linked registration's answer names, as a gone callee to upload again, a blob the same answer
     * accepts. y(A) → b(B) → d(A), d collected (here: pruned, unknown to A); the VM uploads d again with y, in one
     * request (d and y are A's share: one level). The first decision accepts d and y (b is remote); nothing is written
     * before the walk, so the walk's hop d, asked of A, is gone; y falls — and the answer names d in goneCallees while
     * it lists d as accepted. Registrations.goneCallees says "those the batch registers are left out"; the merge in
     * LinkedRegistrationCore.fenced (and the names 89af854 adds below the gone hops) does not leave them out. The VM
     * uploads d a third time for nothing (and, past 1,000 names, the accepted ones crowd out what is really gone).
     */
    @Test
    void aLinkedRefusalNamesNoBlobTheSameAnswerAccepts() {
        BlobHash y = TwoPartitions.in(0, 1), d = TwoPartitions.in(0, 2), d2 = TwoPartitions.in(0, 3),
                bb = TwoPartitions.in(1, 1);
        Pair p = new Pair(List.of(), List.of(new Registration(bb, List.of(d))));
        List<Registration> batch = List.of(Registration.of(d2), new Registration(d, List.of(d2)),
                new Registration(y, List.of(bb)));
        LinkOut<String> started = p.journalA.run(p.a, p.registrationsA.register(p.a, batch, h -> true, "vm", NOW, LOCAL));
        var fenced = Pair.fenced(p.deliver(started));
        Registered r = p.answer(p.journalA.run(p.a, p.registrationsA.fenced(p.a, fenced, h -> true, NOW, LOCAL)));
        Set<BlobHash> both = new HashSet<>(r.accepted());
        both.retainAll(r.goneCallees());
        assertEquals(Set.of(), both, "accepted and named gone at once: " + r);
    }

    /**
     * Liveness of the names (89af854): a linked registration's share now waits for its gone hops' names after its
     * walks, up to a quarter of the acquire timeout more — past the walks' deadline (half of it), which is all the
     * conductor waits for a level's share at the defaults (PartitionAsks: half the ask timeout, 5 s; the walks: half
     * the acquire timeout, 5 s). y(A) → b(B), b collected and pruned: B answers the walk's Protect gone late (resends,
     * at 3/8 of the timeout), then does not answer the FindGone (it is moving). The registration ends only at 5/8 of
     * the timeout — 6.25 s at the defaults, 1.25 s after the conductor answered the whole share "retry" and dropped
     * this answer: the refusal and its names, the point of 89af854, are lost exactly when a partition is slow, and the
     * reservation is held 2.5 s longer for nothing. Before 89af854 it ended when the walk did (3/8). Low: the VM is
     * answered (retry) and uploads again.
     */
    @Test
    void aLinkedRegistrationEndsWithinItsWalksDeadlineWhateverItsNamesWait() {
        BlobHash y = TwoPartitions.in(0, 1), bb = TwoPartitions.in(1, 1);
        Pair p = new Pair(List.of(), List.of());
        LinkOut<String> started = p.journalA.run(p.a, p.registrationsA.register(p.a,
                List.of(new Registration(y, List.of(bb))), h -> true, "vm", NOW, LOCAL));
        assertEquals(1, started.send().size());
        Protect ask = assertInstanceOf(Protect.class, started.send().get(0).message());
        Protected gone = (Protected) p.receive(1, ask).send().get(0).message();
        assertEquals(List.of(bb), gone.outcome().gone());
        long late = LOCAL + 3 * TIMEOUT / 8; // within the walk's deadline, LOCAL + TIMEOUT / 2
        LinkOut<String> walked = p.fenceA.answered(p.a, gone);
        assertEquals(1, walked.names().size(), "the gone hop to name: " + walked);
        LinkOut<String> asked = p.namesA.name(walked.names().get(0), late);
        assertInstanceOf(FindGone.class, asked.send().get(0).message()); // B never answers
        long deadline = LOCAL + TIMEOUT / 2;
        List<FenceCore.SelfMessage<String>> ends = new ArrayList<>();
        for (long t = late; t <= deadline; t += TIMEOUT / 8) {
            ends.addAll(p.fenceA.tick(p.a, t).toSelf());
            ends.addAll(p.namesA.tick(t).toSelf());
        }
        assertEquals(1, ends.size(), "the registration ended by its walks' deadline (the conductor's gather at the "
                + "defaults); it ends at " + firstEnd(p, deadline));
    }

    private static long firstEnd(Pair p, long from) {
        for (long t = from; t <= from + TIMEOUT; t += TIMEOUT / 8) {
            if (!p.namesA.tick(t).toSelf().isEmpty()) return t - LOCAL;
        }
        return -1;
    }

    /**
     * Wrong names (525bccf): the GONE of an acquire over a gone closure of more than 1,000 names "the deepest, which a
     * VM can upload at once" — the last 1,000 of a breadth-first list. In a DAG that is not the deepest: x → a, x → m,
     * m → b_1 … b_1500, each b_i → a, all collected. Breadth first from x lists a among the first three (a callee of
     * x), so the last 1,000 are b_i's, each above a, which is not named: not one of them can be uploaded at once (each
     * registration is refused for its gone callee a), and the VM spends a round of 1,000 refused uploads before a
     * refusal names a. (The registration's cap, "deepest first" by reversing the same kind of list, has the same
     * gap.) Converges a round later: liveness cost, not safety.
     */
    @Test
    void aGoneAnswerCappedAtATousandNamesBlobsWhoseGoneCalleesItLeavesOut() {
        BlobHash x = Review31bTest.h("x"), aa = Review31bTest.h("a"), m = Review31bTest.h("m");
        List<Registration> regs = new ArrayList<>(List.of(Registration.of(aa)));
        List<BlobHash> bs = new ArrayList<>();
        List<BlobHash> gone = new ArrayList<>(List.of(aa, m, x));
        for (int i = 1; i <= 1_500; i++) {
            BlobHash bi = Review31bTest.h("b" + i);
            regs.add(new Registration(bi, List.of(aa)));
            bs.add(bi);
            gone.add(bi);
        }
        regs.add(new Registration(m, bs));
        regs.add(new Registration(x, List.of(aa, m)));
        PartitionedLedger l = Review31bTest.ledgerWith(regs, gone);
        CoordinatorCore core = new CoordinatorCore(false);
        core.recovered(l, null, Review31bTest.NOW);
        var r = TestJournal.runAlone(l, core.acquire(l, "n1", 1, 0, x, Review31bTest.NOW, 0));
        assertEquals(io.blobgc.protocol.ReporterProtocol.AcquireResult.GONE, r.result());
        assertEquals(1_000, r.gone().size());
        Set<BlobHash> named = new HashSet<>(r.gone());
        List<BlobHash> notUploadable = r.gone().stream()
                .filter(h -> l.goneInClosure(h).stream().anyMatch(g -> !g.equals(h) && !named.contains(g))).toList();
        assertTrue(notUploadable.size() < r.gone().size(), "not one of the " + r.gone().size()
                + " named can be uploaded at once: each has a gone callee left out (a named: " + named.contains(aa)
                + ", a at " + l.goneInClosure(x).indexOf(aa) + " of " + l.goneInClosure(x).size() + ")");
    }
}
