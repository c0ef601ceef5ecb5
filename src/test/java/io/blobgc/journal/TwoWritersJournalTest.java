package io.blobgc.journal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;
import io.blobgc.Postgres;
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
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * What the S10 fence (issue 22) rests on, shown rather than assumed: two coordinator instances with the one
 * persistence id, in two actor systems (two members) on one JDBC journal. The one that recovered later writes first;
 * the earlier one's next write takes a sequence number that is taken — the journal's unique (persistence id,
 * sequence number) refuses it, what it was about to decide never happens (no event, no answer), and the instance
 * restarts and recovers from the journal, the later one's write included. H2 (file) always;
 * PostgreSQL when {@code BLOB_GC_TEST_POSTGRES} is set.
 */
class TwoWritersJournalTest {

    @TempDir
    Path dir;

    @Test
    void onH2AStaleWritersWriteFailsAndItRecoversTheNewerWrites() throws Exception {
        aStaleWritersWriteFails(h2());
    }

    @Test
    void onPostgresAStaleWritersWriteFailsAndItRecoversTheNewerWrites() throws Exception {
        Postgres.assume();
        Postgres.clean();
        aStaleWritersWriteFails(ConfigFactory.parseFile(Postgres.configFile()));
    }

    @Test
    void onH2ARecoveryAloneFencesTheEarlierInstance() throws Exception {
        aRecoveryAloneFences(h2());
    }

    @Test
    void onPostgresARecoveryAloneFencesTheEarlierInstance() throws Exception {
        Postgres.assume();
        Postgres.clean();
        aRecoveryAloneFences(ConfigFactory.parseFile(Postgres.configFile()));
    }

    private Config h2() {
        String url = "jdbc:h2:file:" + dir.toAbsolutePath().toString().replace('\\', '/')
                + "/journal;AUTO_SERVER=TRUE;WRITE_DELAY=0";
        return ConfigFactory.parseString("pekko-persistence-jdbc.shared-databases.blob-gc.db.url = \"" + url + "\"");
    }

    /**
     * S10's takeover write: a second instance that recovers and is asked nothing that writes — only a read — has
     * written already (its TookOver, before it answers the read). The first instance, late, not dead, cannot write
     * after it: its registration is refused by the journal and never answered, and it recovers instead. Without the
     * takeover write the first one's write would land and the second would decide on a journal it had not read.
     */
    private void aRecoveryAloneFences(Config journal) throws Exception {
        Config config = config(journal);
        BlobGcSettings settings = BlobGcSettings.from(config);
        JournalSchema.ensure(config.getConfig("pekko-persistence-jdbc.shared-databases.blob-gc"));
        FileBlobStore store = new FileBlobStore(settings.storeRoot());
        BlobHash x = put(store, "registered by the first instance"), z = put(store, "the late instance's write");
        ActorTestKit memberA = ActorTestKit.create("FenceA", config);
        ActorTestKit memberB = ActorTestKit.create("FenceB", config);
        try {
            ActorRef<ToCoordinator> first = memberA.spawn(Coordinator.create(settings, store, Clock.systemUTC()));
            TestProbe<Registered> replyA = memberA.createTestProbe();
            first.tell(new Register(List.of(Registration.of(x)), replyA.getRef()));
            assertEquals(List.of(x), replyA.receiveMessage(Duration.ofSeconds(30)).accepted());

            ActorRef<ToCoordinator> second = memberB.spawn(Coordinator.create(settings, store, Clock.systemUTC()));
            TestProbe<Coordinator.BlobReply> read = memberB.createTestProbe();
            second.tell(new Coordinator.GetBlob(x, read.getRef())); // answered once its takeover is written
            assertEquals(BlobStatus.ACTIVE, read.receiveMessage(Duration.ofSeconds(30)).info().status());

            first.tell(new Register(List.of(Registration.of(z)), replyA.getRef()));
            replyA.expectNoMessage(Duration.ofSeconds(3));
            second.tell(new Coordinator.GetBlob(z, read.getRef()));
            assertNull(read.receiveMessage(Duration.ofSeconds(30)).info(), "the late instance's write landed");
            ActorRef<ToCoordinator> third = memberB.spawn(Coordinator.create(settings, store, Clock.systemUTC()));
            third.tell(new Coordinator.GetBlob(z, read.getRef()));
            assertNull(read.receiveMessage(Duration.ofSeconds(30)).info(), "the journal holds the late write");
        } finally {
            memberA.shutdownTestKit();
            memberB.shutdownTestKit();
        }
    }

    private Config config(Config journal) {
        return journal.withFallback(ConfigFactory.parseString("""
                pekko.actor.provider = local
                pekko.loglevel = INFO
                blob-gc {
                  cycle-interval = 1h
                  heartbeat-interval = 1h
                  stale-report-threshold = 3h
                  coordinator.snapshot-every = 1000
                  store.root = "%s"
                }
                """.formatted(dir.resolve("blobs").toString().replace('\\', '/'))))
                .withFallback(ConfigFactory.defaultReferenceUnresolved()).resolve();
    }

    private void aStaleWritersWriteFails(Config journal) throws Exception {
        Config config = config(journal);
        BlobGcSettings settings = BlobGcSettings.from(config);
        JournalSchema.ensure(config.getConfig("pekko-persistence-jdbc.shared-databases.blob-gc"));
        FileBlobStore store = new FileBlobStore(settings.storeRoot());
        BlobHash x = put(store, "registered by the first instance"), y = put(store, "registered by the second");
        BlobHash z = put(store, "the stale instance's late registration");
        ActorTestKit memberA = ActorTestKit.create("TwoWritersA", config);
        ActorTestKit memberB = ActorTestKit.create("TwoWritersB", config);
        try {
            ActorRef<ToCoordinator> first = memberA.spawn(Coordinator.create(settings, store, Clock.systemUTC()));
            TestProbe<Registered> replyA = memberA.createTestProbe();
            first.tell(new Register(List.of(Registration.of(x)), replyA.getRef()));
            assertEquals(List.of(x), replyA.receiveMessage(Duration.ofSeconds(30)).accepted());

            // a second instance recovers (the first one is paused, as far as it knows) and writes
            ActorRef<ToCoordinator> second = memberB.spawn(Coordinator.create(settings, store, Clock.systemUTC()));
            TestProbe<Registered> replyB = memberB.createTestProbe();
            second.tell(new Register(List.of(Registration.of(y)), replyB.getRef()));
            assertEquals(List.of(y), replyB.receiveMessage(Duration.ofSeconds(30)).accepted());

            // the first one resumes: its write takes the sequence number the second one took, fails, and the
            // instance is restarted (coordinator.restart-backoff): it recovers from the journal, the second's write
            // included, and the command it was deciding is dropped unanswered
            first.tell(new Register(List.of(Registration.of(z)), replyA.getRef()));
            TestProbe<Coordinator.BlobReply> seen = memberA.createTestProbe();
            seen.awaitAssert(Duration.ofSeconds(30), () -> {
                first.tell(new Coordinator.GetBlob(y, seen.getRef()));
                var info = seen.receiveMessage(Duration.ofSeconds(5)).info();
                assertEquals(BlobStatus.ACTIVE, info == null ? null : info.status(), "recovered the second's write");
                return null;
            });
            replyA.expectNoMessage(Duration.ofMillis(300));

            // the journal holds the second instance's write, not the stale one's
            ActorRef<ToCoordinator> third = memberB.spawn(Coordinator.create(settings, store, Clock.systemUTC()));
            TestProbe<Coordinator.BlobReply> blob = memberB.createTestProbe();
            for (BlobHash h : List.of(x, y)) {
                third.tell(new Coordinator.GetBlob(h, blob.getRef()));
                assertEquals(BlobStatus.ACTIVE, blob.receiveMessage(Duration.ofSeconds(30)).info().status());
            }
            third.tell(new Coordinator.GetBlob(z, blob.getRef()));
            assertNull(blob.receiveMessage(Duration.ofSeconds(30)).info(), "the stale instance's write landed");
        } finally {
            memberA.shutdownTestKit();
            memberB.shutdownTestKit();
        }
    }

    private static BlobHash put(FileBlobStore store, String content) throws Exception {
        BlobHash h = BlobHash.sha256(content.getBytes());
        store.put(h, content.getBytes());
        return h;
    }
}
