package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator.Protect;
import io.blobgc.coordinator.Coordinator.Protected;
import io.blobgc.coordinator.LinksCore.Level;
import io.blobgc.coordinator.LinksCore.Send;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.Registration;
import io.blobgc.ledger.TwoPartitions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A linked partition entity's decisions on the fence across partitions ({@link FenceCore}), with no actor system: B
 * (partition 1) hosted alone, owning c and e, asked by A's (partition 0) walks. The test carries a decision out as the
 * glue and the simulation do ({@link TestJournal#run}): its events applied first, then its reply function.
 */
class FenceCoreTest {

    private static final BlobHash X = TwoPartitions.in(0, 1), C = TwoPartitions.in(1, 1), E = TwoPartitions.in(1, 2);
    /** x (A's) calls c; c and e registered. */
    private static final List<Registration> REGISTERED = List.of(Registration.of(C), Registration.of(E),
            new Registration(X, List.of(C)));

    private final long now = 1_000, localNow = 5_000;
    private final FenceCore<Object> coreB = new FenceCore<>(EntityLink.partition(1, 2), 8_000, 1);
    private final TestJournal journal = new TestJournal(TwoPartitions.SETTINGS);
    /** B, never restored (it may answer without a takeover). */
    private final PartitionedLedger b = TwoPartitions.hosted(1, REGISTERED, 0, false, now);

    /**
     * B after one cycle that heard from n1 and from A (its exports through {@link LinksCore}): e, held by nothing,
     * waits out its grace.
     */
    FenceCoreTest() {
        PartitionedLedger a = TwoPartitions.hosted(0, REGISTERED, 0, false, now);
        a.report(NodeReport.full("n1", 1, 1, List.of(), List.of()), now);
        LinksCore linksB = new LinksCore(EntityLink.partition(1, 2));
        for (Send s : new LinksCore(EntityLink.partition(0, 2)).flush(a, localNow)) {
            linksB.onExport(b, (Coordinator.PartitionExport) s.message(), localNow);
        }
        b.report(NodeReport.full("n1", 1, 1, List.of(), List.of()), now);
        TestJournal.runAlone(b, new CoordinatorCore(false).partitionCycle(b, 1, false, now, localNow));
        assertEquals(java.util.Optional.of(io.blobgc.ledger.BlobStatus.UNREFERENCED), b.status(E));
    }

    private static Protect protect(long walk, List<BlobHash> hashes, boolean used) {
        return new Protect(walk, 0, 0, 1, 0, hashes, used);
    }

    /** The one Protected {@code out} sends, to partition A. */
    private static Protected answerToA(LinkOut<Object> out) {
        assertEquals(1, out.send().size(), String.valueOf(out.send()));
        Send s = out.send().get(0);
        assertEquals(0, s.to(), "answered to the asking partition");
        return assertInstanceOf(Protected.class, s.message());
    }

    @Test
    void aUseOfBlobsInGraceIsTheDecisionsEventAndItsAnswerComesOnlyFromTheReplyAfterIt() {
        var d = coreB.protect(b, protect(7, List.of(E), true), now, localNow);
        // the decision's own part is the write: the use of e (in grace), and nothing else
        assertEquals(List.of(new Coordinator.BlobsUsed(List.of(E), now)), d.events());
        // the reply function runs once the events are applied: it alone sends the answer
        List<String> order = new ArrayList<>();
        LinkOut<Object> out = journal.run(b, new CoordinatorCore.Decision<>(d.events(), st -> {
            order.add("reply after " + journal.events.size() + " event(s) written");
            return d.reply().apply(st);
        }));
        assertEquals(List.of("reply after 1 event(s) written"), order);
        assertEquals(d.events(), journal.events);
        Protected p = answerToA(out);
        assertEquals(7, p.walk());
        assertEquals(1, p.from());
        assertEquals(List.of(E), p.outcome().recorded(), "e recorded in A's view while deciding");
        assertEquals(List.of(E), p.outcome().inGrace(), "the answer names the use it waited for");
        assertEquals(List.of(), out.logs());
        assertTrue(b.info(E).orElseThrow().referencedBy().contains("partition:0"), "e held for A: " + b.info(E));
    }

    @Test
    void aProtectThatIsNoUseWritesNothingAndIsAnsweredAtOnce() {
        var d = coreB.protect(b, protect(8, List.of(C), false), now, localNow);
        assertEquals(List.of(), d.events(), "nothing to write");
        Protected p = answerToA(d.reply().apply(b));
        assertEquals(List.of(C), p.outcome().recorded());
        assertEquals(List.of(), p.outcome().inGrace());
        assertTrue(b.info(C).orElseThrow().referencedBy().contains("partition:0"), "c held for A: " + b.info(C));
    }

    @Test
    void anAskOfAGoneOrForeignHashIsAnsweredGoneAndWritesNothing() {
        var d = coreB.protect(b, protect(9, List.of(X), true), now, localNow); // x is A's, not B's
        assertEquals(List.of(), d.events());
        Protected p = answerToA(d.reply().apply(b));
        assertEquals(List.of(X), p.outcome().gone());
        assertEquals(List.of(), p.outcome().recorded());
    }

    @Test
    void anInvalidProtectIsLoggedAndChangesNothing() {
        List<Protect> invalid = List.of(
                new Protect(1, -1, 0, 1, 0, List.of(C), true),   // no asker
                new Protect(1, 2, 0, 1, 0, List.of(C), true),    // no partition 2 of 2
                new Protect(1, 0, 1, 1, 0, List.of(C), true),    // on behalf of B itself
                new Protect(1, 0, 5, 1, 0, List.of(C), true),    // on behalf of no partition
                new Protect(1, 0, 0, 1, 0, null, true),
                new Protect(1, 0, 0, 1, 0, List.of(), true),
                new Protect(1, 0, 0, 1, 0, Arrays.asList(C, null), true));
        for (Protect m : invalid) {
            var d = coreB.protect(b, m, now, localNow);
            assertEquals(List.of(), d.events(), "nothing written for " + m);
            LinkOut<Object> out = d.reply().apply(b);
            assertEquals(List.of(), out.send(), "nothing answered to " + m);
            assertEquals(1, out.logs().size(), String.valueOf(out.logs()));
            assertEquals(Level.WARN, out.logs().get(0).level());
            assertEquals("ignored {}: {}", out.logs().get(0).format());
            assertEquals(m, out.logs().get(0).args()[0]);
        }
        assertFalse(b.info(C).orElseThrow().referencedBy().contains("partition:0"), "c recorded for nobody: "
                + b.info(C));
    }

    @Test
    void anEntityLinkedToNoOtherPartitionIgnoresEveryProtect() {
        FenceCore<Object> isolated = new FenceCore<>(EntityLink.isolated("partition 1 of 2"), 8_000, 1);
        var d = isolated.protect(b, protect(1, List.of(C), true), now, localNow);
        assertEquals(List.of(), d.events());
        LinkOut<Object> out = d.reply().apply(b);
        assertEquals(List.of(), out.send());
        assertEquals("partition 1 of 2 is linked to no other partition", out.logs().get(0).args()[1]);
        assertFalse(b.info(C).orElseThrow().referencedBy().contains("partition:0"));
    }

    @Test
    void theCoreAndItsOutcomeUseNoPekko() throws java.io.IOException {
        for (String name : List.of("FenceCore", "LinkOut")) {
            String source = java.nio.file.Files.readString(
                    java.nio.file.Path.of("src/main/java/io/blobgc/coordinator/" + name + ".java"));
            assertFalse(source.contains("org.apache.pekko"), name + " is plain Java: the simulation calls it");
        }
    }
}
