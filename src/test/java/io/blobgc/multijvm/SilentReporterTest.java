package io.blobgc.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import io.blobgc.Postgres;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Scenario d: a node alive (in the cluster) whose reporter is silent becomes STALE. With policy retain its blobs
 * stay while other collection goes on; with policy drop, the original's behaviour, they are collected. Node 3's
 * reporter is silenced by its active-set source, which hangs while a file exists ({@link StallingSource}).
 */
class SilentReporterTest {

    @Test
    void retainKeepsAStaleNodesBlobsWhileOtherCollectionGoesOn() throws Exception {
        run("d-retain", "retain");
    }

    @Test
    void dropCollectsAStaleNodesBlobs() throws Exception {
        run("d-drop", "drop");
    }

    private void run(String name, String policy) throws Exception {
        Postgres.assume();
        Postgres.clean();
        Path silence = Path.of("target", "multi-jvm", name + "-silence-node3").toAbsolutePath();
        Files.createDirectories(silence.getParent());
        Files.deleteIfExists(silence);
        String common = Postgres.nodeConfig() + "\nblob-gc.stale-node-policy = " + policy;
        Map<Integer, String> node3 = Map.of(3, "blob-gc.reporter.active-set-source = \""
                + StallingSource.class.getName() + "\"");
        Map<Integer, Map<String, String>> node3Env = Map.of(3, Map.of(StallingSource.FILE, silence.toString()));
        try (Scenario s = Scenario.start(name, 3, common, node3, node3Env)) {
            String onNode3 = s.upload("held on node 3, whose reporter goes silent");
            s.lease(3, "vm", onNode3);
            Scenario.await("node3 reports the lease", () -> s.blob(onNode3).path("referencedBy").size() == 1);
            Files.writeString(silence, "silent");
            Scenario.await("node3 STALE", () -> {
                for (JsonNode n : s.nodes.summary().path("nodes")) {
                    if (s.nodes.indexOf(n.path("node").asText()) == 3) return n.path("state").asText().equals("STALE");
                }
                return false;
            });
            String other = s.upload("unused, collected while node3 is stale");
            s.awaitStatus(other, "COLLECTED");
            if (policy.equals("retain")) {
                String more = s.upload("unused too");
                s.awaitStatus(more, "COLLECTED");
                assertEquals("ACTIVE", s.status(onNode3), "retained: a stale node's blobs stay");
                assertTrue(s.onDisk(onNode3));
                Files.delete(silence);
                Scenario.await("node3 LIVE again", () -> s.nodes.summary().path("nodes").findValuesAsText("state")
                        .stream().allMatch("LIVE"::equals));
                assertEquals("ACTIVE", s.status(onNode3));
            } else {
                s.awaitStatus(onNode3, "COLLECTED");
                assertTrue(!s.onDisk(onNode3), "dropped: the stale node's blob was collected");
            }
        } finally {
            Files.deleteIfExists(silence);
        }
    }
}
