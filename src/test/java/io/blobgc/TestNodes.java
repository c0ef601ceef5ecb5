package io.blobgc;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import java.nio.file.Path;

/** Configs for real nodes in tests: a cluster on loopback with fast failure detection, H2 and store under dir. */
public final class TestNodes {
    private TestNodes() {
    }

    /** A node config with short GC timings; {@code extra} (HOCON) goes over it. */
    public static Config config(Path dir, String extra) {
        String data = dir.toAbsolutePath().toString().replace('\\', '/');
        return ConfigFactory.parseString(extra).withFallback(ConfigFactory.parseString("""
                pekko.actor.provider = cluster
                pekko.loglevel = INFO
                pekko.remote.artery.canonical.hostname = 127.0.0.1
                pekko.remote.artery.canonical.port = 0
                pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
                pekko.cluster.downing-provider-class = "org.apache.pekko.cluster.sbr.SplitBrainResolverProvider"
                pekko.cluster.split-brain-resolver.stable-after = 2s
                pekko.cluster.failure-detector.heartbeat-interval = 500ms
                pekko.cluster.failure-detector.acceptable-heartbeat-pause = 2s
                blob-gc {
                  grace-period = 1s
                  cycle-interval = 300ms
                  heartbeat-interval = 200ms
                  stale-report-threshold = 5s
                  data-dir = "%1$s"
                  store.root = "%1$s/blobs"
                  http.port = 0
                }
                pekko-persistence-jdbc.shared-databases.blob-gc.db.url = "jdbc:h2:file:%1$s/journal;AUTO_SERVER=TRUE;WRITE_DELAY=0"
                """.formatted(data))).withFallback(ConfigFactory.defaultReferenceUnresolved()).resolve();
    }
}
