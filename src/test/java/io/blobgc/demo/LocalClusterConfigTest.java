package io.blobgc.demo;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The demo's and the multi-JVM tests' nodes ({@link LocalCluster#nodeConfig}) run the cluster settings shipped in
 * {@code config/cluster.conf} — the downing, failure detector and failover timings that CoordinatorKillTest measures —
 * so a value changed in one and not in the other fails here.
 */
class LocalClusterConfigTest {

    /** Set in cluster.conf for a real deployment only: LocalCluster's nodes are stopped by whoever started them. */
    private static final Set<String> DEPLOYMENT_ONLY = Set.of("shutdown-after-unsuccessful-join-seed-nodes");

    @Test
    void localNodesRunTheShippedClusterSettings() {
        Config reference = ConfigFactory.defaultReference();
        Config shipped = ConfigFactory.parseFile(Path.of("config/cluster.conf").toFile()).withFallback(reference)
                .resolve();
        Config local = ConfigFactory.parseString(LocalCluster.nodeConfig(Path.of("target", "local-cluster-config"),
                        2552, List.of(2552), 7400, new LocalCluster.Timings("2s", "500ms", "200ms", "4s")))
                .withFallback(reference).resolve();
        Config declared = ConfigFactory.parseFile(Path.of("config/cluster.conf").toFile()).getConfig("pekko.cluster");
        int compared = 0;
        for (Map.Entry<String, ConfigValue> e : declared.entrySet()) {
            if (DEPLOYMENT_ONLY.contains(e.getKey())) continue;
            String path = "pekko.cluster." + e.getKey();
            assertEquals(shipped.getValue(path).unwrapped(), local.getValue(path).unwrapped(),
                    path + ": LocalCluster and config/cluster.conf differ");
            compared++;
        }
        assertTrue(compared >= 8, "cluster.conf's failover settings were compared: " + compared);
    }

    /**
     * {@code config/local-3-nodes-sharded/}: the three nodes of {@code config/local-3-nodes/} (same ports) with 16
     * partitions hosted sharded, on a journal and store of their own (P and the hosting are fixed for a journal's life):
     * sharded by the one setting, {@code blob-gc.partitions} (the hosting is the default, auto, which shards in a
     * cluster).
     */
    @Test
    void theShardedThreeNodeConfigsRunSixteenPartitionEntitiesOnTheirOwnJournal() {
        for (int n = 1; n <= 3; n++) {
            Config sharded = ConfigFactory.parseFile(Path.of("config/local-3-nodes-sharded/node" + n + ".conf")
                    .toFile()).withFallback(ConfigFactory.defaultReference()).resolve();
            Config plain = ConfigFactory.parseFile(Path.of("config/local-3-nodes/node" + n + ".conf").toFile())
                    .withFallback(ConfigFactory.defaultReference()).resolve();
            io.blobgc.BlobGcSettings s = io.blobgc.BlobGcSettings.from(sharded);
            assertTrue(s.partitionsSharded(), "node" + n);
            assertEquals("auto", sharded.getString("blob-gc.partition-hosting"), "node" + n + ": one setting");
            assertEquals(16, s.partitions());
            assertEquals(Path.of("./data-sharded"), s.dataDir());
            assertTrue(s.storeRoot().startsWith(Path.of("./data-sharded")), s.storeRoot().toString());
            String url = sharded.getString("pekko-persistence-jdbc.shared-databases.blob-gc.db.url");
            assertTrue(url.contains("./data-sharded/journal"), url);
            for (String port : List.of("pekko.remote.artery.canonical.port", "blob-gc.http.port",
                    "pekko.management.http.port")) {
                assertEquals(plain.getInt(port), sharded.getInt(port), "node" + n + " " + port);
            }
        }
    }
}
