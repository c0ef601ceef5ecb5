package io.blobgc.ledger;

import io.blobgc.BlobHash;
import io.blobgc.CborSerializable;

import java.util.List;

/**
 * What a node tells the coordinator about its view (design.md §1 and §5.1). A heartbeat is a DELTA with
 * nothing in it. A FULL report carries the whole view in {@code activeAdded}/{@code pinsAdded}, possibly split
 * into {@code chunks} parts that share one {@code seq}; it counts once every chunk arrived.
 *
 * @param node        the member's unique address (address and uid): one incarnation of a JVM
 * @param incarnation the reporter's own incarnation within that member (its start time); orders reporter restarts
 * @param seq         per incarnation, one more for every report
 */
public record NodeReport(String node, long incarnation, long seq, Kind kind,
                         List<BlobHash> activeAdded, List<BlobHash> activeRemoved,
                         List<BlobHash> pinsAdded, List<BlobHash> pinsRemoved,
                         int chunk, int chunks) implements CborSerializable {

    public enum Kind { FULL, DELTA }

    public NodeReport {
        activeAdded = activeAdded == null ? List.of() : activeAdded;
        activeRemoved = activeRemoved == null ? List.of() : activeRemoved;
        pinsAdded = pinsAdded == null ? List.of() : pinsAdded;
        pinsRemoved = pinsRemoved == null ? List.of() : pinsRemoved;
    }

    public static NodeReport full(String node, long incarnation, long seq, List<BlobHash> active, List<BlobHash> pins) {
        return new NodeReport(node, incarnation, seq, Kind.FULL, active, List.of(), pins, List.of(), 0, 1);
    }

    public static NodeReport delta(String node, long incarnation, long seq,
                                   List<BlobHash> added, List<BlobHash> removed,
                                   List<BlobHash> pinsAdded, List<BlobHash> pinsRemoved) {
        return new NodeReport(node, incarnation, seq, Kind.DELTA, added, removed, pinsAdded, pinsRemoved, 0, 1);
    }

    public int size() {
        return activeAdded.size() + activeRemoved.size() + pinsAdded.size() + pinsRemoved.size();
    }
}
