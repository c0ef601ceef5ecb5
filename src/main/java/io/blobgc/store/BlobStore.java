package io.blobgc.store;

import io.blobgc.BlobHash;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

    /**
     * The bytes still free for new content, when the store can tell (uploads are refused below
     * {@code blob-gc.http.min-free-space}); empty when it cannot (an object store).
     */
    default java.util.OptionalLong usableSpace() throws IOException {
        return java.util.OptionalLong.empty();
    }

    /** Every stored hash. */
    void list(Consumer<BlobHash> each) throws IOException;

    /** One stored blob as a listing sees it: its hash and when its content was last written (epoch millis). */
    record Entry(BlobHash hash, long modifiedAtMs) {
    }

    /**
     * A page of the listing.
     *
     * @param entries in ascending hash order (the order of their hex names)
     * @param more    whether entries after the last one remain (the next page starts after it); false: the end
     */
    record Page(List<Entry> entries, boolean more) {
    }

    /**
     * Up to {@code max} stored blobs whose hash sorts after {@code after} (null: from the first), in ascending order,
     * each with its modification time: the store reconciliation walks the store a page per cycle, resumable from any
     * hash, at the same cost per page at 10M blobs as at 1,000. Shaped after S3's ListObjectsV2 (StartAfter, pages of
     * up to 1,000 keys, LastModified). A store that does not implement it is not reconciled: its orphans stay.
     */
    default Page page(BlobHash after, int max) throws IOException {
        throw new UnsupportedOperationException(getClass().getName() + " has no paged listing: orphans in it are "
                + "not deleted");
    }
}
