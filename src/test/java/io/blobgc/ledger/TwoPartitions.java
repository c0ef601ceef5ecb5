package io.blobgc.ledger;

import io.blobgc.BlobHash;

import java.util.Arrays;
import java.util.List;

/**
 * Two partitions' hosted ledgers, for tests that carry the messages between them by hand: partition A (0) owns the
 * hashes {@link #in}{@code (0, i)}, B (1) those {@code in(1, i)} ({@link Partitioning} splits by the hash's top bit).
 */
public final class TwoPartitions {
    public static final Partitioning P2 = Partitioning.of(2);
    public static final LedgerSettings SETTINGS = LedgerSettings.DEFAULTS.withGracePeriodMs(0);

    private TwoPartitions() {
    }

    /** Hash {@code i} (below 0x80) of partition {@code p}: 32 bytes of {@code i}, or of {@code 0x80 + i} for B. */
    public static BlobHash in(int p, int i) {
        if (p < 0 || p > 1 || i < 0 || i >= 0x80) throw new IllegalArgumentException("no hash " + i + " of " + p);
        byte[] bytes = new byte[32];
        Arrays.fill(bytes, (byte) (p == 0 ? i : 0x80 + i));
        return BlobHash.of(bytes);
    }

    /**
     * Partition {@code p} hosted alone, {@code registered} applied, its instance {@code generation} taken over; warming
     * up (for node n1, from {@code now}) when {@code warming}.
     */
    public static PartitionedLedger hosted(int p, List<Registration> registered, int generation, boolean warming,
                                           long now) {
        PartitionedLedger l = PartitionedLedger.hosting(SETTINGS, 64, P2, p);
        l.applyRegistered(registered);
        if (warming) l.beginWarmUp(List.of("n1"), now);
        for (int g = 1; g <= generation; g++) l.applyTookOver("instance-" + g, 30_000);
        return l;
    }
}
