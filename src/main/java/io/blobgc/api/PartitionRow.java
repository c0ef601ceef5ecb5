package io.blobgc.api;

import io.blobgc.coordinator.Coordinator;

/**
 * A partition entity in {@code GET /v1/summary} ({@code partition-hosting = sharded}): the member hosting it (null when
 * it did not answer), whether it answered the summary in time, whether it is warming up, the last cycle it ran and the
 * blobs it knows.
 */
public record PartitionRow(int partition, String member, boolean answered, boolean warmingUp, long cycle, long blobs) {

    public static PartitionRow from(Coordinator.PartitionStatus p) {
        return new PartitionRow(p.partition(), p.member(), p.answered(),
                p.warmingUp(), p.cycle(), p.blobs());
    }
}
