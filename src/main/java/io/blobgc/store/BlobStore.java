package io.blobgc.store;

import io.blobgc.BlobHash;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * The cluster's shared, canonical store of blob contents, addressed by SHA-256. Implementations know nothing of
 * actors; the sweeper calls {@link #deleteEach} from a blocking dispatcher.
 */
public interface BlobStore {

    /** Refuses {@code content} whose SHA-256 is not {@code hash} (what {@link #put} checks first). */
    static void requireAddress(BlobHash hash, byte[] content) {
        BlobHash actual = BlobHash.sha256(content);
        if (!actual.equals(hash)) {
            throw new IllegalArgumentException("content does not match its address: expected " + hash
                    + ", its SHA-256 is " + actual);
        }
    }

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
     * What deleting one blob of {@link #deleteEach} came to: the bytes it freed, or why it was not deleted.
     *
     * @param bytesFreed 0 when it was not there, or when the store cannot tell without asking (see the
     *                   implementation); meaningless on failure
     * @param failure    null when deleted (or not there); a {@link StoreThrottledException} when the store pushed back
     */
    record Deletion(BlobHash hash, long bytesFreed, Exception failure) {
        public static Deletion freed(BlobHash hash, long bytes) {
            return new Deletion(hash, bytes, null);
        }

        public static Deletion failed(BlobHash hash, Exception failure) {
            return new Deletion(hash, 0, java.util.Objects.requireNonNull(failure, "failure"));
        }

        public boolean deleted() {
            return failure == null;
        }

        /** Not deleted because the store asked us to slow down: worth retrying later, not a failure of the blob. */
        public boolean throttled() {
            return failure instanceof StoreThrottledException;
        }
    }

    /**
     * How many hashes {@link #deleteEach} deletes in one request to the store: 1 (this default) when it deletes one by
     * one. The sweeper hands {@code deleteEach} no more at a time, and checks its batch's deadline before each call
     * (S10): a store that deletes one by one is checked before each deletion, as before batching.
     */
    default int deletesPerRequest() {
        return 1;
    }

    /**
     * Deletes each of {@code hashes} as {@link #delete} would, and nothing else, with one outcome per hash: an object
     * store does it in far fewer requests (S3's DeleteObjects, 1,000 keys each). One blob's failure is that blob's
     * alone: it never fails the others, and this method does not throw for what the store answers — a request that
     * fails as a whole fails each of its hashes. It sends each request once — no retries of its own, or of its
     * client's: the sweeper checks its batch's deadline before each call and backs off itself (S10) — and at most
     * {@link #deletesPerRequest} hashes go in one request.
     *
     * @return one {@link Deletion} per element of {@code hashes}, in the same order (a hash listed twice is deleted
     *         once; its second outcome frees 0 bytes)
     */
    default List<Deletion> deleteEach(List<BlobHash> hashes) {
        List<Deletion> out = new java.util.ArrayList<>(hashes.size());
        for (BlobHash h : hashes) {
            try {
                out.add(Deletion.freed(h, delete(h)));
            } catch (Exception e) {
                out.add(Deletion.failed(h, e));
            }
        }
        return out;
    }

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
