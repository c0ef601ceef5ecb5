package io.blobgc.demo;


import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The config of one blob-gc node of a cluster on 127.0.0.1 whose nodes share one data directory (embedded journal
 * in H2 server mode, one blob store): Pekko Cluster with the split brain resolver and the tuned failure detector of
 * config/cluster.conf, and short GC timings. The demo and the tests start their nodes with it.
 */
public final class LocalCluster {

    /**
     * The jar's command line, which runs a node ({@code io.blobgc.cli.Main node}): named, not imported, since the
     * command line runs the demo (LocalClusterTest checks the name).
     */
    public static final String NODE_MAIN = "io.blobgc.cli.Main";

    /** How far above a node's HTTP port its Pekko Management listens (a node with HTTP port 0 lets the OS pick both). */
    public static final int MANAGEMENT_PORT_OFFSET = 1000;

    private LocalCluster() {
    }

    /** GC timings, as HOCON durations. */
    public record Timings(String grace, String cycle, String heartbeat, String staleAfter) {
    }

    /**
     * @param remotePort 0 for any free port
     * @param seedPorts  the seed nodes' remoting ports; empty when the caller joins the nodes itself
     * @param httpPort   the admin API's port, 0 for any free port (Pekko Management's: 1000 above it, or any)
     */
    public static String nodeConfig(Path dataDir, int remotePort, List<Integer> seedPorts, int httpPort, Timings t) {
        String data = dataDir.toAbsolutePath().toString().replace('\\', '/');
        String seeds = seedPorts.stream().map(p -> "\"pekko://blobgc@127.0.0.1:" + p + "\"")
                .collect(Collectors.joining(", "));
        return """
                pekko {
                  actor.provider = cluster
                  remote.artery.canonical.hostname = "127.0.0.1"
                  remote.artery.canonical.port = %2$d
                  cluster {
                    %3$s
                    downing-provider-class = "org.apache.pekko.cluster.sbr.SplitBrainResolverProvider"
                    split-brain-resolver.stable-after = 2s
                    failure-detector.heartbeat-interval = 500ms
                    failure-detector.acceptable-heartbeat-pause = 2s
                    gossip-interval = 500ms
                    leader-actions-interval = 250ms
                    down-removal-margin = 100ms
                    singleton-proxy.singleton-identification-interval = 250ms
                  }
                }
                blob-gc {
                  grace-period = %5$s
                  cycle-interval = %6$s
                  heartbeat-interval = %7$s
                  stale-report-threshold = %8$s
                  data-dir = "%1$s"
                  store.root = "%1$s/blobs"
                  http.enabled = on
                  http.port = %4$d
                }
                pekko-persistence-jdbc.shared-databases.blob-gc.db.url = "jdbc:h2:file:%1$s/journal;AUTO_SERVER=TRUE;WRITE_DELAY=0"
                pekko.management.http.port = %9$d
                """.formatted(data, remotePort, seeds.isEmpty() ? "" : "seed-nodes = [" + seeds + "]", httpPort,
                t.grace(), t.cycle(), t.heartbeat(), t.staleAfter(), httpPort == 0 ? 0 : httpPort + MANAGEMENT_PORT_OFFSET);
    }

    /** Writes {@code dir/logback.xml}: a node JVM started by {@link #nodeCommand} logs to its own file with it. */
    public static Path writeLogback(Path dir) throws IOException {
        return Files.writeString(dir.resolve("logback.xml"), """
                <configuration>
                  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
                    <file>${blobgc.node.log}</file>
                    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{20} - %msg%n</pattern></encoder>
                  </appender>
                  <logger name="com.zaxxer.hikari" level="WARN"/>
                  <logger name="slick" level="WARN"/>
                  <root level="INFO"><appender-ref ref="FILE"/></root>
                </configuration>
                """);
    }

    /** The command line of a node JVM: this JVM's java and {@code classpath}, logging to {@code log}. */
    public static List<String> nodeCommand(String classpath, Path logback, Path log, Path config, String heap) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return List.of(java, "-Xmx" + heap, "-XX:+UseSerialGC", "-Dlogback.configurationFile=" + logback,
                "-Dblobgc.node.log=" + log, "-cp", classpath, NODE_MAIN, "node", "--config", config.toString());
    }
}
