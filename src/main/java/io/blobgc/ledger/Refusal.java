package io.blobgc.ledger;

import io.blobgc.CborSerializable;

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

    public static Refusal badRequest(String message) {
        return new Refusal(Kind.BAD_REQUEST, message);
    }
}
