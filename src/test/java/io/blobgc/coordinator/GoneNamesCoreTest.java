package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator.FindGone;
import io.blobgc.coordinator.Coordinator.GoneFound;
import io.blobgc.ledger.GoneWalk;
import io.blobgc.ledger.TwoPartitions;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * The names an acquire answered GONE gives, across partitions ({@link GoneNamesCore}), with no actor system: A
 * (partition 0) knows x's gone g; b, B's, is gone with b2 below it.
 */
class GoneNamesCoreTest {
    private static final BlobHash X = TwoPartitions.in(0, 1), G = TwoPartitions.in(0, 2), B = TwoPartitions.in(1, 1),
            B2 = TwoPartitions.in(1, 2);
    private static final long TIMEOUT = 8_000, NOW = 10_000;

    private final GoneNamesCore<String> coreA = new GoneNamesCore<>(EntityLink.partition(0, 2), TIMEOUT, 1);

    /** The one FindGone {@code out} sends, to B. */
    private static FindGone askOfB(LinkOut<String> out) {
        assertEquals(1, out.send().size(), String.valueOf(out.send()));
        assertEquals(1, out.send().get(0).to());
        return assertInstanceOf(FindGone.class, out.send().get(0).message());
    }

    private static AcquireReply onlyAnswer(LinkOut<String> out) {
        assertEquals(1, out.answers().size(), String.valueOf(out.answers()));
        assertEquals("vm", out.answers().get(0).to());
        AcquireReply r = assertInstanceOf(AcquireReply.class, out.answers().get(0).reply());
        assertEquals(AcquireResult.GONE, r.result());
        return r;
    }

    @Test
    void theAnswerWaitsForTheOtherPartitionsAndNamesWhatItFoundBelow() {
        LinkOut<String> out = coreA.name(LinkOut.NameGone.acquire(X, List.of(G), Map.of(1, List.of(B)), "vm"), NOW);
        assertEquals(List.of(), out.answers(), "not answered before B");
        FindGone ask = askOfB(out);
        assertEquals(List.of(B), ask.hashes());
        assertEquals(0, ask.asker());

        LinkOut<String> invalid = coreA.onGoneFound(new GoneFound(ask.walk(), 5, List.of(B),
                new GoneWalk.Found(List.of(B), Map.of())));
        assertEquals(List.of(), invalid.answers(), "an answer from no partition is ignored");
        assertEquals(1, invalid.logs().size());

        AcquireReply r = onlyAnswer(coreA.onGoneFound(new GoneFound(ask.walk(), 1, List.of(B),
                new GoneWalk.Found(List.of(B, B2), Map.of()))));
        assertEquals(Set.of(G, B, B2), Set.copyOf(r.gone()));
        assertEquals(LinkOut.none(), coreA.onGoneFound(new GoneFound(ask.walk(), 1, List.of(B),
                new GoneWalk.Found(List.of(B, B2), Map.of()))), "a duplicate answer matches no walk");
    }

    @Test
    void unansweredTheAskIsSentAgainThenTheAnswerNamesWhatIsKnownAtAQuarterOfTheTimeout() {
        FindGone ask = askOfB(coreA.name(LinkOut.NameGone.acquire(X, List.of(G), Map.of(1, List.of(B)), "vm"), NOW));
        assertEquals(ask, askOfB(coreA.tick(NOW + TIMEOUT / 4 - 1)));
        LinkOut<String> late = coreA.tick(NOW + TIMEOUT / 4);
        assertEquals(List.of(G), onlyAnswer(late).gone());
        assertEquals(List.of(), late.send());
    }

    @Test
    void nothingToAskIsAnsweredAtOnce() {
        assertEquals(List.of(G), onlyAnswer(coreA.name(LinkOut.NameGone.acquire(X, List.of(G), Map.of(), "vm"), NOW))
                .gone());
    }
}
