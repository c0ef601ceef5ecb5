package io.blobgc.api;

import io.blobgc.ledger.CycleOutcome;

/** A blob a cycle marked for collection. */
public record MarkedBlob(String hash, long unreferencedSince) {

    public static MarkedBlob from(CycleOutcome.MarkedBlob m) {
        return new MarkedBlob(m.hash().toHex(), m.unreferencedSince());
    }

    static java.util.List<MarkedBlob> all(java.util.List<CycleOutcome.MarkedBlob> marked) {
        return marked == null ? null : marked.stream().map(MarkedBlob::from).toList();
    }
}
