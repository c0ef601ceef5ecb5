package io.blobgc.coordinator;

import com.typesafe.config.Config;
import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;
import io.blobgc.LogCapture;
import io.blobgc.ledger.BlobInfo;
import io.blobgc.ledger.LedgerSnapshot;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.Partitioning;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.Register;
import io.blobgc.protocol.ReporterProtocol.Registered;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.store.FileBlobStore;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.testkit.ProcessingSuccess$;
import org.apache.pekko.persistence.testkit.ReadEvents;
import org.apache.pekko.persistence.testkit.ReadSeqNum$;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.persistence.testkit.javadsl.SnapshotTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@link Coordinator} as the entity of one partition ({@link Hosting#partition}; partitions-part2-plan S1.2),
 * local commands only, in a local actor system under Pekko's persistence test kit: its journal is
 * {@code blob-gc-partition|p}, its first write a takeover recording P and p, its cycles numbered by whoever sends
 * {@link Coordinator.RunPartitionCycle} (once each), its snapshot its one partition's, a journal of another P or
 * partition refused before any write, a {@link Coordinator.PartitionStop} taken before the takeover, its sweeper
 * deleting what it fenced, and its walk through the store kept to its partition's range.
 */
class PartitionEntityTest {

    private static final Partitioning FOUR = Partitioning.of(4);
    private static final Config CONFIG = CoordinatorTestKit.config("""
            partitions = 4
            coordinator.snapshot-every = 1
            """);
    private static final BlobGcSettings SETTINGS = BlobGcSettings.from(CONFIG);
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    /** An actor system, and so an in-memory journal, of each test's own. */
    private ActorTestKit kit;
    private PersistenceTestKit journal;
    @TempDir
    Path storeRoot;
    private FileBlobStore store;
    /** The content of each blob a test named. */
    private final Map<BlobHash, byte[]> contents = new HashMap<>();

    @BeforeEach
    void startKit() {
        kit = ActorTestKit.create("PartitionEntityTest", CONFIG);
        journal = PersistenceTestKit.create(kit.system());
        store = new FileBlobStore(storeRoot);
    }

    @AfterEach
    void stopKit() {
        kit.shutdownTestKit();
    }

    // ---- its journal, its takeover

    @Test
    void theFirstEventOfEntityTwoOfFourIsATakeoverRecordingFourAndTwo() {
        entity(2);
        var t = assertInstanceOf(Coordinator.TookOver.class, written(2).get(0));
        assertEquals(4, t.partitions());
        assertEquals(2, t.partition());
        assertEquals("sharded", t.hosting());
        assertTrue(journal.persistedInStorage(Coordinator.PERSISTENCE_ID.id()).isEmpty(), "not the singleton's");
    }

    @Test
    void itsOwnRegistrationsAndPinsPersistAndARestartKeepsThem() throws IOException {
        var es = entity(2);
        BlobHash a = in(2, "a");
        BlobHash b = in(2, "b");
        stored(a, b);
        var registered = es.<Registered>runCommand(ref -> new Register(List.of(Registration.of(a),
                new Registration(b, List.of(a))), ref));
        assertEquals(List.of(a, b), registered.reply().accepted());
        assertTrue(registered.events().stream().anyMatch(e -> e instanceof Coordinator.BlobsRegistered));
        var pinned = es.<Coordinator.OpResult>runCommand(ref -> new Coordinator.PinBlob(b, "ops", "keep", null, ref));
        assertTrue(pinned.reply().ok(), String.valueOf(pinned.reply().refusal()));
        assertTrue(pinned.events().stream().anyMatch(e -> e instanceof Coordinator.BlobPinned));

        es.restart();
        BlobInfo info = es.<Coordinator.BlobReply>runCommand(ref -> new Coordinator.GetBlob(b, ref)).reply().info();
        assertNotNull(info);
        assertEquals(List.of(a), info.dependencies());
        assertEquals("ops", info.pins().get(0).owner());
    }

    @Test
    void aRegistrationNamingAnotherPartitionsHashOrCalleeIsRefusedAndNothingPersists() throws IOException {
        var es = entity(2);
        BlobHash foreign = in(0, "foreign");
        BlobHash own = in(2, "own");
        BlobHash caller = in(2, "caller");
        stored(foreign, own, caller);
        var r = es.<Registered>runCommand(ref -> new Register(List.of(Registration.of(foreign),
                new Registration(own, List.of(foreign)), new Registration(caller, List.of(own))), ref));
        assertTrue(r.reply().accepted().isEmpty(), r.reply().toString());
        assertEquals(Set.of(foreign, own, caller), Set.copyOf(r.reply().rejected()), "the caller falls with its callee");
        assertTrue(r.events().stream().noneMatch(e -> e instanceof Coordinator.BlobsRegistered), r.events().toString());
        var alone = es.<Registered>runCommand(ref -> new Register(List.of(Registration.of(own)), ref));
        assertEquals(List.of(own), alone.reply().accepted(), "its own, alone: registered");
    }

    // ---- cycles

    @Test
    void cycleSevenPersistsOnceAsPartitionTwoAndALateOrDuplicateAskPersistsNothing() {
        var es = entity(2);
        var first = es.<Coordinator.PartitionCycled>runCommand(ref -> new Coordinator.RunPartitionCycle(7, false, ref));
        List<Coordinator.CycleCompleted> completed = cycles(first.events());
        assertEquals(1, completed.size(), first.events().toString());
        assertEquals(7, completed.get(0).outcome().cycle());
        assertEquals(2, completed.get(0).partition());
        assertEquals(2, first.reply().partition());
        assertEquals(7, first.reply().cycle());
        assertEquals(7, first.reply().outcome().cycle());

        var again = es.<Coordinator.PartitionCycled>runCommand(ref -> new Coordinator.RunPartitionCycle(7, false, ref));
        assertTrue(cycles(again.events()).isEmpty(), again.events().toString());
        assertNull(again.reply().outcome(), "not planned again");
        var late = es.<Coordinator.PartitionCycled>runCommand(ref -> new Coordinator.RunPartitionCycle(5, false, ref));
        assertTrue(cycles(late.events()).isEmpty(), late.events().toString());
        assertEquals(7, es.getState().ledger().cycle());

        var next = es.<Coordinator.PartitionCycled>runCommand(ref -> new Coordinator.RunPartitionCycle(9, false, ref));
        assertEquals(9, cycles(next.events()).get(0).outcome().cycle(), "the number it is given, cycle 8 missed");
    }

    // ---- recovery

    @Test
    void aRestartRecoversItsPartitionAloneFromItsSnapshot() throws IOException {
        var es = entity(2);
        BlobHash a = in(2, "a");
        stored(a);
        es.<Registered>runCommand(ref -> new Register(List.of(Registration.of(a)), ref));
        es.<Coordinator.PartitionCycled>runCommand(ref -> new Coordinator.RunPartitionCycle(7, false, ref));
        var snapshots = SnapshotTestKit.create(kit.system()).persistedInStorage(pid(2));
        var snapshot = assertInstanceOf(LedgerSnapshot.class, snapshots.get(snapshots.size() - 1).second(),
                "one partition's snapshot, not sections");
        assertEquals(2, snapshot.partition());
        assertEquals(4, snapshot.partitions());
        assertEquals(7, snapshot.cycle());

        es.restart();
        es.<Coordinator.Summary>runCommand(Coordinator.GetSummary::new);
        PartitionedLedger l = es.getState().ledger();
        assertEquals(List.of(2), l.hostedPartitions());
        assertEquals(4, l.partitioning().count());
        assertEquals(7, l.cycle());
        assertTrue(l.status(a).isPresent());
        List<Object> events = written(2);
        var t = assertInstanceOf(Coordinator.TookOver.class, events.get(events.size() - 1), events.toString());
        assertEquals(2, t.partition(), "the restart's takeover");
    }

    @Test
    void theJournalOfAnotherPartitionIsRefusedBeforeAnyWriteNamingBoth() {
        journal.persistForRecovery(pid(3), List.of(new Coordinator.TookOver("entity 2", 1, 30_000, 4, "sharded", 2)));
        assertRefused(3, 4, "blob-gc partition 3 refuses to start: journal blob-gc-partition|3 was written as "
                + "partition 2 of 4; this entity is partition 3 of 4");
        assertEquals(1, written(3).size(), "no takeover written");
    }

    @Test
    void aJournalOfAnotherNumberOfPartitionsIsRefusedBeforeAnyWriteNamingBoth() {
        journal.persistForRecovery(pid(1), List.of(new Coordinator.TookOver("of four", 1, 30_000, 4, "sharded", 1)));
        assertRefused(1, 2, "its journal was written with P = 4 partitions, and blob-gc.partitions = 2 is configured");
        assertEquals(1, written(1).size(), "no takeover written");
    }

    @Test
    void aStopBeforeTheTakeoverStopsItAndNothingIsWritten() {
        // its recovery is held until the stop is in: the stop comes before the takeover, as in a handoff while
        // the journal is slow
        CountDownLatch recovering = new CountDownLatch(1);
        journal.withPolicy((persistenceId, op) -> {
            if (persistenceId.equals(pid(2)) && (op instanceof ReadEvents || op == ReadSeqNum$.MODULE$)) {
                try {
                    recovering.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return ProcessingSuccess$.MODULE$;
        });
        ActorRef<ToCoordinator> entity = kit.spawn(behavior(2, 4, Clock.systemUTC()));
        entity.tell(Coordinator.KeepAlive.INSTANCE);
        entity.tell(Coordinator.PartitionStop.INSTANCE);
        kit.createTestProbe().expectTerminated(entity, PATIENCE); // the stop is taken while the recovery is held
        recovering.countDown();
        journal.resetPolicy();
        assertTrue(written(2).isEmpty(), "stopped before its takeover: " + written(2));
    }

    // ---- deletions and the store

    @Test
    void itsSweeperDeletesWhatItFencedAndNothingElse() throws IOException {
        BlobHash condemned = in(2, "condemned");
        BlobHash unfenced = in(2, "unfenced");
        BlobHash elsewhere = in(0, "elsewhere");
        stored(condemned, unfenced, elsewhere);
        journal.persistForRecovery(pid(2), List.of(new Coordinator.TookOver("before", 1, 30_000, 4, "sharded", 2),
                new Coordinator.OrphansCondemned(List.of(condemned), null, 2)));
        kit.spawn(behavior(2, 4, Clock.systemUTC())); // not under the behaviour test kit: it starts a journal afresh
        TestProbe<Object> probe = kit.createTestProbe();
        probe.awaitAssert(PATIENCE, () -> {
            assertFalse(store.exists(condemned), "deleted: " + written(2));
            assertTrue(written(2).stream().anyMatch(e -> e instanceof Coordinator.BlobsCollected));
            return null;
        });
        assertTrue(store.exists(unfenced));
        assertTrue(store.exists(elsewhere));
        for (Object e : written(2)) {
            if (e instanceof Coordinator.DeletionStarted d) assertEquals(List.of(condemned), d.hashes());
            if (e instanceof Coordinator.BlobsCollected c) assertEquals(List.of(condemned), c.hashes());
        }
    }

    @Test
    void withOrphansInEveryRangeEntityTwoCondemnsOnlyRangeTwosAndItsWalkWraps() throws Exception {
        List<BlobHash> orphans = new java.util.ArrayList<>();
        for (int p = 0; p < 4; p++) {
            orphans.add(in(p, "orphan-a"));
            orphans.add(in(p, "orphan-b"));
        }
        stored(orphans.toArray(BlobHash[]::new));
        // the store's content is two hours old by this clock, older than the orphan grace (1 h)
        Clock later = Clock.offset(Clock.systemUTC(), Duration.ofHours(2));
        var es = EventSourcedBehaviorTestKit.<ToCoordinator, Coordinator.Event, Coordinator.State>create(kit.system(),
                PartitionKit.conducted(Coordinator.create(SETTINGS.withValue("sweeper.orphan-page-size", 1), store,
                        later, null, Timings.NONE, Hosting.partition(2, FOUR))),
                EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyState(false));
        // a page of one per cycle: range 2's two orphans, then the first hash past the range ends the pass
        BlobHash start = FOUR.highest(1);
        TestProbe<Object> probe = kit.createTestProbe();
        for (long cycle = 1; cycle <= 12 && !walkedBackTo(start); cycle++) {
            long n = cycle;
            long pagesBefore = walkPositions();
            es.<Coordinator.PartitionCycled>runCommand(ref -> new Coordinator.RunPartitionCycle(n, false, ref));
            probe.awaitAssert(PATIENCE, () -> { // the sweeper lists the page, the entity takes it
                assertTrue(walkPositions() > pagesBefore, "cycle " + n + "'s page taken: " + written(2));
                return null;
            });
        }
        assertTrue(walkedBackTo(start), "the pass ended at its range's end and started again at its range's first "
                + "hash: " + written(2));
        Set<BlobHash> condemned = new HashSet<>();
        for (Object e : written(2)) if (e instanceof Coordinator.OrphansCondemned o) condemned.addAll(o.hashes());
        assertEquals(Set.of(orphans.get(4), orphans.get(5)), condemned, "range 2's orphans, and no other's");
        for (BlobHash o : orphans) {
            if (FOUR.partitionOf(o) != 2) assertTrue(store.exists(o), "another range's content is not touched");
        }
    }

    /** How many positions entity 2's walk persisted: one a page that moved it (page size 1: every page). */
    private long walkPositions() {
        return written(2).stream().filter(e -> e instanceof Coordinator.OrphansCondemned).count();
    }

    /** Whether entity 2's walk persisted a position back at {@code start}: a pass of its range ended. */
    private boolean walkedBackTo(BlobHash start) {
        return written(2).stream().anyMatch(e -> e instanceof Coordinator.OrphansCondemned o
                && start.equals(o.scannedUpTo()));
    }

    // ---- helpers

    private static String pid(int p) {
        return "blob-gc-partition|" + p;
    }

    private List<Object> written(int p) {
        return journal.persistedInStorage(pid(p));
    }

    private static List<Coordinator.CycleCompleted> cycles(List<Coordinator.Event> events) {
        return events.stream().filter(e -> e instanceof Coordinator.CycleCompleted)
                .map(e -> (Coordinator.CycleCompleted) e).toList();
    }

    /** Content whose hash partition {@code p} of four owns, named {@code name}. */
    private BlobHash in(int p, String name) {
        for (int i = 0; ; i++) {
            byte[] content = (name + "/" + p + "/" + i).getBytes(StandardCharsets.UTF_8);
            BlobHash h = BlobHash.sha256(content);
            if (FOUR.partitionOf(h) == p) {
                contents.put(h, content);
                return h;
            }
        }
    }

    /** As an upload does it: the content written to the store. */
    private void stored(BlobHash... hashes) throws IOException {
        for (BlobHash h : hashes) store.put(h, contents.get(h));
    }

    private Behavior<ToCoordinator> behavior(int p, int partitions, Clock clock) {
        return PartitionKit.conducted(Coordinator.create(SETTINGS, store, clock, null, Timings.NONE,
                Hosting.partition(p, Partitioning.of(partitions))));
    }

    /** Entity {@code p} of four, once its takeover is written (a query is answered only then). */
    private EventSourcedBehaviorTestKit<ToCoordinator, Coordinator.Event, Coordinator.State> entity(int p) {
        var es = EventSourcedBehaviorTestKit.<ToCoordinator, Coordinator.Event, Coordinator.State>create(kit.system(),
                behavior(p, 4, Clock.systemUTC()),
                EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyState(false));
        es.<Coordinator.Summary>runCommand(Coordinator.GetSummary::new);
        return es;
    }

    private void assertRefused(int p, int partitions, String why) {
        try (LogCapture log = LogCapture.of(Coordinator.class)) {
            ActorRef<ToCoordinator> refused = kit.spawn(behavior(p, partitions, Clock.systemUTC()));
            TestProbe<Coordinator.Summary> summary = kit.createTestProbe();
            refused.tell(new Coordinator.GetSummary(summary.getRef()));
            summary.expectTerminated(refused, PATIENCE);
            assertTrue(log.events().stream().anyMatch(e -> e.getLevel() == ch.qos.logback.classic.Level.ERROR
                    && e.getFormattedMessage().contains(why)), log.messages().toString());
        }
    }
}
