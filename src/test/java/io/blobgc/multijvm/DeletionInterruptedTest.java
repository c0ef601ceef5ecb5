package io.blobgc.multijvm;

import io.blobgc.Postgres;
import io.blobgc.cluster.HeldStore;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Scenario b: kill -9 of the coordinator between DeletionStarted and BlobsCollected (the store, a {@link HeldStore},
 * fails the sweepers' deletions while held, after the blobs were fenced). The new coordinator finishes exactly those
 * deletions.
 */
class DeletionInterruptedTest {

    @Test
    void theNewCoordinatorFinishesTheDeletionsTheOldOneStarted() throws Exception {
        Postgres.assume();
        Postgres.clean();
        // the nodes' store fails every deletion while held; a failed one is retried within 2 s of the release
        String common = Postgres.nodeConfig() + "\nblob-gc.store.class = \"" + HeldStore.class.getName() + "\""
                + "\nblob-gc.sweeper.retry-backoff.max = 2s";
        Path hold = null;
        try (Scenario s = Scenario.start("b-postgres", 3, common)) {
            hold = HeldStore.holdFile(s.nodes.dir.resolve("blobs"));
            Files.writeString(hold, "the store fails its deletions while this file exists");
            String kept = s.upload("kept");
            s.lease(2, "vm", kept);
            List<String> condemned = List.of(s.upload("condemned 1"), s.upload("condemned 2"), s.upload("condemned 3"));
            // held while they are uploaded, then let go at once: unreferenced, marked and fenced in the same cycles;
            // the held store fails their deletions, so they stay DELETING
            s.lease(2, "uploader", condemned.toArray(String[]::new));
            for (String h : condemned) s.awaitStatus(h, "ACTIVE");
            s.dropLease(2, "uploader");
            for (String h : condemned) s.awaitStatus(h, "DELETING");
            long collectedBefore = s.nodes.summary().path("collected").asLong();
            for (String h : condemned) assertTrue(s.onDisk(h), "fenced, not deleted yet");

            s.killCoordinator();
            for (String h : condemned) {
                assertEquals("DELETING", s.status(h), "the fence survived the failover");
                assertTrue(s.onDisk(h));
            }
            Files.delete(hold); // let the new coordinator's sweeper's deletions succeed
            for (String h : condemned) s.awaitStatus(h, "COLLECTED");
            for (String h : condemned) assertTrue(!s.onDisk(h), "deleted from the store: " + h);
            assertEquals(collectedBefore + condemned.size(), s.nodes.summary().path("collected").asLong(),
                    "exactly those deletions were finished");
            assertEquals("ACTIVE", s.status(kept));
            assertTrue(s.onDisk(kept));
        } finally {
            if (hold != null) Files.deleteIfExists(hold);
        }
    }
}
