package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.blobgc.coordinator.Review31bTest.NOW;
import static io.blobgc.coordinator.Review31bTest.h;
import static io.blobgc.coordinator.Review31bTest.ledgerWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An acquire answered GONE names what to upload again, and at most {@link Registrations#MAX_GONE_CALLEES} of it — the
 * deepest, which a VM can upload at once; the next GONE names the rest — so the answer fits one remote frame (the
 * reply to an acquire sent from another node). Before, a collected blob above a collected library of 50,000 blobs
 * was answered naming all 50,002: ~3.3 MB, over the 2 MiB frame, and the answer was dropped.
 */
class GoneAnswerBoundTest {

    @Test
    void aGoneAnswerOverAHugeGoneClosureNamesTheDeepestAndFitsOneRemoteFrame() {
        Review31bTest.GoneLibrary g = Review31bTest.goneLibrary(50_000);
        PartitionedLedger l = g.ledger();
        BlobHash c = g.c();
        List<BlobHash> leaves = g.leaves();
        CoordinatorCore core = new CoordinatorCore(false);
        core.recovered(l, null, NOW);

        AcquireReply r = TestJournal.runAlone(l, core.acquire(l, "n1", 1, 0, c, NOW, 0));
        assertEquals(AcquireResult.GONE, r.result());
        assertEquals(Registrations.MAX_GONE_CALLEES, r.gone().size(), "at most a frame's worth");
        assertTrue(leaves.containsAll(r.gone()), "the deepest: the leaves, uploadable at once");
        assertTrue(r.message().length() < 2_000, "the message names a few: " + r.message().length() + " chars");
        ActorTestKit kit = ActorTestKit.create("GoneAnswerBound");
        try {
            int bytes = SerializationExtension.get(kit.system().classicSystem()).serialize(r).get().length;
            assertTrue(bytes <= 2 * 1024 * 1024, "a GONE naming " + r.gone().size() + " blobs is " + bytes
                    + " bytes of CBOR: over the 2 MiB remote frame");
        } finally {
            kit.shutdownTestKit();
        }
    }

    @Test
    void aSmallGoneClosureIsNamedWholeInItsOrder() {
        BlobHash lib = h("lib"), c = h("c");
        PartitionedLedger l = ledgerWith(List.of(Registration.of(lib), new Registration(c, List.of(lib))),
                List.of(lib, c));
        CoordinatorCore core = new CoordinatorCore(false);
        core.recovered(l, null, NOW);
        AcquireReply r = TestJournal.runAlone(l, core.acquire(l, "n1", 1, 0, c, NOW, 0));
        assertEquals(List.of(c, lib), r.gone());
        assertTrue(r.message().contains(lib.toString()), r.message());
    }
}
