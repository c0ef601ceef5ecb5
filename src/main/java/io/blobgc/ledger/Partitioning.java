package io.blobgc.ledger;

import io.blobgc.BlobHash;

/**
 * How the hash space is split into P partitions (src/site/markdown/partitions.md): by hash prefix, partition
 * {@code p} owning the hashes whose top log2(P) bits of {@link BlobHash#w0()} are {@code p}. So each partition owns
 * one contiguous range of the hashes in their order ({@link BlobHash#compareTo}), from {@link #lowest} to
 * {@link #highest}, and the ranges follow each other without a gap. P is a power of two from 1 to {@value #MAX};
 * P = 1 is one partition owning every hash.
 */
public final class Partitioning {

    /** The most partitions. */
    public static final int MAX = 256;

    private final int count;
    /** log2(count): how many top bits of the first long name the partition. */
    private final int bits;

    private Partitioning(int count) {
        this.count = count;
        this.bits = Integer.numberOfTrailingZeros(count);
    }

    /** P partitions; refused unless P is a power of two from 1 to {@value #MAX}. */
    public static Partitioning of(int partitions) {
        if (partitions < 1 || partitions > MAX || Integer.bitCount(partitions) != 1) {
            throw new IllegalArgumentException("the number of partitions must be a power of two from 1 to " + MAX
                    + " (1, 2, 4, …, " + MAX + "), not " + partitions);
        }
        return new Partitioning(partitions);
    }

    /** P. */
    public int count() {
        return count;
    }

    /** The partition that owns {@code hash}: the top log2(P) bits of its first long (0 when P = 1). */
    public int partitionOf(BlobHash hash) {
        return bits == 0 ? 0 : (int) (hash.w0() >>> (Long.SIZE - bits));
    }

    /** The first hash of {@code partition}'s range. */
    public BlobHash lowest(int partition) {
        return new BlobHash(prefix(partition), 0, 0, 0);
    }

    /** The last hash of {@code partition}'s range. */
    public BlobHash highest(int partition) {
        long rest = bits == 0 ? -1L : -1L >>> bits; // the bits below the prefix, all set
        return new BlobHash(prefix(partition) | rest, -1L, -1L, -1L);
    }

    private long prefix(int partition) {
        if (partition < 0 || partition >= count) {
            throw new IllegalArgumentException("no partition " + partition + " of " + count);
        }
        return bits == 0 ? 0 : (long) partition << (Long.SIZE - bits);
    }

    @Override
    public String toString() {
        return "Partitioning(" + count + ")";
    }
}
