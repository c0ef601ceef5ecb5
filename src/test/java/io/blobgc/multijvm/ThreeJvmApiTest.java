package io.blobgc.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import io.blobgc.BlobHash;
import io.blobgc.store.FileBlobStore;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three node JVMs driven only through the admin API: blobs leased on different nodes and a pinned one stay on
 * disk, an unused one is deleted; kill -9 of the coordinator's JVM; the coordinator moves, recovers and keeps
 * every decision; collection goes on.
 */
class ThreeJvmApiTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    private static void await(String what, Callable<Boolean> condition) throws Exception {
        long until = System.nanoTime() + WAIT.toNanos();
        Exception last = null;
        while (System.nanoTime() < until) {
            try {
                if (condition.call()) return;
            } catch (Exception e) {
                last = e;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("timed out waiting for: " + what + (last == null ? "" : " (last error: " + last + ")"));
    }

    private static String upload(NodeProcesses nodes, int via, String content) throws Exception {
        byte[] bytes = content.getBytes();
        String hex = BlobHash.sha256(bytes).toHex();
        assertEquals(201, nodes.send(via, "PUT", "/v1/blobs/" + hex, bytes, "application/octet-stream").status());
        return hex;
    }

    private static String status(NodeProcesses nodes, int via, String hex) throws Exception {
        return nodes.get(via, "/v1/blobs/" + hex).json().path("status").asText();
    }

    private static void lease(NodeProcesses nodes, int node, String holder, String hex) throws Exception {
        var r = nodes.json(node, "PUT", "/v1/node/holders/" + holder, "{\"hashes\":[\"" + hex + "\"],\"ttl\":\"10m\"}");
        assertEquals(200, r.status(), String.valueOf(r.json()));
    }

    @Test
    void threeJvmsDrivenThroughTheApiSurviveKillingTheCoordinator() throws Exception {
        Path dir = Path.of("target", "multi-jvm", "ThreeJvmApiTest");
        try (NodeProcesses nodes = new NodeProcesses(dir, 3, "")) {
            FileBlobStore store = new FileBlobStore(nodes.dir.resolve("blobs"));
            nodes.start(1, "");
            nodes.awaitReady(1, WAIT);
            nodes.start(2, "");
            nodes.start(3, "");
            nodes.awaitReady(2, WAIT);
            nodes.awaitReady(3, WAIT);
            await("3 nodes reporting", () -> nodes.summary().path("nodes").size() == 3);

            String onNode2 = upload(nodes, 2, "leased by a VM on node 2");
            String onNode3 = upload(nodes, 3, "leased by a VM on node 3");
            String pinned = upload(nodes, 1, "pinned by the operator");
            String unused = upload(nodes, 2, "used by nobody");
            lease(nodes, 2, "vm-a", onNode2);
            lease(nodes, 3, "vm-b", onNode3);
            assertEquals(200, nodes.json(1, "PUT", "/v1/pins/" + pinned, "{\"owner\":\"ops\",\"reason\":\"keep\"}").status());

            await("the unused blob is collected", () -> status(nodes, 3, unused).equals("COLLECTED"));
            assertFalse(Files.exists(store.pathOf(BlobHash.parse(unused))));
            for (String kept : List.of(onNode2, onNode3, pinned)) {
                assertTrue(Files.exists(store.pathOf(BlobHash.parse(kept))), kept);
            }

            JsonNode before = nodes.summary();
            int victim = nodes.indexOf(before.path("coordinatorNode").asText());
            assertEquals(1, victim, "the oldest node hosts the coordinator");
            long killedAt = System.nanoTime();
            nodes.kill(victim);
            await("a warm coordinator on a survivor", () -> {
                JsonNode s = nodes.summary();
                return s != null && !s.path("coordinatorNode").asText().equals(before.path("coordinatorNode").asText())
                        && !s.path("warmingUp").asBoolean() && s.path("cycle").asLong() > before.path("cycle").asLong();
            });
            System.out.printf("ThreeJvmApiTest: failover after kill -9 took %.1f s%n", (System.nanoTime() - killedAt) / 1e9);

            JsonNode after = nodes.summary();
            assertNotEquals(before.path("coordinatorNode"), after.path("coordinatorNode"));
            assertTrue(after.path("cycle").asLong() >= before.path("cycle").asLong(), "no cycle lost");
            assertEquals("COLLECTED", status(nodes, 2, unused), "decisions kept");
            assertEquals("PINNED", status(nodes, 2, pinned));
            assertEquals("ops", nodes.get(2, "/v1/blobs/" + pinned).json().path("pins").get(0).path("owner").asText());

            String later = upload(nodes, 3, "unused, uploaded after the failover");
            await("collection goes on", () -> status(nodes, 2, later).equals("COLLECTED"));
            assertFalse(Files.exists(store.pathOf(BlobHash.parse(later))));
            for (String kept : List.of(onNode2, onNode3, pinned)) {
                assertTrue(Files.exists(store.pathOf(BlobHash.parse(kept))), "still on disk: " + kept);
                assertNotEquals("COLLECTED", status(nodes, 3, kept));
            }
        }
    }
}
