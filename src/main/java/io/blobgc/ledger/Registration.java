package io.blobgc.ledger;

import io.blobgc.BlobHash;
import io.blobgc.CborSerializable;

import java.util.List;

/** A blob made known to the ledger, with the hashes of the blobs it depends on (its callees). */
public record Registration(BlobHash hash, List<BlobHash> dependencies) implements CborSerializable {
    public Registration {
        if (hash == null) throw new IllegalArgumentException("registration without a hash");
        dependencies = dependencies == null ? List.of() : List.copyOf(dependencies);
    }

    public static Registration of(BlobHash hash) {
        return new Registration(hash, List.of());
    }
}
