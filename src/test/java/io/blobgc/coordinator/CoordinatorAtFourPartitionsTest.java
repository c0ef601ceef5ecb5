package io.blobgc.coordinator;

/**
 * {@link CoordinatorTest} with {@code blob-gc.partitions = 4}: the coordinator actor over four partitions of the
 * registry in one JVM — its events routed by owner, a {@code CycleCompleted} per partition, and recovery through
 * a snapshot of four sections ({@link SnapshotSections}) and the events after it.
 */
class CoordinatorAtFourPartitionsTest extends CoordinatorTest {

    @Override
    int partitions() {
        return 4;
    }
}
