package io.blobgc.journal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;
import io.blobgc.Postgres;
import io.blobgc.coordinator.Coordinator;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.Register;
import io.blobgc.protocol.ReporterProtocol.Registered;
import io.blobgc.protocol.ReporterProtocol.Report;
import io.blobgc.protocol.ReporterProtocol.ReportAck;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.protocol.ReporterProtocol.ToReporter;
import io.blobgc.store.FileBlobStore;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The coordinator on the real JDBC journal: the schema is created from the plugin's DDL (twice: the second time
 * must be a no-op), events and snapshots are written, and a new coordinator incarnation recovers statuses, pins,
 * cycle counter and history from them. H2 (file) always; PostgreSQL when {@code BLOB_GC_TEST_POSTGRES} is set.
 */
class JdbcJournalRecoveryTest {

    @TempDir
    Path dir;

    @Test
    void coordinatorRecoversFromAnH2FileJournal() throws Exception {
        String url = "jdbc:h2:file:" + dir.toAbsolutePath().toString().replace('\\', '/') + "/journal;AUTO_SERVER=TRUE;WRITE_DELAY=0";
        recoversFrom(ConfigFactory.parseString(
                "pekko-persistence-jdbc.shared-databases.blob-gc.db.url = \"" + url + "\""));
    }

    @Test
    void coordinatorRecoversFromAPostgresJournal() throws Exception {
        Postgres.assume();
        Postgres.clean();
        recoversFrom(ConfigFactory.parseFile(Postgres.configFile()));
    }

    private void recoversFrom(Config journal) throws Exception {
        Config config = journal.withFallback(ConfigFactory.parseString("""
                pekko.actor.provider = local
                blob-gc {
                  grace-period = 0s
                  cycle-interval = 1h
                  heartbeat-interval = 1h
                  stale-report-threshold = 3h
                  coordinator.snapshot-every = 5
                  store.root = "%s"
                }
                """.formatted(dir.resolve("blobs").toString().replace('\\', '/'))))
                .withFallback(ConfigFactory.defaultReferenceUnresolved()).resolve();
        BlobGcSettings settings = BlobGcSettings.from(config);
        Config db = config.getConfig("pekko-persistence-jdbc.shared-databases.blob-gc");
        JournalSchema.ensure(db);
        JournalSchema.ensure(db); // idempotent: the tables exist now
        ActorTestKit kit = ActorTestKit.create("JdbcJournalRecoveryTest", config);
        try {
            FileBlobStore store = new FileBlobStore(settings.storeRoot());
            BlobHash used = BlobHash.sha256("used".getBytes()), free = BlobHash.sha256("free".getBytes());
            BlobHash pinned = BlobHash.sha256("pinned".getBytes());
            for (String content : List.of("used", "free", "pinned")) store.put(BlobHash.sha256(content.getBytes()),
                    content.getBytes()); // uploads write the content, then register
            TestProbe<Object> replies = kit.createTestProbe();
            TestProbe<ToReporter> reporter = kit.createTestProbe();

            ActorRef<ToCoordinator> first = kit.spawn(Coordinator.create(settings, store, Clock.systemUTC()));
            first.tell(new Register(List.of(Registration.of(used), Registration.of(free),
                    Registration.of(pinned)), replies.getRef().narrow()));
            // the first command waits for the recovery of a new journal (slow on a loaded machine: 3 s was not enough)
            replies.expectMessageClass(Registered.class, Duration.ofSeconds(30));
            first.tell(new Coordinator.PinBlob(pinned, "ops", "keep", null, replies.getRef().narrow()));
            assertTrue(((Coordinator.OpResult) replies.receiveMessage()).ok());
            first.tell(new Report(NodeReport.full("n1", 1, 1, List.of(used), List.of()), reporter.getRef()));
            reporter.expectMessageClass(ReportAck.class);
            for (int i = 0; i < 6; i++) {
                first.tell(new Report(NodeReport.delta("n1", 1, 2 + i, List.of(), List.of(), List.of(),
                        List.of()), reporter.getRef()));
                first.tell(new Coordinator.RunCycleNow(false, replies.getRef().narrow()));
                replies.expectMessageClass(CycleOutcome.class);
            }
            TestProbe<Coordinator.BlobReply> collected = kit.createTestProbe();
            collected.awaitAssert(() -> {
                first.tell(new Coordinator.GetBlob(free, collected.getRef()));
                assertEquals(BlobStatus.COLLECTED, collected.receiveMessage().info().status());
                return null;
            });
            TestProbe<Coordinator.Summary> before = kit.createTestProbe();
            first.tell(new Coordinator.GetSummary(before.getRef()));
            long cycles = before.receiveMessage().cycle();
            kit.stop(first);

            ActorRef<ToCoordinator> second = kit.spawn(Coordinator.create(settings, store, Clock.systemUTC()));
            TestProbe<Coordinator.BlobReply> blob = kit.createTestProbe();
            second.tell(new Coordinator.GetBlob(free, blob.getRef()));
            var freeInfo = blob.receiveMessage().info();
            assertEquals(BlobStatus.COLLECTED, freeInfo.status());
            assertTrue(freeInfo.collectedAt() != null && freeInfo.markedCycle() != null);
            second.tell(new Coordinator.GetBlob(pinned, blob.getRef()));
            var pinInfo = blob.receiveMessage().info();
            assertEquals(BlobStatus.PINNED, pinInfo.status());
            assertEquals("ops", pinInfo.pins().get(0).owner());
            TestProbe<Coordinator.Summary> summary = kit.createTestProbe();
            second.tell(new Coordinator.GetSummary(summary.getRef()));
            Coordinator.Summary s = summary.receiveMessage();
            assertEquals(cycles, s.cycle());
            assertEquals(1, s.totalCollected());
            assertTrue(s.warmingUp(), "a recovered coordinator waits for FULL reports");
            TestProbe<Coordinator.History> history = kit.createTestProbe();
            second.tell(new Coordinator.GetHistory(10, history.getRef()));
            assertTrue(history.receiveMessage().entries().stream().anyMatch(e -> !e.marked().isEmpty()));
        } finally {
            kit.shutdownTestKit();
        }
    }

}
