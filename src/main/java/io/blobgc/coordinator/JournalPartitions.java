package io.blobgc.coordinator;

import io.blobgc.BlobGcSettings;
import io.blobgc.BlobGcSettings.PartitionHosting;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.Partitioning;
import org.apache.pekko.persistence.typed.PersistenceId;

import java.util.Objects;
import java.util.Optional;

/**
 * {@code blob-gc.partitions} is fixed for the life of a journal (src/site/markdown/partitions.md, step 1): a hash's
 * partition follows from the number of partitions, so under another number a hash would belong to a partition that
 * never heard of it (partitions.md §6, way 8). Every {@link Coordinator.TookOver} records the number its instance
 * runs with; a journal in which none did (written before it was recorded) was written with one partition. An instance
 * configured with another number than its journal's refuses to start: {@link TakeOverFence} logs {@link #refusal}
 * and stops before its first write.
 *
 * <p>So are, at more than one partition, the partition a journal is the entity of and how the partitions are hosted
 * ({@code blob-gc.partition-hosting}; issue 25, partitions-part2-plan.md decision 6): a takeover records both (null:
 * the coordinator hosting every partition itself, not an entity), a partition entity refuses another partition's
 * journal, and the singleton a journal of the other hosting. One partition ignores the hosting.
 */
final class JournalPartitions {

    static final String SETTING = "blob-gc.partitions";
    /** The entity type of the partitions hosted by Cluster Sharding: their journals are {@code blob-gc-partition|p}. */
    static final String ENTITY_TYPE = "blob-gc-partition";

    private JournalPartitions() {
    }

    /** The number of partitions a journal was written with: what its takeovers recorded ({@code 0}: none, so 1). */
    static int written(int recorded) {
        return recorded == 0 ? 1 : recorded;
    }

    /**
     * An empty ledger of every partition of a journal that recorded {@code recorded} partitions ({@code 0}: none, so
     * 1), or of one when no ledger can have that many: a foreign journal, replayed only for its instance to refuse it.
     */
    static PartitionedLedger wholeLedger(LedgerSettings settings, int expectedBlobs, int recorded) {
        try {
            return new PartitionedLedger(settings, expectedBlobs, Partitioning.of(written(recorded)));
        } catch (IllegalArgumentException foreign) {
            return new PartitionedLedger(settings, expectedBlobs, Partitioning.of(1));
        }
    }

    /** The hosting a journal was written with: what its takeovers recorded ({@code null}: none, so coordinator). */
    static String writtenHosting(String recorded) {
        return recorded == null ? PartitionHosting.COORDINATOR.configName() : recorded;
    }

    /**
     * The journal of the instance that is the entity of {@code partition}, or the singleton's ({@code null}): what a
     * refusal names.
     */
    static String journal(Integer partition) {
        return partition == null ? Coordinator.PERSISTENCE_ID.id()
                : PersistenceId.of(ENTITY_TYPE, String.valueOf(partition)).id();
    }

    /**
     * Why an instance configured with {@code configured} partitions and {@code hosting}, the entity of {@code
     * partition} ({@code null}: the singleton), may not run on the journal {@code s} was recovered from; empty when it
     * may. A journal with nothing in it yet takes any (its first takeover records them).
     */
    static Optional<String> refusal(Coordinator.State s, int configured, PartitionHosting hosting, Integer partition) {
        if (s.fresh) return Optional.empty();
        PartitionedLedger l = s.ledger;
        return refusal(l.recordedPartitions(), configured)
                .or(() -> partitionRefusal(l.recordedPartition(), partition, configured))
                .or(() -> partition != null || configured == 1 ? Optional.empty()
                        : hostingRefusal(writtenHosting(l.recordedHosting()), hosting, configured));
    }

    /**
     * Why an instance configured with {@code configured} partitions may not run on a journal whose takeovers recorded
     * {@code recorded} ({@code 0}: none); empty when it may.
     */
    static Optional<String> refusal(int recorded, int configured) {
        int journal = written(recorded);
        if (journal == configured) return Optional.empty();
        return Optional.of("blob-gc coordinator refuses to start: its journal was written with P = " + journal
                + " partitions, and " + SETTING + " = " + configured + " is configured. The number of partitions is "
                + "fixed for the life of a journal (under another one a hash would move to a partition that never "
                + "heard of it): set " + SETTING + " = " + journal + " (see src/site/markdown/partitions.md)");
    }

    /**
     * Why the entity of partition {@code partition} of {@code partitions} ({@code null}: the singleton) may not run on
     * a journal written as the entity of {@code recorded} ({@code null}: by the singleton); empty when it is the same.
     */
    static Optional<String> partitionRefusal(Integer recorded, Integer partition, int partitions) {
        if (Objects.equals(recorded, partition)) return Optional.empty();
        return Optional.of("blob-gc " + (partition == null ? "coordinator" : "partition " + partition)
                + " refuses to start: journal " + journal(partition) + " was written " + as(recorded, partitions)
                + "; this " + (partition == null ? "is the coordinator singleton" : "entity is partition " + partition
                + " of " + partitions) + ". A journal belongs to one partition for its life (its hashes are that "
                + "partition's): this is not the journal of this instance");
    }

    private static String as(Integer partition, int partitions) {
        return partition == null ? "by the coordinator singleton" : "as partition " + partition + " of " + partitions;
    }

    /**
     * Why an instance with {@code hosting} may not run on the singleton's journal of {@code partitions} partitions
     * written with {@code written} hosting; empty when it is the same.
     */
    static Optional<String> hostingRefusal(String written, PartitionHosting hosting, int partitions) {
        if (written.equals(hosting.configName())) return Optional.empty();
        String setting = BlobGcSettings.HOSTING_SETTING;
        return Optional.of("blob-gc coordinator refuses to start: journal " + journal(null) + " was written with "
                + setting + " = " + written + " (P = " + partitions + "), and this member runs " + setting + " = "
                + hosting.configName() + " (auto, the default, is sharded in a cluster at more than one partition, "
                + "coordinator otherwise). How the partitions are hosted is fixed for the life of a journal (the "
                + "other mode keeps them in other journals): set " + setting + " = " + written
                + " (see src/site/markdown/partitions-part2-plan.md)");
    }
}
