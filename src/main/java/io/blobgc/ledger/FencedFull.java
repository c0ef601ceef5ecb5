package io.blobgc.ledger;

/**
 * A node's FULL report, by its (incarnation, seq), whose reported holds a partition has fenced: the partition applied
 * it and its report fence (the {@link FenceWalk} of the holds it added) is done, so every remote callee below the
 * node's holds there was recorded in its owner before now (partitions-part2-plan §8, "The closure"). Every export
 * carries the sender's, by node ({@link PartitionedLedger.Export#fenced}); a receiver's node view confirms nothing
 * absent until every live partition's last settled export fenced the node's last FULL.
 */
public record FencedFull(long incarnation, long seq) {

    /** Whether this is the FULL (incarnation, seq) or a later one (S8 order). */
    public boolean covers(long incarnation, long seq) {
        return this.incarnation > incarnation || (this.incarnation == incarnation && this.seq >= seq);
    }
}
