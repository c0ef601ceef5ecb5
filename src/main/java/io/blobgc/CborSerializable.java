package io.blobgc;

/**
 * Marker for every message that crosses the network and every persisted event or snapshot of blob-gc:
 * bound to Pekko's {@code jackson-cbor} serializer in blob-gc's {@code reference.conf}.
 */
public interface CborSerializable {
}
