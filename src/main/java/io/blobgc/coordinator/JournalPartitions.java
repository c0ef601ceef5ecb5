package io.blobgc.coordinator;

import java.util.Optional;

/**
 * {@code blob-gc.partitions} is fixed for the life of a journal (src/site/markdown/partitions.md, step 1): a hash's
 * partition follows from the number of partitions, so under another number a hash would belong to a partition that
 * never heard of it (partitions.md §6, way 8). Every {@link Coordinator.TookOver} records the number its instance
 * runs with; a journal in which none did (written before it was recorded) was written with one partition. An instance
 * configured with another number than its journal's refuses to start: {@link TakeOverFence} logs {@link #refusal}
 * and stops before its first write.
 */
final class JournalPartitions {

    static final String SETTING = "blob-gc.partitions";

    private JournalPartitions() {
    }

    /** The number of partitions a journal was written with: what its takeovers recorded ({@code 0}: none, so 1). */
    static int written(int recorded) {
        return recorded == 0 ? 1 : recorded;
    }

    /**
     * {@link #refusal(int, int)} for the journal {@code s} was recovered from; a journal with nothing in it yet takes
     * any number (its first takeover records it).
     */
    static Optional<String> refusal(Coordinator.State s, int configured) {
        return s.fresh ? Optional.empty() : refusal(s.ledger.recordedPartitions(), configured);
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
}
