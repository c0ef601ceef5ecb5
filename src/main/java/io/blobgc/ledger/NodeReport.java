package io.blobgc.ledger;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
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
 * @param settled     false: a provisional report (partitions.md §1, "Settled vs provisional"), which a partition
 *                    sends while it warms up: applied add-only, it protects but never confirms absence nor ends a
 *                    warm-up. Node reports are always settled; a report serialized before the field existed reads
 *                    as settled ({@link #read})
 */
public record NodeReport(String node, long incarnation, long seq, Kind kind,
                         List<BlobHash> activeAdded, List<BlobHash> activeRemoved,
                         List<BlobHash> pinsAdded, List<BlobHash> pinsRemoved,
                         int chunk, int chunks, boolean settled) implements CborSerializable {

    public enum Kind { FULL, DELTA }

    public NodeReport {
        activeAdded = activeAdded == null ? List.of() : activeAdded;
        activeRemoved = activeRemoved == null ? List.of() : activeRemoved;
        pinsAdded = pinsAdded == null ? List.of() : pinsAdded;
        pinsRemoved = pinsRemoved == null ? List.of() : pinsRemoved;
    }

    /** A settled report: what every node sends. */
    public NodeReport(String node, long incarnation, long seq, Kind kind,
                      List<BlobHash> activeAdded, List<BlobHash> activeRemoved,
                      List<BlobHash> pinsAdded, List<BlobHash> pinsRemoved, int chunk, int chunks) {
        this(node, incarnation, seq, kind, activeAdded, activeRemoved, pinsAdded, pinsRemoved, chunk, chunks, true);
    }

    /**
     * How Jackson (CBOR on the wire) builds a report: {@code settled} absent — a report from a sender that predates
     * the field, always a node — reads as settled, not as a primitive's default false.
     */
    @JsonCreator
    static NodeReport read(@JsonProperty("node") String node, @JsonProperty("incarnation") long incarnation,
                           @JsonProperty("seq") long seq, @JsonProperty("kind") Kind kind,
                           @JsonProperty("activeAdded") List<BlobHash> activeAdded,
                           @JsonProperty("activeRemoved") List<BlobHash> activeRemoved,
                           @JsonProperty("pinsAdded") List<BlobHash> pinsAdded,
                           @JsonProperty("pinsRemoved") List<BlobHash> pinsRemoved,
                           @JsonProperty("chunk") int chunk, @JsonProperty("chunks") int chunks,
                           @JsonProperty("settled") Boolean settled) {
        return new NodeReport(node, incarnation, seq, kind, activeAdded, activeRemoved, pinsAdded, pinsRemoved, chunk,
                chunks, settled == null || settled);
    }

    public static NodeReport full(String node, long incarnation, long seq, List<BlobHash> active, List<BlobHash> pins) {
        return new NodeReport(node, incarnation, seq, Kind.FULL, active, List.of(), pins, List.of(), 0, 1);
    }

    public static NodeReport delta(String node, long incarnation, long seq,
                                   List<BlobHash> added, List<BlobHash> removed,
                                   List<BlobHash> pinsAdded, List<BlobHash> pinsRemoved) {
        return new NodeReport(node, incarnation, seq, Kind.DELTA, added, removed, pinsAdded, pinsRemoved, 0, 1);
    }

    /** This report, provisional (partitions.md §1): what a partition that is warming up sends. */
    public NodeReport provisional() {
        return new NodeReport(node, incarnation, seq, kind, activeAdded, activeRemoved, pinsAdded, pinsRemoved, chunk,
                chunks, false);
    }

    /**
     * This report's shares, one per partition of {@code partitioning} (empty ones too), each with the hashes that
     * partition owns and this report's node, incarnation, seq, kind, chunk, chunks and settledness: what each
     * partition takes of it (partitions.md §1).
     */
    public List<NodeReport> shares(Partitioning partitioning) {
        if (partitioning.count() == 1) return List.of(this);
        List<List<BlobHash>> added = byOwner(activeAdded, partitioning), removed = byOwner(activeRemoved, partitioning),
                pAdded = byOwner(pinsAdded, partitioning), pRemoved = byOwner(pinsRemoved, partitioning);
        List<NodeReport> out = new java.util.ArrayList<>(partitioning.count());
        for (int p = 0; p < partitioning.count(); p++) {
            out.add(new NodeReport(node, incarnation, seq, kind, added.get(p), removed.get(p), pAdded.get(p),
                    pRemoved.get(p), chunk, chunks, settled));
        }
        return out;
    }

    private static List<List<BlobHash>> byOwner(List<BlobHash> hashes, Partitioning partitioning) {
        List<List<BlobHash>> out = new java.util.ArrayList<>(partitioning.count());
        for (int p = 0; p < partitioning.count(); p++) out.add(new java.util.ArrayList<>());
        for (BlobHash h : hashes) out.get(partitioning.partitionOf(h)).add(h);
        return out;
    }

    public int size() {
        return activeAdded.size() + activeRemoved.size() + pinsAdded.size() + pinsRemoved.size();
    }
}
