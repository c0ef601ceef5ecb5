package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.Register;
import io.blobgc.protocol.ReporterProtocol.Registered;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A linked partition's refusal names what to upload again across partitions, as its acquire's GONE does (review 31b's
 * last finding): x(0) → b(1) → b2(1), b live and b2 collected. The walk of x's registration finds b "gone" (its
 * closure is), and the refusal named b alone: the VM uploaded b, was refused again naming b2, and needed one more
 * round. Now the walk's gone hops are looked up below ({@link GoneNamesCore}) before the answer, which names b2.
 */
class LinkedRefusalNamesTest extends FencesReviewBase {

    @Test
    void aRefusalNamesTheGoneBlobBelowTheRemoteHopItsWalkFoundGone() throws IOException {
        seedGoneChain(false);
        BlobHash x = net.stored(0, "x");
        TestProbe<Registered> probe = net.kit.createTestProbe();
        net.entities.get(0).tell(new Register(List.of(new Registration(x, List.of(b))), probe.getRef()));
        Registered r = probe.expectMessageClass(Registered.class, Duration.ofSeconds(10));
        assertEquals(List.of(x), r.rejected(), String.valueOf(r));
        assertTrue(r.goneCallees().contains(b2), "names b2, gone below b: " + r.goneCallees());
        assertEquals(b2, r.goneCallees().get(0), "the deepest first: " + r.goneCallees());
    }
}
