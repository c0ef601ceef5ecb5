package io.blobgc;

import io.blobgc.coordinator.Coordinator;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /metrics} at {@code partition-hosting = sharded}: one series per partition entity — the last cycle it ran and
 * its blobs, tagged with the member hosting it, and whether it answered the summary — rewritten from every summary;
 * none when the coordinator hosts every partition.
 */
class BlobGcMetricsPartitionsTest {

    private static final String MEMBER = "pekko://blobgc@127.0.0.1:25521";

    @Test
    void everyPartitionEntityIsASeriesWithItsMemberAndNoneWithoutThem() throws Exception {
        AtomicReference<Coordinator.Summary> summary = new AtomicReference<>(summary(List.of(
                new Coordinator.PartitionStatus(0, MEMBER, true, false, 41, 12),
                new Coordinator.PartitionStatus(1, null, false, false, 0, 0))));
        BlobGcMetrics metrics = new BlobGcMetrics(() -> CompletableFuture.completedFuture(summary.get()));
        String text = metrics.scrape().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertTrue(text.contains("blobgc_partition_cycle{member=\"" + MEMBER + "\",partition=\"0\"} 41"), text);
        assertTrue(text.contains("blobgc_partition_blobs{member=\"" + MEMBER + "\",partition=\"0\"} 12"), text);
        assertTrue(text.contains("blobgc_partition_answering{partition=\"0\"} 1"), text);
        assertTrue(text.contains("blobgc_partition_answering{partition=\"1\"} 0"), text);
        assertFalse(text.contains("blobgc_partition_cycle{member=\"null\""), "no cycle of a partition that did not "
                + "answer: " + text);

        summary.set(summary(List.of())); // the coordinator hosting every partition: no partition series
        text = metrics.scrape().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertFalse(text.contains("blobgc_partition_answering{"), text);
        assertFalse(text.contains("blobgc_partition_cycle{"), text);
    }

    private static Coordinator.Summary summary(List<Coordinator.PartitionStatus> partitions) {
        return new Coordinator.Summary(42, MEMBER, false, List.of(), false, Map.of("ACTIVE", 12L), List.of(), null, 1.0,
                0, 0, 0, Map.of(), 0, 0, 0, 0, Coordinator.SweeperStatus.initial(100), partitions);
    }
}
