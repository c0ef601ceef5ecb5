package io.blobgc.ledger;

import io.blobgc.BlobHash;
import io.blobgc.CborSerializable;

import java.util.List;

/**
 * The answer of {@link Ledger#protect} (partitions.md §2, {@code Protected}): what the partition that owns the hashes
 * did with another partition's {@code Protect}.
 *
 * @param recorded the hashes now held as sticky acquires in the asking partition's view: none of them is handed to
 *                 the sweeper until a report of that partition, built after the ask, drops it
 * @param gone     the hashes that cannot be protected: unknown here (never registered, a pruned tombstone, or owned
 *                 by another partition), DELETING or COLLECTED, or with something DELETING or COLLECTED in their
 *                 local dependency closure (upload again)
 * @param stale    the hashes asked after a report the view already took, which does not list them: nothing recorded
 * @param frontier the remote callees below the recorded hashes, by owner partition, with this partition's last
 *                 (incarnation, seq) sent to that owner, read when they were recorded: the next hop of the fence
 * @param inGrace  when the ask was a use: the blobs of the recorded hashes' local closures that wait out their grace
 *                 (UNREFERENCED or MARKED), what {@link Ledger#waitingOutGrace} gives. The coordinator persists them
 *                 as used ({@code BlobsUsed}, applied with {@link Ledger#applyUsed}) before it answers — the driver
 *                 of partitions.md §5 step 4 does; the ledger only names them
 */
public record ProtectOutcome(List<BlobHash> recorded, List<BlobHash> gone, List<BlobHash> stale,
                             List<Frontier> frontier, List<BlobHash> inGrace) implements CborSerializable {

    public ProtectOutcome {
        recorded = List.copyOf(recorded);
        gone = List.copyOf(gone);
        stale = List.copyOf(stale);
        frontier = List.copyOf(frontier);
        inGrace = List.copyOf(inGrace);
    }

    /**
     * Remote callees owned by {@code partition}, with the (incarnation, seq) of the last report the answering
     * partition sent to it when it recorded their callers: the owner records them in the answering partition's view,
     * after that seq.
     */
    public record Frontier(int partition, long incarnation, long seqTo, List<BlobHash> hashes)
            implements CborSerializable {
        public Frontier {
            hashes = List.copyOf(hashes);
        }
    }
}
