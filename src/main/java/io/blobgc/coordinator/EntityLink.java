package io.blobgc.coordinator;

/**
 * Which entity a linked partition's core decides for, and whether it views the other partitions at all: what each core
 * of a partition entity ({@link FenceCore}, {@link GoneNamesCore}) checks a message's partitions against.
 *
 * @param linked    whether the entity views and exports to the other partitions (an isolated entity, or the whole,
 *                  does not: it sends nothing, and a message from another partition is logged and dropped)
 * @param partition its partition (ignored when not linked)
 * @param count     the number of partitions (ignored when not linked)
 * @param describe  how the log names it ({@link Hosting#describe})
 */
public record EntityLink(boolean linked, int partition, int count, String describe) {

    public EntityLink {
        if (linked && (partition < 0 || partition >= count)) {
            throw new IllegalArgumentException("no partition " + partition + " of " + count);
        }
    }

    /** Partition {@code partition} of {@code count}, linked to the others. */
    public static EntityLink partition(int partition, int count) {
        return new EntityLink(true, partition, count, "partition " + partition + " of " + count);
    }

    /** An entity linked to no other partition (the whole, or an isolated entity), named {@code describe}. */
    public static EntityLink isolated(String describe) {
        return new EntityLink(false, -1, 0, describe);
    }

    /** Whether {@code p} is a partition of the entity's (none when not linked). */
    public boolean has(int p) {
        return linked && p >= 0 && p < count;
    }
}
