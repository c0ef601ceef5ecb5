package io.blobgc.coordinator;

import io.blobgc.CborSerializable;
import io.blobgc.ledger.LedgerSnapshot;

import java.util.List;

/**
 * The coordinator's snapshot at {@code blob-gc.partitions} &gt; 1: one section per partition, in partition order,
 * each its partition's {@link LedgerSnapshot} (partitions.md, step 4). At P = 1 the snapshot is the one
 * {@link LedgerSnapshot} itself, as it always was, so journals of one partition read and write what they did.
 */
public record SnapshotSections(List<LedgerSnapshot> partitions) implements CborSerializable {
}
