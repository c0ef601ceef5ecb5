package io.blobgc.ledger;

import io.blobgc.BlobHash;
import io.blobgc.CborSerializable;

import java.util.List;

/** Why the ledger refuses a request: a kind the edges map to a status (404, 409, 400), and a sentence. */
public record Refusal(Kind kind, String message) implements CborSerializable {

    public enum Kind {
        /** An unknown blob, or no such pin. */
        NOT_FOUND,
        /** The request conflicts with the blob's state (being deleted, collected). */
        CONFLICT,
        /** The request itself is malformed. */
        BAD_REQUEST
    }

    public static Refusal notFound(String message) {
        return new Refusal(Kind.NOT_FOUND, message);
    }

    public static Refusal conflict(String message) {
        return new Refusal(Kind.CONFLICT, message);
    }

    /** {@code hash} cannot be pinned: the blobs {@code gone} of its closure are being deleted or were collected. */
    public static Refusal goneCallees(BlobHash hash, List<BlobHash> gone) {
        return conflict("blob " + hash + " depends on " + gone + ", being deleted or collected: upload "
                + (gone.size() == 1 ? "it" : "them") + " again first");
    }

    public static Refusal badRequest(String message) {
        return new Refusal(Kind.BAD_REQUEST, message);
    }
}
