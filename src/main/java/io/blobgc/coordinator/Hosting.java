package io.blobgc.coordinator;

import io.blobgc.BlobGcSettings.PartitionHosting;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.Partitioning;
import org.apache.pekko.persistence.typed.PersistenceId;

/**
 * What a {@link Coordinator} hosts (partitions-part2-plan.md §2): {@link #whole()}, every partition of
 * {@code blob-gc.partitions} in the singleton, as it always did; or {@link #partition} {@code p} of P alone, as the
 * entity of that partition (issue 25, step 1). It decides the persistence id, the empty ledger, whether the cycle
 * timer runs (an entity's cycles are numbered and sent by the conductor: {@link Coordinator.RunPartitionCycle}) and
 * what the takeover records and the recovery checks ({@link JournalPartitions}).
 *
 * @param partition   the partition hosted alone, or null for the whole
 * @param partitioning the partitions the entity's partition is one of; null for the whole (the settings' then)
 * @param peers       the other partitions' entities, which an entity {@linkplain #linked linked} to them exports to
 *                    ({@link PartitionLinks}); null: the entity is isolated, or the whole
 */
public record Hosting(Integer partition, Partitioning partitioning, PartitionPeers peers) {

    private static final Hosting WHOLE = new Hosting(null, null, null);

    public Hosting {
        if ((partition == null) != (partitioning == null)) {
            throw new IllegalArgumentException("a partition of a partitioning, or neither");
        }
        if (partition != null && (partition < 0 || partition >= partitioning.count())) {
            throw new IllegalArgumentException("no partition " + partition + " of " + partitioning.count());
        }
        if (peers != null && partition == null) throw new IllegalArgumentException("the whole has no peers");
    }

    /** Every partition, in the singleton: the coordinator as before partition entities. */
    public static Hosting whole() {
        return WHOLE;
    }

    /**
     * Partition {@code p} of {@code partitioning} alone, its entity, isolated from the other partitions
     * ({@link PartitionedLedger#isolated}): for tests of an entity alone ({@link PartitionHosts} runs them
     * {@linkplain #linked linked}); it refuses registrations naming another partition's blob.
     */
    public static Hosting partition(int p, Partitioning partitioning) {
        return new Hosting(p, partitioning, null);
    }

    /**
     * Partition {@code p} of {@code partitioning} alone, its entity, viewing the other partitions and exporting to
     * them through {@code peers} (partitions-part2-plan S1.4–S1.7): what {@link PartitionHosts} runs.
     */
    public static Hosting linked(int p, Partitioning partitioning, PartitionPeers peers) {
        if (peers == null) throw new IllegalArgumentException("a linked partition needs its peers");
        return new Hosting(p, partitioning, peers);
    }

    /** Whether this hosts one partition alone (an entity), not the whole. */
    public boolean isPartition() {
        return partition != null;
    }

    /** The singleton's {@code blob-gc-coordinator}, or the entity's {@code blob-gc-partition|p}. */
    public PersistenceId persistenceId() {
        return isPartition() ? PersistenceId.of(JournalPartitions.ENTITY_TYPE, String.valueOf(partition))
                : Coordinator.PERSISTENCE_ID;
    }

    /** The number of partitions the journal must have been written with: the entity's P, or the configured one. */
    int partitions(int configured) {
        return isPartition() ? partitioning.count() : configured;
    }

    /** What the takeover records as {@code hosting}, and the recovery checks a singleton's journal against. */
    PartitionHosting mode() {
        // the singleton hosts every partition itself, whatever partition-hosting says (the sharded singleton is the
        // conductor, S1.3: not a Coordinator)
        return isPartition() ? PartitionHosting.SHARDED : PartitionHosting.COORDINATOR;
    }

    /**
     * What a takeover records as its hosting: {@code sharded} for an entity, null for the whole (as every takeover
     * wrote before it was recorded).
     */
    String recordedHosting() {
        return isPartition() ? mode().configName() : null;
    }

    /** Whether this is an entity that views and exports to the other partitions ({@link #linked}). */
    public boolean isLinked() {
        return peers != null;
    }

    /**
     * The empty ledger: every partition of {@code configured}, or the entity's partition alone
     * ({@link #entityLedger}).
     */
    PartitionedLedger emptyLedger(LedgerSettings settings, Partitioning configured) {
        return isPartition() ? entityLedger(PartitionedLedger.hosting(settings, 1024, partitioning, partition))
                : new PartitionedLedger(settings, 1024, configured);
    }

    /**
     * An entity's ledger {@code l} as this hosting has it: isolated from the other partitions unless {@link #linked}
     * ({@link PartitionedLedger#isolated}).
     */
    PartitionedLedger entityLedger(PartitionedLedger l) {
        return isLinked() ? l : l.isolated();
    }

    /** The entity as its cores see it: its partition, linked or not ({@link EntityLink}). */
    EntityLink link() {
        return isLinked() ? new EntityLink(true, partition, partitioning.count(), describe()) : EntityLink.isolated(describe());
    }

    /** How the log names the instance: "coordinator" or "partition p of P". */
    String describe() {
        return isPartition() ? "partition " + partition + " of " + partitioning.count() : "coordinator";
    }
}
