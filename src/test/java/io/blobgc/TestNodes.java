package io.blobgc;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import io.blobgc.demo.LocalCluster;

import java.nio.file.Path;
import java.util.List;

/** Configs for real nodes in tests: a cluster on loopback with fast failure detection, H2 and store under dir. */
public final class TestNodes {
    private TestNodes() {
    }

    /** What the coordinator says of {@code h} (null: it does not know it), asked from {@code s}. */
    public static io.blobgc.ledger.BlobInfo blobInfo(org.apache.pekko.actor.typed.ActorSystem<?> s, BlobHash h)
            throws Exception {
        return org.apache.pekko.actor.typed.javadsl.AskPattern.<io.blobgc.protocol.ReporterProtocol.ToCoordinator,
                        io.blobgc.coordinator.Coordinator.BlobReply>ask(BlobGc.get(s).coordinator(),
                        r -> new io.blobgc.coordinator.Coordinator.GetBlob(h, r), java.time.Duration.ofSeconds(5),
                        s.scheduler())
                .toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS).info();
    }

    /** The events of journal {@code pid} (the nodes' H2 journal), read from {@code s}, in order. */
    public static List<Object> events(org.apache.pekko.actor.typed.ActorSystem<?> s, String pid) throws Exception {
        var journal = org.apache.pekko.persistence.query.PersistenceQuery.get(s).getReadJournalFor(
                org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal.class, "blob-gc.jdbc-read-journal");
        List<Object> out = new java.util.ArrayList<>();
        for (var e : journal.currentEventsByPersistenceId(pid, 0, Long.MAX_VALUE)
                .runWith(org.apache.pekko.stream.javadsl.Sink.seq(), s).toCompletableFuture()
                .get(30, java.util.concurrent.TimeUnit.SECONDS)) {
            out.add(e.event());
        }
        return out;
    }

    /** A node config with short GC timings; {@code extra} (HOCON) goes over it. */
    public static Config config(Path dir, String extra) {
        return ConfigFactory.parseString(extra)
                .withFallback(ConfigFactory.parseString("pekko.cluster.jmx.multi-mbeans-in-same-jvm = on"))
                .withFallback(ConfigFactory.parseString(LocalCluster.nodeConfig(dir, 0, List.of(), 0,
                        new LocalCluster.Timings("1s", "300ms", "200ms", "5s"))))
                .withFallback(ConfigFactory.defaultReferenceUnresolved()).resolve();
    }
}
