package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.Register;
import io.blobgc.protocol.ReporterProtocol.Registered;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review 31b (adversarial, of 7fd212c: {@code Registered.goneCallees}): the defects found, each failing on 7fd212c,
 * fixed since. One more is described in partitions-part2-plan (session 31), not here: a linked partition's refusal
 * names the live remote hop whose closure is gone (b), not the gone blob below it (b2); it converges a round later.
 */
class Review31bTest extends FencesReviewBase {

    static final long NOW = 1_700_000_000_000L;

    static BlobHash h(String s) {
        return BlobHash.sha256(s.getBytes());
    }

    /** A P = 1 ledger (recovered core) where {@code regs} are registered, then {@code gone} marked, deleted, collected. */
    static PartitionedLedger ledgerWith(List<Registration> regs, List<BlobHash> gone) {
        PartitionedLedger l = new PartitionedLedger(LedgerSettings.DEFAULTS);
        new CoordinatorCore(false).recovered(l, null, NOW);
        CoordinatorCore.apply(l, new Coordinator.BlobsRegistered(regs));
        List<CycleOutcome.MarkedBlob> marked = gone.stream().map(x -> new CycleOutcome.MarkedBlob(x, NOW)).toList();
        CoordinatorCore.apply(l, new Coordinator.CycleCompleted(new CycleOutcome(1, NOW, false, false, false, gone,
                List.of(), List.of(), List.of(), marked, List.of(), List.of(), List.of(), List.of(), 0), 0));
        CoordinatorCore.apply(l, new Coordinator.DeletionStarted(gone, NOW));
        CoordinatorCore.apply(l, new Coordinator.BlobsCollected(gone, NOW, 0));
        return l;
    }

    /** c → lib → n leaves, all collected: {@code ledger} (P = 1). */
    record GoneLibrary(PartitionedLedger ledger, BlobHash c, List<BlobHash> leaves) {
    }

    static GoneLibrary goneLibrary(int n) {
        List<Registration> regs = new ArrayList<>();
        List<BlobHash> leaves = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            BlobHash leaf = h("leaf" + i);
            leaves.add(leaf);
            regs.add(Registration.of(leaf));
        }
        BlobHash lib = h("lib"), c = h("c");
        regs.add(new Registration(lib, leaves));
        regs.add(new Registration(c, List.of(lib)));
        List<BlobHash> gone = new ArrayList<>(leaves);
        gone.add(lib);
        gone.add(c);
        return new GoneLibrary(ledgerWith(regs, gone), c, leaves);
    }

    /**
     * Cost (k × n): k registrations, each naming its own collected callee c_i, all of them above one collected library
     * of n leaves. The refusal check itself is O(1) per callee at P = 1 (c_i is COLLECTED: hasContentInClosure stops at
     * it), but goneBelow walks each c_i's whole gone closure (c_i, lib, n leaves) and copies it into the answer's set:
     * k × n = 1.44e8 visits, seconds to minutes of the coordinator's thread for one request (issue 20's bound). One
     * walk from all the gone callees (Ledger.goneInClosures, one visited set) costs k + n.
     */
    @Test
    void goneCalleesOfManyCallersSharingOneGoneLibraryAreFoundInOneWalk() {
        int k = 12_000, n = 12_000;
        List<Registration> regs = new ArrayList<>();
        List<BlobHash> gone = new ArrayList<>(), leaves = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            BlobHash leaf = h("leaf" + i);
            leaves.add(leaf);
            regs.add(Registration.of(leaf));
        }
        BlobHash lib = h("lib");
        regs.add(new Registration(lib, leaves));
        List<Registration> batch = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            BlobHash c = h("c" + i);
            regs.add(new Registration(c, List.of(lib)));
            gone.add(c);
            batch.add(new Registration(h("a" + i), List.of(c)));
        }
        gone.add(lib);
        gone.addAll(leaves);
        PartitionedLedger l = ledgerWith(regs, gone);
        CoordinatorCore core = new CoordinatorCore(false);
        core.recovered(l, null, NOW);
        long before = l.inClosureVisits();
        Registered r = (Registered) core.register(l, batch, x -> true, NOW).reply().apply(l);
        long visited = l.inClosureVisits() - before;
        assertTrue(visited <= 2L * (k + 1 + n), "k registrations over one shared gone closure of n visited " + visited
                + " blobs: linear, not k × n");
        assertEquals(k, r.rejected().size());
        assertEquals(Registrations.MAX_GONE_CALLEES, r.goneCallees().size(), "at most a frame's worth");
        assertTrue(leaves.containsAll(r.goneCallees()), "the deepest first: the leaves, uploadable at once");
    }

    /**
     * Size: the answer is bounded by nothing. One registration a → c, c collected above a collected library of 50,000
     * blobs: goneCallees names 50,002 hashes, ~3.3 MB of CBOR, over the 2 MiB remote frame
     * (pekko.remote.artery.advanced.maximum-frame-size): the reply to a Register sent from another node (the HTTP
     * edge, a conductor) is dropped as oversized, the asker times out, and the VM never learns what to upload (nor that
     * it was refused). Before 7fd212c the answer was bounded by the batch. A cap (callees-most first, as a VM uploads
     * them; the next refusal names the rest) would keep it in a frame and still converge.
     */
    @Test
    void aRefusalOverAHugeGoneClosureFitsOneRemoteFrame() {
        GoneLibrary g = goneLibrary(50_000);
        PartitionedLedger l = g.ledger();
        BlobHash c = g.c();
        assertEquals(BlobStatus.COLLECTED, l.status(c).orElseThrow());
        CoordinatorCore core = new CoordinatorCore(false);
        core.recovered(l, null, NOW);
        Registered r = (Registered) core.register(l, List.of(new Registration(h("a"), List.of(c))), x -> true, NOW)
                .reply().apply(l);
        assertEquals(List.of(h("a")), r.rejected());
        ActorTestKit kit = ActorTestKit.create("Review31bFrame");
        try {
            Serialization s = SerializationExtension.get(kit.system().classicSystem());
            int bytes = s.serialize(r).get().length;
            assertTrue(bytes <= 2 * 1024 * 1024, "Registered naming " + r.goneCallees().size()
                    + " gone callees is " + bytes + " bytes of CBOR: over the 2 MiB remote frame");
        } finally {
            kit.shutdownTestKit();
        }
    }

    /**
     * HTTP: a batch refused whole with one hash in {@code retry} answers 503 whose message drops goneCallees; one whose
     * rejected are all noContent answers 409 no_content, dropping them too (a blob without content that also declares
     * a gone callee). And in every refusal they are only prose in {@code message}: a JSON consumer of POST /v1/blobs
     * sees the goneCallees field only when something was accepted.
     */
    @Test
    void everyHttpRefusalCarriesTheGoneCallees() throws Exception {
        // both answers from Registrations.decide (P = 1): g collected; y's content not in the store and y → g
        BlobHash x = h("x"), y = h("y"), g = h("g");
        PartitionedLedger l = ledgerWith(List.of(Registration.of(g), Registration.of(x)), List.of(g));
        CoordinatorCore core = new CoordinatorCore(false);
        core.recovered(l, null, NOW);
        Registered noContent = (Registered) core.register(l, List.of(new Registration(y, List.of(g))), z -> false, NOW)
                .reply().apply(l);
        assertEquals(List.of(y), noContent.noContent());
        assertEquals(List.of(g), noContent.goneCallees());
        // a retry beside it (a hash a predecessor may still be deleting, InheritedWindow): the same decide, as built
        Registered withRetry = new Registered(List.of(), List.of(x, y), List.of(), List.of(x), List.of(g));
        var refused = Class.forName("io.blobgc.http.ErrorMapping").getDeclaredMethod("refused", Registered.class);
        refused.setAccessible(true);
        List<String> missing = new ArrayList<>();
        java.lang.reflect.Field named = Class.forName("io.blobgc.http.ApiError").getDeclaredField("goneCallees");
        named.setAccessible(true);
        for (Registered r : List.of(withRetry, noContent)) {
            RuntimeException error = (RuntimeException) refused.invoke(null, r);
            if (!List.of(g.toHex()).equals(named.get(error))) missing.add(error.getMessage());
        }
        assertEquals(List.of(), missing, "refusals whose answer drops the gone callee g");
    }

    /**
     * Names a blob the same answer accepted (low): live d → y (collected); one batch re-uploads y and registers a → d.
     * d is not in the batch, so its closure is judged on the state before the batch: a is refused and goneCallees names
     * y, which the same answer lists as accepted (content now). The refusal itself predates 7fd212c; the name is new
     * and self-contradictory. Fix: leave accepted hashes out of goneCallees (or judge d's closure after the batch).
     */
    @Test
    void aGoneCalleeReUploadedInTheSameBatchIsNotNamedGone() {
        BlobHash y = h("y"), d = h("d"), a = h("a");
        PartitionedLedger l = ledgerWith(List.of(Registration.of(y), new Registration(d, List.of(y))), List.of(y));
        CoordinatorCore core = new CoordinatorCore(false);
        core.recovered(l, null, NOW);
        Registered r = (Registered) core.register(l, List.of(Registration.of(y), new Registration(a, List.of(d))),
                x -> true, NOW).reply().apply(l);
        assertEquals(List.of(y), r.accepted());
        assertTrue(java.util.Collections.disjoint(r.accepted(), r.goneCallees()),
                "accepted " + r.accepted() + " and named gone " + r.goneCallees());
    }
}
