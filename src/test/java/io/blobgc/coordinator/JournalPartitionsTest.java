package io.blobgc.coordinator;

import com.typesafe.config.Config;
import io.blobgc.BlobGcSettings;
import io.blobgc.BlobGcSettings.PartitionHosting;
import io.blobgc.LogCapture;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.Partitioning;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.store.FileBlobStore;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.persistence.testkit.javadsl.SnapshotTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code blob-gc.partitions} is fixed for the life of a journal (partitions.md, step 1): each takeover records it, a
 * journal that never recorded it is a journal of one partition, an empty journal takes the configured number, and a
 * coordinator configured with another number than its journal's writes nothing and stops. At P &gt; 1 the snapshot is
 * one section per partition ({@link SnapshotSections}). At P &gt; 1 so are how the partitions are hosted and which one
 * a partition entity's journal is (partitions-part2-plan.md, S1.0).
 */
class JournalPartitionsTest {

    private static final Config CONFIG = CoordinatorTestKit.config("coordinator.snapshot-every = 1");
    private static final String PID = Coordinator.PERSISTENCE_ID.id();

    private static final BlobGcSettings SETTINGS = BlobGcSettings.from(CONFIG);

    /** An actor system, and so an in-memory journal, of each test's own. */
    private ActorTestKit kit;
    private PersistenceTestKit journal;

    @TempDir
    Path storeRoot;

    @BeforeEach
    void startKit() {
        kit = ActorTestKit.create("JournalPartitionsTest", CONFIG);
        journal = PersistenceTestKit.create(kit.system());
    }

    @AfterEach
    void stopKit() {
        kit.shutdownTestKit();
    }

    // ---- the check, on its own

    @Test
    void aJournalOfOnePartitionRestartedWithTwoIsRefusedNamingBothAndTheSetting() {
        for (int recorded : new int[]{0, 1}) { // none recorded (an old journal) is one partition
            String why = JournalPartitions.refusal(recorded, 2).orElseThrow();
            assertTrue(why.contains("journal was written with P = 1 partitions"), why);
            assertTrue(why.contains("blob-gc.partitions = 2 is configured"), why);
            assertTrue(why.contains("set blob-gc.partitions = 1"), why);
            assertTrue(why.contains("src/site/markdown/partitions.md"), why);
        }
        String why = JournalPartitions.refusal(4, 1).orElseThrow();
        assertTrue(why.contains("P = 4") && why.contains("blob-gc.partitions = 1 is configured"), why);
    }

    @Test
    void theSameNumberStarts() {
        assertTrue(JournalPartitions.refusal(0, 1).isEmpty(), "an old journal is a journal of one partition");
        assertTrue(JournalPartitions.refusal(1, 1).isEmpty());
        assertTrue(JournalPartitions.refusal(8, 8).isEmpty());
        assertEquals(1, JournalPartitions.written(0));
        assertEquals(16, JournalPartitions.written(16));
    }

    // ---- the hosting and the partition (partitions-part2-plan.md, decision 6)

    @Test
    void aCoordinatorHostedJournalOfFourPartitionsIsRefusedUnderShardedNamingTheSetting() {
        for (String recorded : new String[]{null, "coordinator"}) { // none recorded: coordinator hosting
            Coordinator.State journal = recovered(new Coordinator.TookOver("in the singleton", 1, 0, 4, recorded, null));
            String why = JournalPartitions.refusal(journal, 4, PartitionHosting.SHARDED, null).orElseThrow();
            assertTrue(why.contains("journal blob-gc-coordinator was written with blob-gc.partition-hosting = "
                    + "coordinator (P = 4), and this member runs blob-gc.partition-hosting = sharded"), why);
            assertTrue(why.contains("set blob-gc.partition-hosting = coordinator"), why);
            assertTrue(JournalPartitions.refusal(journal, 4, PartitionHosting.COORDINATOR, null).isEmpty());
        }
        Coordinator.State sharded = recovered(new Coordinator.TookOver("conductor", 1, 0, 4, "sharded", null));
        String why = JournalPartitions.refusal(sharded, 4, PartitionHosting.COORDINATOR, null).orElseThrow();
        assertTrue(why.contains("written with blob-gc.partition-hosting = sharded (P = 4), and this member runs "
                + "blob-gc.partition-hosting = coordinator"), why);
        assertTrue(JournalPartitions.refusal(sharded, 4, PartitionHosting.SHARDED, null).isEmpty());
    }

    /**
     * S1.9: the default hosting, auto, is sharded in a cluster at more than one partition. A journal of four
     * partitions a coordinator hosted (written before the default changed, or with coordinator set) is refused under
     * it, the message saying what the member runs, that auto made it so, and which setting keeps the journal.
     */
    @Test
    void aCoordinatorHostedJournalOfFourPartitionsIsRefusedUnderTheDefaultInAClusterNamingTheSetting() {
        BlobGcSettings clustered = BlobGcSettings.from(com.typesafe.config.ConfigFactory.parseString(
                "pekko.actor.provider = cluster\nblob-gc.partitions = 4").withFallback(
                com.typesafe.config.ConfigFactory.load()));
        assertEquals(PartitionHosting.SHARDED, clustered.partitionHosting(), "auto, in a cluster at P = 4");
        Coordinator.State journal = recovered(new Coordinator.TookOver("in the singleton", 1, 0, 4, "coordinator",
                null));
        String why = JournalPartitions.refusal(journal, 4, clustered.partitionHosting(), null).orElseThrow();
        assertTrue(why.contains("this member runs blob-gc.partition-hosting = sharded (auto, the default, is sharded "
                + "in a cluster at more than one partition, coordinator otherwise)"), why);
        assertTrue(why.contains("set blob-gc.partition-hosting = coordinator"), why);
        assertTrue(JournalPartitions.refusal(journal, 4, clustered.withValue("partition-hosting", "coordinator")
                .partitionHosting(), null).isEmpty(), "the setting the message names keeps the journal");
    }

    @Test
    void aJournalOfOnePartitionStartsWhateverTheHosting() {
        for (Coordinator.TookOver t : List.of(new Coordinator.TookOver("old", 1, 0, 0),
                new Coordinator.TookOver("one", 1, 0, 1), new Coordinator.TookOver("one, sharded", 1, 0, 1, "sharded", null))) {
            for (PartitionHosting h : PartitionHosting.values()) {
                assertTrue(JournalPartitions.refusal(recovered(t), 1, h, null).isEmpty(), t + " under " + h);
            }
        }
    }

    @Test
    void theNumberIsCheckedBeforeTheHosting() {
        Coordinator.State four = recovered(new Coordinator.TookOver("in the singleton", 1, 0, 4));
        String why = JournalPartitions.refusal(four, 2, PartitionHosting.SHARDED, null).orElseThrow();
        assertTrue(why.contains("journal was written with P = 4 partitions"), why);
    }

    @Test
    void anEntityRefusesTheJournalOfAnotherPartitionNamingBoth() {
        Coordinator.State two = recovered(new Coordinator.TookOver("entity", 1, 0, 4, "sharded", 2));
        assertTrue(JournalPartitions.refusal(two, 4, PartitionHosting.SHARDED, 2).isEmpty(), "its own");
        String why = JournalPartitions.refusal(two, 4, PartitionHosting.SHARDED, 3).orElseThrow();
        assertTrue(why.contains("blob-gc partition 3 refuses to start: journal blob-gc-partition|3 was written as "
                + "partition 2 of 4; this entity is partition 3 of 4"), why);
        why = JournalPartitions.refusal(two, 4, PartitionHosting.SHARDED, null).orElseThrow();
        assertTrue(why.contains("journal blob-gc-coordinator was written as partition 2 of 4; this is the coordinator "
                + "singleton"), why);
        Coordinator.State singleton = recovered(new Coordinator.TookOver("in the singleton", 1, 0, 4));
        why = JournalPartitions.refusal(singleton, 4, PartitionHosting.SHARDED, 3).orElseThrow();
        assertTrue(why.contains("journal blob-gc-partition|3 was written by the coordinator singleton; this entity is "
                + "partition 3 of 4"), why);
    }

    @Test
    void theFirstTakeoverRecordingTheHostingAndPartitionFixesThemAndSnapshotsKeepThem() {
        LedgerSettings ls = LedgerSettings.DEFAULTS;
        PartitionedLedger l = TestJournal.replay(ls, List.of(new Coordinator.TookOver("before", 1, 0, 1)));
        assertEquals(null, l.recordedHosting());
        assertEquals(null, l.recordedPartition());
        CoordinatorCore.apply(l, new Coordinator.TookOver("entity", 2, 0, 1, "sharded", 0));
        CoordinatorCore.apply(l, new Coordinator.TookOver("later", 3, 0, 1, "coordinator", 1));
        assertEquals("sharded", l.recordedHosting(), "kept");
        assertEquals(0, l.recordedPartition(), "kept");
        PartitionedLedger restored = PartitionedLedger.fromSnapshot(ls, l.snapshot());
        assertEquals("sharded", restored.recordedHosting());
        assertEquals(0, restored.recordedPartition());
        PartitionedLedger none = PartitionedLedger.fromSnapshot(ls, new PartitionedLedger(ls).snapshot());
        assertEquals(null, none.recordedHosting());
        assertEquals(null, none.recordedPartition());
    }

    /** The state of a journal whose first event is {@code first}, as the coordinator's event handler makes it. */
    private static Coordinator.State recovered(Coordinator.TookOver first) {
        PartitionedLedger l = new PartitionedLedger(LedgerSettings.DEFAULTS, 1024,
                Partitioning.of(JournalPartitions.written(first.partitions())));
        return new Coordinator.State(CoordinatorCore.apply(l, first));
    }

    // ---- in the journal

    @Test
    void theFirstTakeoverRecordingTheNumberFixesItAndSnapshotsKeepIt() {
        LedgerSettings ls = LedgerSettings.DEFAULTS;
        TestJournal events = new TestJournal(ls);
        PartitionedLedger first = new PartitionedLedger(ls);
        events.run(first, new CoordinatorCore(false).takeOver("old", 1, 30_000)); // as written today: 1
        assertEquals(1, first.recordedPartitions());
        assertEquals(1, ((Coordinator.TookOver) events.events.get(0)).partitions());

        PartitionedLedger old = TestJournal.replay(ls, List.of(new Coordinator.TookOver("before", 1, 0, 0)));
        assertEquals(0, old.recordedPartitions(), "a takeover from before the number was recorded records none");
        CoordinatorCore.apply(old, new Coordinator.TookOver("next", 2, 30_000, 1));
        CoordinatorCore.apply(old, new Coordinator.TookOver("later", 3, 30_000, 0));
        assertEquals(1, old.recordedPartitions(), "kept");
        assertEquals(1, PartitionedLedger.fromSnapshot(ls, old.snapshot()).recordedPartitions());
        assertEquals(0, PartitionedLedger.fromSnapshot(ls, new PartitionedLedger(ls).snapshot()).recordedPartitions());
    }

    // ---- the coordinator

    @Test
    void anOldJournalWithoutTheNumberStartsWithOnePartitionAndThenCarriesIt() {
        journal.persistForRecovery(PID, List.of(new Coordinator.TookOver("before", 1, 30_000, 0)));
        ActorRef<ToCoordinator> first = spawn();
        assertAnswers(first);
        List<Object> written = journal.persistedInStorage(PID);
        assertEquals(2, written.size(), written.toString());
        assertEquals(1, assertInstanceOf(Coordinator.TookOver.class, written.get(1)).partitions());
        kit.stop(first);

        ActorRef<ToCoordinator> second = spawn(); // from the snapshot of the takeover (snapshot-every = 1)
        assertAnswers(second);
        written = journal.persistedInStorage(PID);
        assertEquals(3, written.size(), written.toString());
        assertEquals(1, assertInstanceOf(Coordinator.TookOver.class, written.get(2)).partitions());
        kit.stop(second);
    }

    @Test
    void aJournalWrittenWithAnotherNumberWritesNothingAndStops() {
        journal.persistForRecovery(PID, List.of(new Coordinator.TookOver("with two", 1, 30_000, 2)));
        try (LogCapture log = LogCapture.of(Coordinator.class)) {
            ActorRef<ToCoordinator> refused = spawn();
            TestProbe<Coordinator.Summary> summary = kit.createTestProbe();
            refused.tell(new Coordinator.GetSummary(summary.getRef()));
            summary.expectTerminated(refused, Duration.ofSeconds(30));
            summary.expectNoMessage(Duration.ofMillis(200));
            assertEquals(1, journal.persistedInStorage(PID).size(), "no takeover written");
            assertTrue(log.events().stream().anyMatch(e -> e.getLevel() == ch.qos.logback.classic.Level.ERROR
                    && e.getFormattedMessage().contains("journal was written with P = 2 partitions, and "
                    + "blob-gc.partitions = 1 is configured")), log.messages().toString());
            assertFalse(log.messages().stream().anyMatch(m -> m.contains("took over")), log.messages().toString());
        }
    }

    @Test
    void anEmptyJournalTakesFourPartitionsAndItsSnapshotIsFourSectionsThatARestartRecoversFrom() {
        ActorRef<ToCoordinator> first = spawn(4);
        assertAnswers(first);
        assertEquals(4, assertInstanceOf(Coordinator.TookOver.class, journal.persistedInStorage(PID).get(0))
                .partitions());
        kit.stop(first);
        var snapshots = SnapshotTestKit.create(kit.system()).persistedInStorage(PID);
        assertFalse(snapshots.isEmpty(), "snapshot-every = 1");
        var sections = assertInstanceOf(SnapshotSections.class, snapshots.get(snapshots.size() - 1).second());
        assertEquals(4, sections.partitions().size());
        assertTrue(sections.partitions().stream().allMatch(p -> p.partitions() == 4), "each section records P = 4");

        ActorRef<ToCoordinator> second = spawn(4); // from the four sections
        assertAnswers(second);
        List<Object> written = journal.persistedInStorage(PID);
        assertEquals(4, assertInstanceOf(Coordinator.TookOver.class, written.get(written.size() - 1)).partitions());
        kit.stop(second);

        int before = journal.persistedInStorage(PID).size();
        assertRefused(1, "journal was written with P = 4 partitions, and blob-gc.partitions = 1 is configured");
        assertEquals(before, journal.persistedInStorage(PID).size(), "no takeover written");
    }

    @Test
    void aJournalOfOnePartitionRestartedWithFourWritesNothingAndStops() {
        journal.persistForRecovery(PID, List.of(new Coordinator.TookOver("with one", 1, 30_000, 1)));
        assertRefused(4, "journal was written with P = 1 partitions, and blob-gc.partitions = 4 is configured");
        assertEquals(1, journal.persistedInStorage(PID).size(), "no takeover written");
    }

    @Test
    void aJournalOfFourPartitionsHostedShardedWritesNothingAndStops() {
        journal.persistForRecovery(PID, List.of(new Coordinator.TookOver("conductor", 1, 30_000, 4, "sharded", null)));
        assertRefused(4, "journal blob-gc-coordinator was written with blob-gc.partition-hosting = sharded (P = 4), "
                + "and this member runs blob-gc.partition-hosting = coordinator");
        assertEquals(1, journal.persistedInStorage(PID).size(), "no takeover written");
    }

    @Test
    void aTakeoverWritesNoHostingNorPartition() {
        ActorRef<ToCoordinator> first = spawn(4);
        assertAnswers(first);
        var t = assertInstanceOf(Coordinator.TookOver.class, journal.persistedInStorage(PID).get(0));
        assertEquals(null, t.hosting(), "coordinator hosting, as before it was recorded");
        assertEquals(null, t.partition());
        kit.stop(first);
    }

    @Test
    void aJournalRecordingANumberThatIsNoNumberOfPartitionsIsRefusedNotReplayedForever() {
        journal.persistForRecovery(PID, List.of(new Coordinator.TookOver("foreign", 1, 30_000, 3)));
        assertRefused(1, "journal was written with P = 3 partitions, and blob-gc.partitions = 1 is configured");
        assertEquals(1, journal.persistedInStorage(PID).size(), "no takeover written");
    }

    private void assertRefused(int partitions, String why) {
        try (LogCapture log = LogCapture.of(Coordinator.class)) {
            ActorRef<ToCoordinator> refused = spawn(partitions);
            TestProbe<Coordinator.Summary> summary = kit.createTestProbe();
            refused.tell(new Coordinator.GetSummary(summary.getRef()));
            summary.expectTerminated(refused, Duration.ofSeconds(30));
            assertTrue(log.events().stream().anyMatch(e -> e.getLevel() == ch.qos.logback.classic.Level.ERROR
                    && e.getFormattedMessage().contains(why)), log.messages().toString());
        }
    }

    private ActorRef<ToCoordinator> spawn() {
        return kit.spawn(Coordinator.create(SETTINGS, new FileBlobStore(storeRoot), Clock.systemUTC()));
    }

    private ActorRef<ToCoordinator> spawn(int partitions) {
        return kit.spawn(Coordinator.create(SETTINGS.withValue("partitions", partitions), new FileBlobStore(storeRoot),
                Clock.systemUTC()));
    }

    private void assertAnswers(ActorRef<ToCoordinator> coordinator) {
        TestProbe<Coordinator.Summary> summary = kit.createTestProbe();
        coordinator.tell(new Coordinator.GetSummary(summary.getRef()));
        summary.expectMessageClass(Coordinator.Summary.class, Duration.ofSeconds(30));
    }
}
