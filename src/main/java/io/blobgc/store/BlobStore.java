package io.blobgc.store;

import io.blobgc.BlobHash;

import java.io.IOException;
import java.util.function.Consumer;

/**
 * The cluster's shared, canonical store of blob contents, addressed by SHA-256. Implementations know nothing of
 * actors; the sweeper calls {@link #delete} from a blocking dispatcher.
 */
public interface BlobStore {

    /** Stores {@code content} under {@code hash}; fails when the content's SHA-256 is not {@code hash}. */
    void put(BlobHash hash, byte[] content) throws IOException;

    boolean exists(BlobHash hash) throws IOException;

    /** Reads the content, or throws {@link java.nio.file.NoSuchFileException} when it is not there. */
    byte[] get(BlobHash hash) throws IOException;

    /**
     * Deletes the content; deleting what is not there is not an error (a retried delete must succeed).
     *
     * @return the bytes freed (0 when it was not there)
     */
    long delete(BlobHash hash) throws IOException;

    /** Every stored hash. */
    void list(Consumer<BlobHash> each) throws IOException;
}
