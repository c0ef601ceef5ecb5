package io.blobgc.ledger;

import io.blobgc.BlobHash;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The fence of S6 between partitions (partitions.md §2): what another partition's {@code Protect} records here, and
 * the frontier an acquire or a {@code Protect} passes on to the owners of the remote callees below. See
 * {@link Ledger#protect} and {@link Ledger#frontier}.
 */
final class CrossPartitionFence {

    private final Registry registry;
    private final BlobTable table;
    private final NodeViews views;
    private final Exports exports;

    CrossPartitionFence(Registry registry, NodeViews views, Exports exports) {
        this.registry = registry;
        this.table = registry.table;
        this.views = views;
        this.exports = exports;
    }

    /** See {@link Ledger#protect}; {@code generation}: this instance's, the incarnation of its reports. */
    ProtectOutcome protect(String onBehalfOf, long incarnation, long afterSeq, List<BlobHash> hashes, boolean used,
                           long now, int generation) {
        views.partitionUp(onBehalfOf, now);
        List<BlobHash> recorded = new ArrayList<>(), gone = new ArrayList<>(), stale = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        for (BlobHash h : hashes) {
            int b = registry.owns(h) ? table.find(h) : -1;
            if (b < 0 || !registry.graph.goneInClosure(b).isEmpty()) {
                gone.add(h);
                continue;
            }
            if (views.acquire(onBehalfOf, incarnation, afterSeq, b, now) == AcquireOutcome.ACQUIRED) {
                recorded.add(h);
                ids.add(b);
            } else {
                stale.add(h);
            }
        }
        int[] roots = ids.stream().mapToInt(Integer::intValue).toArray();
        List<BlobHash> inGrace = used && !ids.isEmpty() ? registry.waitingOutGrace(ids) : List.of();
        return new ProtectOutcome(recorded, gone, stale, exports.frontier(roots, generation), inGrace);
    }

    /** See {@link Ledger#frontier}. */
    List<ProtectOutcome.Frontier> frontier(Collection<BlobHash> hashes, int generation) {
        List<Integer> ids = new ArrayList<>();
        for (BlobHash h : hashes) {
            int b = table.find(h);
            if (b >= 0) ids.add(b);
        }
        return exports.frontier(ids.stream().mapToInt(Integer::intValue).toArray(), generation);
    }
}
