package io.blobgc.coordinator;

import com.typesafe.config.Config;
import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.Register;
import io.blobgc.protocol.ReporterProtocol.Registered;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.store.BlobStore;
import io.blobgc.store.FileBlobStore;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Independent review of the store reconciliation, at the actor level (the core is covered by AdversarialReview3Test):
 * the Coordinator shell around {@link CoordinatorCore#storePage}.
 */
class OrphanWalkActorReviewTest {

    private static final Config CONFIG = CoordinatorTestKit.config("""
                coordinator.snapshot-every = 1000
                """);

    private static ActorTestKit kit;
    private static BlobGcSettings settings;

    @TempDir
    Path storeRoot;
    private FileBlobStore store;
    private EventSourcedBehaviorTestKit<ToCoordinator, Coordinator.Event, Coordinator.State> es;

    @BeforeAll
    static void startKit() {
        kit = ActorTestKit.create("OrphanWalkActorReviewTest", CONFIG);
        settings = BlobGcSettings.from(CONFIG);
    }

    @AfterAll
    static void stopKit() {
        kit.shutdownTestKit();
    }

    @BeforeEach
    void start() {
        store = new FileBlobStore(storeRoot);
        es = EventSourcedBehaviorTestKit.create(kit.system(), Coordinator.create(settings, store, Clock.systemUTC()),
                EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyState(false));
        es.clear();
    }

    /**
     * P3 (the walk is resumable after a restart). CoordinatorCore.storePage persists an OrphansCondemned with no
     * hashes for every page that moves the walk ("so that restarts more frequent than a pass over the store cannot
     * keep its end from being reached"), but Coordinator's onStorePage returned noReply() as soon as the page named no
     * orphan, before looking at the decision's events: the position of a page without orphans is never persisted.
     * A coordinator restarted more often than a pass takes re-reads the same first pages after every restart and
     * never reaches the orphans further on — the defect AdversarialReview3Test fixed in the core, back in the actor.
     */
    @Test
    void aPageWithoutOrphansPersistsTheWalksPositionInTheActorToo() throws Exception {
        List<BlobHash> hashes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            byte[] content = ("registered " + i).getBytes();
            BlobHash h = BlobHash.sha256(content);
            store.put(h, content);
            hashes.add(h);
        }
        hashes.sort(Comparator.comparing(BlobHash::toHex));
        var reg = es.<Registered>runCommand(ref -> new Register(
                hashes.stream().map(Registration::of).toList(), ref));
        assertEquals(hashes, reg.reply().accepted());

        long old = System.currentTimeMillis() - 7_200_000L;
        List<BlobStore.Entry> firstPage = hashes.subList(0, 2).stream().map(h -> new BlobStore.Entry(h, old)).toList();
        // the first page of the walk (from the first hash), with more to come: every hash on it is registered
        var page = es.runCommand(new Coordinator.StorePage(null, firstPage, true, false));
        var restarted = es.restart(); // a deploy, a failover, a journal failure
        assertEquals(hashes.get(1), restarted.state().ledger().orphanScanResumesAfter(),
                "after a restart the walk resumes from the first hash again: the page read before it is lost (the "
                        + "page persisted " + page.events() + ")");
    }
}
