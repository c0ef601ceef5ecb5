package io.blobgc.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three node JVMs driven only through the admin API (embedded journal): blobs leased on different nodes and a
 * pinned one stay on disk, an unused one is deleted; kill -9 of the coordinator's JVM; the coordinator moves,
 * recovers and keeps every decision; collection goes on.
 */
class ThreeJvmApiTest {

    @Test
    void threeJvmsDrivenThroughTheApiSurviveKillingTheCoordinator() throws Exception {
        try (Scenario s = Scenario.start("ThreeJvmApiTest", 3, "")) {
            String onNode2 = s.upload("leased by a VM on node 2");
            String onNode3 = s.upload("leased by a VM on node 3");
            String pinned = s.upload("pinned by the operator");
            String unused = s.upload("used by nobody");
            s.lease(2, "vm-a", onNode2);
            s.lease(3, "vm-b", onNode3);
            s.pin(pinned, "ops");

            s.awaitStatus(unused, "COLLECTED");
            assertFalse(s.onDisk(unused));
            for (String kept : List.of(onNode2, onNode3, pinned)) assertTrue(s.onDisk(kept), kept);

            JsonNode before = s.nodes.summary();
            assertEquals(1, s.coordinator(), "the oldest node hosts the coordinator");
            double failover = s.killCoordinator();
            System.out.printf(Locale.ROOT, "ThreeJvmApiTest: failover after kill -9 took %.1f s%n", failover);

            JsonNode after = s.nodes.summary();
            assertNotEquals(before.path("coordinatorNode"), after.path("coordinatorNode"));
            assertTrue(after.path("cycle").asLong() >= before.path("cycle").asLong(), "no cycle lost");
            assertEquals("COLLECTED", s.status(unused), "decisions kept");
            assertEquals("PINNED", s.status(pinned));
            assertEquals("ops", s.blob(pinned).path("pins").get(0).path("owner").asText());

            String later = s.upload("unused, uploaded after the failover");
            s.awaitStatus(later, "COLLECTED");
            assertFalse(s.onDisk(later));
            for (String kept : List.of(onNode2, onNode3, pinned)) {
                assertTrue(s.onDisk(kept), "still on disk: " + kept);
                assertNotEquals("COLLECTED", s.status(kept));
            }
        }
    }
}
