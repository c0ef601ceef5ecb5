package io.blobgc.coordinator;

import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.Acquire;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.Register;
import io.blobgc.protocol.ReporterProtocol.Registered;
import io.blobgc.protocol.ReporterProtocol.Report;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.protocol.ReporterProtocol.ToReporter;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review of partitions-part2-plan S1.3 (commit 7f9bd04, the conductor singleton over the partition entities): a
 * conductor spawned over two entities of a local actor system ({@link PartitionPeers#local}). Each test is one way the
 * conductor breaks what the coordinator hosting every partition did; every one failed on main at 4d9d193 and passes
 * since the fixes after it (the review's sixth finding, pins past the first 1000 of one partition, was fixed in
 * session 28: the conductor pages each partition).
 */
class ConductorReviewTest {

    private static final Duration SHORT = PartitionKit.SHORT;

    @TempDir
    Path storeRoot;
    private PartitionKit kit;

    private void start(String blobGc) {
        kit = PartitionKit.sharded("ConductorReviewTest", "partitions = 2\n" + blobGc, storeRoot);
    }

    @AfterEach
    void stopKit() {
        if (kit != null) kit.close();
    }

    // ---- 1. input the coordinator answers, and the conductor dies of (design §6: a reply, never a crash)

    /**
     * A registration with a null entry: Registrations.decide drops null entries (and a null list), but Conductor.register
     * (Conductor.java:339-340) calls r.hash() on it: NullPointerException in the command handler, the conductor dies
     * (under initSingleton: a restart with backoff, a new takeover, its queued RunCycleNows lost) and the uploader
     * gets no answer.
     */
    @Test
    void aRegistrationWithANullEntryIsAnsweredAndTheConductorLivesOn() throws Exception {
        start("");
        ActorRef<ToCoordinator> c = kit.conductor();
        BlobHash a = kit.stored(0, "a");
        TestProbe<Registered> reply = kit.createTestProbe();
        c.tell(new Register(Arrays.asList(Registration.of(a), null), reply.getRef()));
        Registered r = kit.answered(reply, Registered.class, c);
        assertTrue(r.accepted().contains(a), "the good entry is registered: " + r);
        kit.assertAlive(c);
    }

    /** The same for a null list of registrations (Conductor.java:339). */
    @Test
    void aRegistrationWithoutAListIsAnsweredAndTheConductorLivesOn() {
        start("");
        ActorRef<ToCoordinator> c = kit.conductor();
        TestProbe<Registered> reply = kit.createTestProbe();
        c.tell(new Register(null, reply.getRef()));
        kit.answered(reply, Registered.class, c);
        kit.assertAlive(c);
    }

    /**
     * An acquire without a hash: CoordinatorCore.acquire answers REFUSED; the conductor's owner(null)
     * (Conductor.java:257 -> Partitioning.partitionOf) throws NullPointerException and it dies unanswered.
     */
    @Test
    void anAcquireWithoutAHashIsAnsweredAndTheConductorLivesOn() {
        start("");
        ActorRef<ToCoordinator> c = kit.conductor();
        TestProbe<AcquireReply> reply = kit.createTestProbe();
        c.tell(new Acquire("node-1", 1, 0, null, reply.getRef()));
        kit.answered(reply, AcquireReply.class, c);
        kit.assertAlive(c);
    }

    /** An operator pin without a hash: a bad request from CoordinatorCore.pin; a crash at Conductor.java:259. */
    @Test
    void aPinWithoutAHashIsAnsweredAndTheConductorLivesOn() {
        start("");
        ActorRef<ToCoordinator> c = kit.conductor();
        TestProbe<Coordinator.OpResult> reply = kit.createTestProbe();
        c.tell(new Coordinator.PinBlob(null, "ops", "keep", null, reply.getRef()));
        Coordinator.OpResult r = kit.answered(reply, Coordinator.OpResult.class, c);
        assertFalse(r.ok(), "refused: " + r);
        kit.assertAlive(c);
    }

    /** A report without its body: ReportRejected from Roster.onReport; a crash at Conductor.java:254. */
    @Test
    void aReportWithoutABodyIsAnsweredAndTheConductorLivesOn() {
        start("");
        ActorRef<ToCoordinator> c = kit.conductor();
        TestProbe<ToReporter> reply = kit.createTestProbe();
        c.tell(new Report(null, reply.getRef()));
        kit.answered(reply, ToReporter.class, c);
        kit.assertAlive(c);
    }

    // ---- 2. a hash's registrations split between "refused here" and "sent to its partition"

    /**
     * One upload registering blob x twice in a batch (as the coordinator takes it: the edges of both entries), once with
     * a callee of its own partition and once with a callee of the other partition. Conductor.register sorts entries,
     * not hashes: the crossing entry is refused, the other goes to partition 0 and is accepted — x is answered
     * accepted (and rejected), and partition 0 registers it WITHOUT its edge to z. The coordinator refuses a hash with
     * every entry of it (Registrations.decide: accepted = entries whose hash is not rejected); here x is held with a
     * closure that does not keep z alive (S2: z, reachable from a held x by a declared dependency, can be collected).
     */
    @Test
    void aHashRegisteredTwiceWithACrossPartitionCalleeIsNotAcceptedWithoutThatEdge() throws Exception {
        start("");
        ActorRef<ToCoordinator> c = kit.conductor();
        BlobHash y = kit.stored(0, "y"), z = kit.stored(1, "z"), x = kit.stored(0, "x");
        TestProbe<Registered> reply = kit.createTestProbe();
        c.tell(new Register(List.of(Registration.of(y), Registration.of(z)), reply.getRef()));
        Registered callees = kit.answered(reply, Registered.class, c);
        assertEquals(2, callees.accepted().size(), "callees registered: " + callees);

        c.tell(new Register(List.of(new Registration(x, List.of(y)), new Registration(x, List.of(z))), reply.getRef()));
        Registered r = kit.answered(reply, Registered.class, c);
        assertTrue(r.rejected().contains(x), "x names a callee of another partition: refused " + r);
        assertFalse(r.accepted().contains(x), "x is answered both accepted and rejected, and partition 0 registered it "
                + "without its edge to z: " + r + "; partition 0's journal: " + kit.written(0));
    }

    // ---- 3. the pins page merged from pages the entities cut to 1000

    /**
     * An entity answers at most 1000 pins at a time (CoordinatorCore.MAX_PAGE), and the conductor asked each for its
     * first offset + limit at once: a page past the first 1000 pins of one partition came back empty. Now each
     * partition is asked a page at a time: the page is the one that partition lists there, and the total counts all.
     */
    @Test
    void aPinsPagePastTheFirstThousandOfOnePartitionIsThatPartitionsPage() throws Exception {
        start("");
        ActorRef<ToCoordinator> zero = kit.entity(0);
        kit.entities.put(0, zero);
        kit.entities.put(1, kit.entity(1));
        List<Registration> registrations = new java.util.ArrayList<>();
        for (int i = 0; i < 1100; i++) registrations.add(Registration.of(kit.stored(0, "pinned " + i)));
        TestProbe<Registered> registered = kit.createTestProbe();
        zero.tell(new Register(registrations, registered.getRef()));
        assertEquals(1100, kit.answered(registered, Registered.class, zero).accepted().size());
        TestProbe<Coordinator.OpResult> pinned = kit.createTestProbe();
        for (Registration r : registrations) {
            zero.tell(new Coordinator.PinBlob(r.hash(), "ops", "kept", null, pinned.getRef()));
        }
        for (int i = 0; i < registrations.size(); i++) {
            assertEquals(null, pinned.expectMessageClass(Coordinator.OpResult.class, SHORT).refusal());
        }
        TestProbe<Coordinator.Pins> direct = kit.createTestProbe();
        zero.tell(new Coordinator.GetPins(1000, 50, direct.getRef()));
        List<io.blobgc.ledger.Ledger.PinnedBlob> expected = direct.expectMessageClass(Coordinator.Pins.class, SHORT).pins();
        assertEquals(50, expected.size());
        ActorRef<ToCoordinator> c = kit.conductor();
        TestProbe<Coordinator.Pins> merged = kit.createTestProbe();
        c.tell(new Coordinator.GetPins(1000, 50, merged.getRef()));
        Coordinator.Pins page = kit.answered(merged, Coordinator.Pins.class, c);
        assertEquals(1100, page.total());
        assertEquals(expected, page.pins());
    }

    // ---- 6. a partition that does not answer: the conductor's partial answer comes after its caller gave up

    /**
     * Partition 1 does not answer (moving, recovering: the case FanIn and Summaries.merged name). Every caller asks
     * the singleton with blob-gc.coordinator.ask-timeout (BlobGc.summary, AdminRoutes, BlobGc.register ...), and the
     * conductor waits for the partitions with that very timeout (Conductor.java:378, and :355 for a registration, :387
     * for the pins): its answer — warming up, "partition 1 (no answer)" — is sent after the caller's ask timed out,
     * so the caller gets a timeout, never the merged summary; likewise a registration's "retry" and the pins.
     */
    @Test
    void aSummaryWithAPartitionNotAnsweringReachesItsCaller() throws Exception {
        start("coordinator.ask-timeout = 2s\n");
        kit.entities.put(0, kit.entity(0));
        kit.entities.put(1, kit.<ToCoordinator>createTestProbe().getRef()); // never answers
        ActorRef<ToCoordinator> c = kit.spawnConductor();
        var asked = org.apache.pekko.actor.typed.javadsl.AskPattern.<ToCoordinator, Coordinator.Summary>ask(c,
                Coordinator.GetSummary::new, kit.settings.askTimeout(), kit.system().scheduler());
        Coordinator.Summary s;
        try {
            s = asked.toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException timedOut) {
            throw new AssertionError("the caller's ask (" + kit.settings.askTimeout() + ") timed out before the conductor's "
                    + "fan-in (" + kit.settings.askTimeout() + ") gave up on partition 1", timedOut.getCause());
        }
        assertTrue(s.warmingUp() && s.warmUpBlockers().stream().anyMatch(b -> b.contains("partition 1")), "" + s);
    }

    // ---- 4. cycle numbers: a conductor behind its entities

    /**
     * A conductor whose journal has fewer CycleRecorded than its entities ran (its journal lost or reset, while the
     * entities' journals kept theirs; here they ran cycle 50): it asks for cycle 1, 2, ... and every entity answers
     * "ran that one already" (outcome null, nothing planned) — no partition plans a cycle, nothing is marked or
     * collected, for 50 cycle intervals (in production: as many intervals as the entities ran cycles). The answers
     * carry the cycle asked, not the entity's own, and the conductor never jumps ahead.
     */
    @Test
    void aConductorBehindItsEntitiesCyclesNumbersTheyHaveNotRun() {
        start("");
        for (int p = 0; p < 2; p++) {
            ActorRef<ToCoordinator> e = kit.entity(p);
            kit.entities.put(p, e);
            TestProbe<Coordinator.PartitionCycled> ran = kit.createTestProbe();
            e.tell(new Coordinator.RunPartitionCycle(50, false, ran.getRef()));
            assertNotNull(ran.expectMessageClass(Coordinator.PartitionCycled.class, SHORT).outcome());
        }
        ActorRef<ToCoordinator> c = kit.conductor();
        int before0 = kit.written(0).size();
        TestProbe<CycleOutcome> outcome = kit.createTestProbe();
        c.tell(new Coordinator.RunCycleNow(false, outcome.getRef()));
        CycleOutcome o = kit.answered(outcome, CycleOutcome.class, c);
        assertTrue(kit.written(0).size() > before0,
                "the operator's cycle (the conductor's cycle " + o.cycle() + ") was planned by partition 0: it wrote "
                        + "nothing, as it ran cycle 50 already");
    }

    // ---- 5. the coordinator on the conductor's journal

    /**
     * Switching back to partition-hosting = coordinator after the conductor took a snapshot (snapshot-every events:
     * one a cycle): the coordinator is to refuse the journal, naming both hostings (JournalPartitions.hostingRefusal),
     * as it does when the journal holds events only. StateSnapshots.fromJournal casts the ConductorSnapshot to
     * LedgerSnapshot (StateSnapshots.java:36): a ClassCastException fails the recovery instead — no refusal logged,
     * and under initSingleton a restart with backoff for ever.
     */
    @Test
    void theCoordinatorRefusesTheConductorsJournalAfterItsSnapshot() {
        start("coordinator.snapshot-every = 2\n");
        ActorRef<ToCoordinator> c = kit.conductor();
        TestProbe<CycleOutcome> outcome = kit.createTestProbe();
        for (int i = 0; i < 3; i++) {
            c.tell(new Coordinator.RunCycleNow(false, outcome.getRef()));
            kit.answered(outcome, CycleOutcome.class, c);
        }
        kit.stop(c);
        BlobGcSettings whole = BlobGcSettings.from(CoordinatorTestKit.config("""
                partitions = 2
                partition-hosting = coordinator
                coordinator.snapshot-every = 2
                """)); // the settings only: it runs in the kit's system
        ActorRef<ToCoordinator> coordinator = kit.spawn(Coordinator.create(whole, kit.store, Clock.systemUTC(), null,
                Timings.NONE));
        kit.createTestProbe().expectTerminated(coordinator, Duration.ofSeconds(10));
        assertTrue(kit.log.messages().stream().anyMatch(m -> m.contains("refuses to start")
                        && m.contains("sharded")),
                "the coordinator refused the conductor's journal, naming its hosting; logged errors: " + kit.errors());
    }
}
