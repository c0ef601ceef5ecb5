package io.blobgc.store;

import io.blobgc.BlobHash;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The cluster's shared, canonical store of blob contents, addressed by SHA-256. Implementations know nothing of
 * actors; the sweeper calls {@link #delete} from a blocking dispatcher.
 */
public interface BlobStore {

    /** Stores {@code content} under {@code hash}; fails when the content's SHA-256 is not {@code hash}. */
    void put(BlobHash hash, byte[] content) throws IOException;

    /**
     * Stores the content of {@code file} under {@code hash}; fails when its SHA-256 is not {@code hash}. The file is
     * the caller's (a temporary upload): it is read, not moved. This default reads the whole file into memory;
     * implementations should stream it (FileBlobStore does), since uploads may be as large as
     * {@code blob-gc.http.max-blob-size}.
     */
    default void putFile(BlobHash hash, Path file) throws IOException {
        put(hash, Files.readAllBytes(file));
    }

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
