package io.blobgc.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.blobgc.BlobGcSettings;
import io.blobgc.ledger.Partitioning;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.protocol.ReporterProtocol.ToReporter;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;

import java.util.ArrayList;
import java.util.List;

/**
 * A reporter ({@code node-a}) routed by partition ({@link CoordinatorRoute#byPartition}) to a probe per partition and
 * a probe for the conductor, under ManualTime: heartbeat every second, FULL reports chunked above 100 hashes, acquires
 * given up after 5 s.
 */
final class ProbedPartitions implements AutoCloseable {

    static final Config CONFIG = ConfigFactory.parseString("""
            pekko.actor.provider = local
            blob-gc.heartbeat-interval = 1s
            blob-gc.reporter.max-report-chunk = 100
            blob-gc.reporter.acquire-timeout = 5s
            """).withFallback(ManualTime.config()).withFallback(ConfigFactory.load()).resolve();

    final Partitioning partitioning;
    final ActorTestKit kit;
    final ManualTime time;
    final List<TestProbe<ToCoordinator>> partitions = new ArrayList<>();
    final TestProbe<ToCoordinator> conductor;
    final ActorRef<ToReporter> reporter;

    ProbedPartitions(String name, int partitionCount) {
        partitioning = Partitioning.of(partitionCount);
        kit = ActorTestKit.create(name, CONFIG);
        time = ManualTime.get(kit.system());
        for (int p = 0; p < partitionCount; p++) partitions.add(kit.createTestProbe());
        conductor = kit.createTestProbe();
        CoordinatorRoute route = CoordinatorRoute.byPartition(partitioning, p -> partitions.get(p).getRef(),
                conductor.getRef());
        reporter = kit.spawn(NodeReporter.create("node-a", route, BlobGcSettings.from(CONFIG), null));
    }

    @Override
    public void close() {
        kit.shutdownTestKit();
    }
}
