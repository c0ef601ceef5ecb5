package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.NodeReport;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.blobgc.coordinator.ExportsReviewHarness.TWO;
import static io.blobgc.coordinator.ExportsReviewHarness.eventually;
import static io.blobgc.coordinator.ExportsReviewHarness.pause;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Adversarial review of S1.4 (rev14): attacks on the linked partition entities that the code HOLDS (each passes on
 * main). Same fixture as {@link ExportsReviewTest}: A (0) owns x, B (1) owns c and d; x calls c.
 */
class ExportsReviewHeldTest {

    @TempDir
    Path storeRoot;
    private ExportsReviewHarness h;

    @BeforeEach
    void setUp() throws IOException {
        h = new ExportsReviewHarness("ExportsReviewHeldTest", storeRoot);
    }

    @AfterEach
    void tearDown() {
        h.close();
    }

    /**
     * Malformed link messages — a null report, partition numbers out of range, from itself, to another partition, a
     * report under another partition's reporter id, a null hash, chunks 0, a settle vector that is null, short, long or
     * holds nulls, asks from itself or out of range, an ask with a nonsense generation — are dropped (or harmless):
     * the entities stay up, c stays held for A, and cycles still run. DESIGN §6: bad input never crashes.
     */
    @Test
    void malformedLinkMessagesNeitherCrashNorChangeWhatIsHeld() {
        h.steadyWithXHeld();
        ActorRef<ToCoordinator> b = h.entities.get(1), a = h.entities.get(0);
        List<BlobHash> withNull = new ArrayList<>();
        withNull.add(null);
        NodeReport empty = NodeReport.full("partition:0", 99, 99, List.of(), List.of());
        b.tell(new Coordinator.PartitionExport(0, 1, 0, null));
        b.tell(new Coordinator.PartitionExport(5, 1, 0, empty));
        b.tell(new Coordinator.PartitionExport(-1, 1, 0, empty));
        b.tell(new Coordinator.PartitionExport(1, 1, 0, NodeReport.full("partition:1", 99, 99, List.of(), List.of())));
        b.tell(new Coordinator.PartitionExport(0, 0, 0, empty));
        b.tell(new Coordinator.PartitionExport(0, 1, 0, NodeReport.full("partition:1", 99, 99, List.of(), List.of())));
        b.tell(new Coordinator.PartitionExport(0, 1, 0, NodeReport.full("partition:0", 99, 99, withNull, List.of())));
        b.tell(new Coordinator.PartitionExport(0, 1, 0, new NodeReport("partition:0", 99, 99, NodeReport.Kind.FULL,
                List.of(), List.of(), List.of(), List.of(), 0, 0, true)));
        b.tell(new Coordinator.PartitionsSettled(null));
        b.tell(new Coordinator.PartitionsSettled(List.of(1)));
        b.tell(new Coordinator.PartitionsSettled(List.of(1, 2, 3)));
        b.tell(new Coordinator.PartitionsSettled(Arrays.asList(null, null)));
        b.tell(new Coordinator.ExportResend(1, 1));
        b.tell(new Coordinator.ExportResend(7, 1));
        b.tell(new Coordinator.ExportResend(-1, 1));
        a.tell(new Coordinator.ExportResend(1, Integer.MIN_VALUE)); // A's FULL to B echoes nonsense: B is steady
        h.kit.assertAlive(b);
        h.kit.assertAlive(a);
        for (int i = 0; i < 4; i++) {
            h.cycle();
            pause(50);
        }
        assertTrue(h.heldByA(h.c), "c still held for A: " + h.info(h.c));
        assertEquals(BlobStatus.ACTIVE, h.info(h.c).status());
        assertTrue(h.kit.store.exists(h.c));
        assertFalse(h.summary(1).warmingUp());
        eventually("d, held by nobody, is still collected (the entities still work)", () -> h.collected(h.d),
                () -> String.valueOf(h.info(h.d)));
    }

    /**
     * The whole coordinator (P = 2 in one singleton) and an isolated entity ({@link Hosting#partition}) are not linked:
     * the three link messages are logged and dropped, and each stays up and unchanged (warming as before).
     */
    @Test
    void theWholeAndAnIsolatedEntityIgnoreLinkMessages() {
        ActorRef<ToCoordinator> whole = h.kit.spawn(Coordinator.create(h.kit.settings, h.kit.store, Clock.systemUTC(),
                null, Timings.NONE, Hosting.whole()));
        ActorRef<ToCoordinator> isolated = h.kit.spawn(PartitionKit.conducted(Coordinator.create(h.kit.settings,
                h.kit.store, Clock.systemUTC(), null, Timings.NONE, Hosting.partition(1, TWO))));
        for (ActorRef<ToCoordinator> e : List.of(whole, isolated)) {
            h.kit.assertAlive(e);
            boolean warming = h.summary(e).warmingUp();
            List<String> blockers = h.summary(e).warmUpBlockers();
            e.tell(new Coordinator.PartitionExport(0, 1, 2, NodeReport.full("partition:0", 2, 1, List.of(h.c),
                    List.of())));
            e.tell(new Coordinator.ExportResend(0, 2));
            e.tell(new Coordinator.PartitionsSettled(List.of(2, 2)));
            h.kit.assertAlive(e);
            assertEquals(warming, h.summary(e).warmingUp());
            assertEquals(blockers, h.summary(e).warmUpBlockers());
        }
        assertTrue(h.told.isEmpty(), "nothing told to a partition: " + h.told);
    }

    /**
     * Both entities restart at once (a cluster restart): each warms up on the other's provisional FULL, and a settle
     * round's end that names a stale generation of B (its previous instance's), a future one, or has the wrong size is
     * ignored; only the vector of the current generations ends the warm-up. c stays held throughout.
     */
    @Test
    void aSettleRoundOfAStaleOrForeignVectorEndsNoWarmUp() {
        h.steadyWithXHeld();
        h.lost = m -> m instanceof Coordinator.PartitionExport; // neither keeps a settled FULL of the other's
        h.restart(0);
        h.restart(1);
        h.lost = m -> false;
        h.full(h.x);
        h.cyclesUntil("both wait only for settling", () -> h.summary(0).warmUpBlockers().stream()
                        .allMatch(s -> s.startsWith("partition:")) && h.summary(1).warmUpBlockers().stream()
                        .allMatch(s -> s.startsWith("partition:")) && h.heldByA(h.c),
                () -> h.summary(0).warmUpBlockers() + " / " + h.summary(1).warmUpBlockers());
        int g0 = h.generation(0), g1 = h.generation(1);
        for (var stale : List.of(List.of(g0 - 1, g1 - 1), List.of(g0 + 1, g1 + 1), List.of(g0), List.of(g0, g1, 0))) {
            for (ActorRef<ToCoordinator> e : h.entities.values()) e.tell(new Coordinator.PartitionsSettled(stale));
            h.cycle();
            assertTrue(h.summary(0).warmingUp(), "A ignored " + stale);
            assertTrue(h.summary(1).warmingUp(), "B ignored " + stale);
        }
        h.settled();
        assertTrue(h.heldByA(h.c));
        for (int i = 0; i < 3; i++) h.cycle();
        assertEquals(BlobStatus.ACTIVE, h.info(h.c).status());
    }

    /**
     * B restarts while A's FULL of before is in flight, and a late {@code ExportResend} of B's previous instance
     * reaches A after B's new one: A's echo goes back to B's old generation (it keeps the last ask, not the highest).
     * That costs one more ask and FULL: B still ends its warm-up on a FULL echoing its new generation, with c held, and
     * the asks stay few (no storm).
     */
    @Test
    void aLateAskOfThePreviousInstanceDelaysButNeitherWedgesNorFoolsTheWarmUp() {
        h.steadyWithXHeld();
        int oldGeneration = h.generation(1);
        h.lost = m -> m instanceof Coordinator.PartitionExport e && e.to() == 1;
        h.restart(1);
        h.full(h.x);
        h.cycle();
        assertTrue(h.summary(1).warmingUp());
        h.lost = m -> false;
        long asksBefore = h.asksBy(1);
        h.entities.get(0).tell(new Coordinator.ExportResend(1, oldGeneration)); // late, from B's previous instance
        h.cyclesUntil("B warmed up", () -> !h.summary(1).warmingUp(), () -> String.valueOf(h.summary(1).warmUpBlockers()));
        assertTrue(h.heldByA(h.c));
        int g = h.generation(1);
        assertTrue(h.told.stream().anyMatch(m -> m instanceof Coordinator.PartitionExport e && e.to() == 1
                && e.echo() == g && e.report().kind() == NodeReport.Kind.FULL), "an echoed FULL: " + h.told);
        assertTrue(h.asksBy(1) - asksBefore <= 4, "few asks: " + (h.asksBy(1) - asksBefore));
        long asks = h.asksBy(1) + h.asksBy(0);
        for (int i = 0; i < 5; i++) h.cycle();
        pause(200);
        assertEquals(asks, h.asksBy(1) + h.asksBy(0), "no asks in the steady state");
    }

    /**
     * Link messages that reach an entity before its takeover (no conductor heard yet) are dropped — not a crash, and
     * not stashed (P - 1 partitions' exports overflowed the stash of entities waiting for their takeover, and each
     * dropped one was a gap that asked for more): each is sent again. A {@code PartitionsSettled} naming the generation
     * the entity is about to get ends nothing (its views are fresh), a pre-takeover FULL of A's is not taken, and once
     * it took over the entity asks A for a FULL itself; it then warms up on A's echoed FULL with c held.
     */
    @Test
    void linkMessagesBeforeTheTakeoverAreDroppedAndTheEntityAsksForWhatItNeeds() {
        h.steadyWithXHeld();
        int next = h.generation(1) + 1;
        Coordinator.PartitionExport old = h.lastFromA();
        ActorRef<ToCoordinator> b = h.entities.get(1);
        h.kit.stop(b);
        h.kit.createTestProbe().expectTerminated(b, ExportsReviewHarness.PATIENCE);
        ActorRef<ToCoordinator> fresh = h.kit.spawn(h.linked(1)); // no conductor heard: it does not take over yet
        h.entities.put(1, fresh);
        fresh.tell(new Coordinator.ExportResend(0, h.generation(0)));
        fresh.tell(new Coordinator.PartitionsSettled(List.of(h.generation(0), next)));
        fresh.tell(old);
        h.full(h.x); // dropped before the takeover (reports are)
        pause(200);
        int toldBefore = h.told.size();
        fresh.tell(Coordinator.KeepAlive.INSTANCE);
        h.kit.assertAlive(fresh);
        assertEquals(next, h.generation(1));
        eventually("B asked A for a FULL once it took over", () -> h.told.stream().skip(toldBefore).anyMatch(m ->
                m instanceof Coordinator.ExportResend r && r.asker() == 1 && r.generation() == next),
                () -> String.valueOf(h.told));
        assertTrue(h.summary(1).warmingUp(), "nothing stashed ended the warm-up: " + h.summary(1).warmUpBlockers());
        h.full(h.x);
        h.cyclesUntil("B warmed up", () -> !h.summary(1).warmingUp(), () -> String.valueOf(h.summary(1).warmUpBlockers()));
        assertTrue(h.heldByA(h.c));
    }

    /**
     * A linked entity recovered from a SNAPSHOT (snapshot-every = 2: its own takeover and cycles are snapshotted) is
     * still linked ({@code StateSnapshots} now restores it through {@link Hosting#entityLedger}, not isolated) and still
     * knows its remote edge x -> c: after A restarts from its snapshot, its warm-up waits for B, and its settled FULL,
     * which replaces B's view of A, lists c. c is never marked while n1 holds x.
     */
    @Test
    void aLinkedEntityRecoveredFromASnapshotStillExportsItsRemoteCallees() throws IOException {
        h.close();
        h = new ExportsReviewHarness("ExportsReviewHeldTestSnapshot", storeRoot.resolve("snap"), "coordinator.snapshot-every = 2");
        h.steadyWithXHeld();
        for (int i = 0; i < 4; i++) h.cycle();
        assertTrue(h.kit.journal.persistedInStorage(PartitionKit.pid(0)).size() > 2);
        assertTrue(h.kit.journal.persistedInStorage(PartitionKit.pid(0)).size() > 2);
        assertFalse(org.apache.pekko.persistence.testkit.javadsl.SnapshotTestKit.create(h.kit.system())
                .persistedInStorage(PartitionKit.pid(0)).isEmpty(), "A snapshotted its state");
        h.lost = m -> m instanceof Coordinator.PartitionExport e && e.to() == 0; // B's answer held back for now
        h.restart(0);
        h.full(h.x);
        eventually("A waits for B alone: it views B", () -> h.summary(0).warmUpBlockers().equals(List.of("partition:1")),
                () -> String.valueOf(h.summary(0).warmUpBlockers()));
        h.lost = m -> false;
        h.cyclesUntil("A warmed up", () -> !h.summary(0).warmingUp(), () -> String.valueOf(h.summary(0).warmUpBlockers()));
        for (int i = 0; i < 4; i++) {
            h.cycle();
            pause(50);
        }
        int g = h.generation(0);
        assertTrue(h.told.stream().anyMatch(m -> m instanceof Coordinator.PartitionExport e && e.from() == 0
                && e.report().incarnation() == g && e.report().settled() && e.report().kind() == NodeReport.Kind.FULL
                && e.report().activeAdded().contains(h.c)), "A's settled FULL after its recovery lists c: " + h.told);
        assertTrue(h.heldByA(h.c));
        assertEquals(BlobStatus.ACTIVE, h.info(h.c).status());
        assertTrue(h.kit.store.exists(h.c));
    }

    /**
     * A FULL that never arrives: B restarts and its takeover ask is lost, and so are A's exports and B's next asks
     * for a while. Once messages flow again, A's next DELTA is a gap in B's fresh view, which asks again: B's warm-up
     * ends on A's echoed FULL, with c held, without any settle round (A is steady, its FULL settled).
     */
    @Test
    void aLostTakeoverAskAndLostAnswersStillEndTheWarmUpByTheNextGap() {
        h.steadyWithXHeld();
        h.lost = m -> (m instanceof Coordinator.ExportResend r && r.asker() == 1)
                || (m instanceof Coordinator.PartitionExport e && e.to() == 1);
        h.restart(1);
        h.full(h.x);
        h.cycle();
        h.cycle();
        assertTrue(h.summary(1).warmingUp());
        assertEquals(List.of("partition:0"), h.summary(1).warmUpBlockers());
        h.lost = m -> false;
        h.cyclesUntil("B warmed up", () -> !h.summary(1).warmingUp(), () -> String.valueOf(h.summary(1).warmUpBlockers()));
        assertTrue(h.heldByA(h.c));
        for (int i = 0; i < 3; i++) h.cycle();
        assertEquals(BlobStatus.ACTIVE, h.info(h.c).status());
    }
}
