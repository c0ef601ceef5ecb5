package io.blobgc.journal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.Register;
import io.blobgc.protocol.ReporterProtocol.Registered;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.store.FileBlobStore;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review of S10 (review-s10): the takeover write fences a late predecessor only while the journal row holding the
 * successor's {@code TookOver} (and the rows after it) exist. {@code coordinator.snapshot-every} with
 * {@code withDeleteEventsOnSnapshot} makes pekko-persistence-jdbc delete old rows physically (all below the highest
 * one up to snapshot − keep × every). Once the successor wrote enough events after its takeover, the sequence number
 * the paused predecessor writes next is free again: its write lands, it answers, it is not fenced. With the
 * defaults (every 1000, keep 2) that is after some 3000 events of the successor — a registration burst, or cycles
 * and reports over a long pause.
 */
class SnapshotDeletionFenceReviewTest {

    @TempDir
    Path dir;

    @Test
    void aLatePredecessorIsStillFencedAfterTheSuccessorsSnapshotsDeletedOldEvents() throws Exception {
        String url = "jdbc:h2:file:" + dir.toAbsolutePath().toString().replace('\\', '/')
                + "/journal;AUTO_SERVER=TRUE;WRITE_DELAY=0";
        Config config = ConfigFactory.parseString("pekko-persistence-jdbc.shared-databases.blob-gc.db.url = \"" + url
                        + "\"")
                .withFallback(ConfigFactory.parseString("""
                        pekko.actor.provider = local
                        pekko.loglevel = INFO
                        blob-gc {
                          cycle-interval = 1h
                          heartbeat-interval = 1h
                          stale-report-threshold = 3h
                          coordinator.snapshot-every = 2
                          coordinator.keep-snapshots = 1
                          store.root = "%s"
                        }
                        """.formatted(dir.resolve("blobs").toString().replace('\\', '/'))))
                .withFallback(ConfigFactory.defaultReferenceUnresolved()).resolve();
        BlobGcSettings settings = BlobGcSettings.from(config);
        Config db = config.getConfig("pekko-persistence-jdbc.shared-databases.blob-gc");
        JournalSchema.ensure(db);
        FileBlobStore store = new FileBlobStore(settings.storeRoot());
        BlobHash x = put(store, "registered by the first instance");
        BlobHash z = put(store, "the late instance's write");
        ActorTestKit memberA = ActorTestKit.create("SnapFenceA", config);
        ActorTestKit memberB = ActorTestKit.create("SnapFenceB", config);
        try {
            // the first instance: TookOver (seq 1), x (seq 2); then its JVM pauses
            ActorRef<ToCoordinator> first = memberA.spawn(Coordinator.create(settings, store, Clock.systemUTC()));
            TestProbe<Registered> replyA = memberA.createTestProbe();
            first.tell(new Register(List.of(Registration.of(x)), replyA.getRef()));
            assertEquals(List.of(x), replyA.receiveMessage(Duration.ofSeconds(30)).accepted());

            // the successor takes over (seq 3) and goes on writing: registrations, each an event (seq 4..11);
            // its snapshots delete the older events
            ActorRef<ToCoordinator> second = memberB.spawn(Coordinator.create(settings, store, Clock.systemUTC()));
            TestProbe<Registered> replyB = memberB.createTestProbe();
            for (int i = 0; i < 8; i++) {
                BlobHash y = put(store, "registered by the successor " + i);
                second.tell(new Register(List.of(Registration.of(y)), replyB.getRef()));
                assertEquals(List.of(y), replyB.receiveMessage(Duration.ofSeconds(30)).accepted());
            }
            // snapshots were taken (every 2 events), and the successor's takeover row (seq 3) is still there: events
            // are kept (coordinator.delete-events-on-snapshot = off), so its sequence number stays taken
            long until = System.nanoTime() + 30_000_000_000L;
            while (latestSnapshot(db) < 10 && System.nanoTime() < until) Thread.sleep(50); // the last one is written
            assertTrue(latestSnapshot(db) >= 10, "precondition: the successor's snapshots were taken");
            assertTrue(rowExists(db, 3), "the successor's takeover row was deleted: its sequence number is free");

            // the first instance resumes and writes: seq 3, free again — the fence must still refuse it
            first.tell(new Register(List.of(Registration.of(z)), replyA.getRef()));
            replyA.expectNoMessage(Duration.ofSeconds(3));
            ActorRef<ToCoordinator> third = memberB.spawn(Coordinator.create(settings, store, Clock.systemUTC()));
            TestProbe<Coordinator.BlobReply> read = memberB.createTestProbe();
            third.tell(new Coordinator.GetBlob(x, read.getRef()));
            assertEquals(BlobStatus.ACTIVE, read.receiveMessage(Duration.ofSeconds(30)).info().status());
        } finally {
            memberA.shutdownTestKit();
            memberB.shutdownTestKit();
        }
    }

    private static boolean rowExists(Config db, long seq) throws Exception {
        try (Connection c = DriverManager.getConnection(db.getString("db.url"), db.getString("db.user"),
                db.getString("db.password"));
             PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM PUBLIC.\"event_journal\" WHERE "
                     + "\"persistence_id\" = ? AND \"sequence_number\" = ?")) {
            s.setString(1, Coordinator.PERSISTENCE_ID.id());
            s.setLong(2, seq);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1) > 0;
            }
        }
    }

    /** The sequence number of the newest snapshot (0: none). */
    private static long latestSnapshot(Config db) throws Exception {
        try (Connection c = DriverManager.getConnection(db.getString("db.url"), db.getString("db.user"),
                db.getString("db.password"));
             PreparedStatement s = c.prepareStatement("SELECT COALESCE(MAX(\"sequence_number\"), 0) FROM "
                     + "PUBLIC.\"snapshot\" WHERE \"persistence_id\" = ?")) {
            s.setString(1, Coordinator.PERSISTENCE_ID.id());
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        }
    }

    private static BlobHash put(FileBlobStore store, String content) throws Exception {
        BlobHash h = BlobHash.sha256(content.getBytes());
        store.put(h, content.getBytes());
        return h;
    }
}
