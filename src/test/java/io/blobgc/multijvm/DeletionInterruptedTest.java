package io.blobgc.multijvm;

import io.blobgc.Postgres;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Scenario b: kill -9 of the coordinator between DeletionStarted and BlobsCollected (the sweeper is held by a test
 * hook after the blobs were fenced). The new coordinator finishes exactly those deletions.
 */
class DeletionInterruptedTest {

    @Test
    void theNewCoordinatorFinishesTheDeletionsTheOldOneStarted() throws Exception {
        Postgres.assume();
        Postgres.clean();
        Path hold = Path.of("target", "multi-jvm", "b-hold-sweeper").toAbsolutePath();
        Files.createDirectories(hold.getParent());
        Files.writeString(hold, "the sweepers hold their batches while this file exists");
        String common = Postgres.nodeConfig() + "\nblob-gc.test-hooks.sweeper-hold-file = \""
                + hold.toString().replace('\\', '/') + "\"";
        try (Scenario s = Scenario.start("b-postgres", 3, common)) {
            String kept = s.upload("kept");
            s.lease(2, "vm", kept);
            List<String> condemned = List.of(s.upload("condemned 1"), s.upload("condemned 2"), s.upload("condemned 3"));
            // held while they are uploaded, then let go at once: unreferenced, marked and fenced in the same cycles, so
            // the one batch the (held) sweeper takes holds all three
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
            Files.delete(hold); // let the new coordinator's sweeper go on
            for (String h : condemned) s.awaitStatus(h, "COLLECTED");
            for (String h : condemned) assertTrue(!s.onDisk(h), "deleted from the store: " + h);
            assertEquals(collectedBefore + condemned.size(), s.nodes.summary().path("collected").asLong(),
                    "exactly those deletions were finished");
            assertEquals("ACTIVE", s.status(kept));
            assertTrue(s.onDisk(kept));
        } finally {
            Files.deleteIfExists(hold);
        }
    }
}
