package io.blobgc.api;

import io.blobgc.BlobHash;

import java.util.Collection;
import java.util.List;

/** Hashes as the API writes them: hex, in the collection's order. */
final class Hashes {
    private Hashes() {
    }

    static List<String> hex(Collection<BlobHash> hashes) {
        return hashes == null ? null : hashes.stream().map(BlobHash::toHex).toList();
    }
}
