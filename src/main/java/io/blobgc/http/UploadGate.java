package io.blobgc.http;

import io.blobgc.BlobGcSettings;
import io.blobgc.store.BlobStore;
import org.apache.pekko.http.javadsl.model.StatusCodes;

import java.io.IOException;
import java.nio.file.Files;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What uploads in progress may take from a node (issue 20, item 5): the bytes all of them hold at once
 * ({@code http.max-upload-bytes-in-flight}), the free space they must leave on the upload directory's and the store's
 * file systems ({@code http.min-free-space}) — beyond either, 503 with {@code Retry-After} — and the pace they must
 * keep ({@code http.min-upload-rate} over each {@code http.min-upload-rate-window}), below which an upload is cut
 * with 408. One gate per admin server, shared by its connections.
 */
final class UploadGate {

    /** What a refused upload is told to wait before it tries again. */
    static final long RETRY_AFTER_SECONDS = 10;

    private final BlobGcSettings.HttpEdge limits;
    private final BlobStore store;
    private final AtomicLong inFlight = new AtomicLong();

    UploadGate(BlobGcSettings.HttpEdge limits, BlobStore store) {
        this.limits = limits;
        this.store = store;
    }

    /**
     * Admits an upload of {@code declared} bytes (empty: not declared, a chunked body), reserving them; throws a 503
     * {@link ApiError} when the node cannot take it now.
     */
    synchronized Ticket admit(OptionalLong declared) { // checks and reserves at once: two cannot both pass
        // what admitted uploads reserved is not on the disk yet, but will be: it counts against the floor too
        long need = declared.orElse(0) + inFlight.get();
        requireFloor("the upload directory " + limits.uploadDir(), need, () -> {
            Files.createDirectories(limits.uploadDir());
            return OptionalLong.of(Files.getFileStore(limits.uploadDir()).getUsableSpace());
        });
        requireFloor("the blob store", need, store::usableSpace);
        Ticket t = new Ticket();
        try {
            t.take(declared.orElse(0));
        } catch (ApiError full) {
            t.release();
            throw full;
        }
        return t;
    }

    private interface FreeSpace {
        /** The bytes free, or empty when it cannot tell (then there is no floor to keep). */
        OptionalLong usable() throws IOException;
    }

    /** 503 when {@code where} would keep less than the floor after {@code need} more bytes, or cannot be read. */
    private void requireFloor(String where, long need, FreeSpace space) {
        OptionalLong usable;
        try {
            usable = space.usable();
        } catch (IOException e) {
            throw new ApiError(StatusCodes.SERVICE_UNAVAILABLE, "insufficient_space", "cannot tell the "
                    + "free space of " + where + ": " + e.getMessage(), RETRY_AFTER_SECONDS);
        }
        if (usable.isPresent() && usable.getAsLong() - need < limits.minFreeSpace()) {
            throw new ApiError(StatusCodes.SERVICE_UNAVAILABLE, "insufficient_space", where + " has "
                    + usable.getAsLong() + " bytes free; uploads keep at least " + limits.minFreeSpace()
                    + " (blob-gc.http.min-free-space): try again later", RETRY_AFTER_SECONDS);
        }
    }

    /** One admitted upload: what it holds of the cap, and its pace. Not thread-safe (one stream's stage uses it). */
    final class Ticket {
        private long held;
        private long received;
        private long windowStart = System.nanoTime();
        private long windowBytes;

        /**
         * Counts {@code bytes} more of the body: beyond its reservation they are taken from the cap (503 when it is
         * full), and the pace is checked (408 when the window that just ended carried too little).
         */
        void received(long bytes) {
            received += bytes;
            if (received > held) take(received - held);
            long t = System.nanoTime();
            long window = limits.minUploadRateWindow().toNanos();
            if (t - windowStart >= window) {
                long needed = (long) (limits.minUploadRate() * (window / 1e9));
                if (windowBytes < needed) throw tooSlow();
                windowStart = t;
                windowBytes = 0;
            }
            windowBytes += bytes;
        }

        private void take(long bytes) {
            if (bytes <= 0) return;
            long now = inFlight.addAndGet(bytes);
            held += bytes;
            if (now > limits.maxUploadBytesInFlight()) {
                throw new ApiError(StatusCodes.SERVICE_UNAVAILABLE, "busy", "uploads in progress hold "
                        + (now - bytes) + " bytes; this one would pass the node's " + limits.maxUploadBytesInFlight()
                        + " (blob-gc.http.max-upload-bytes-in-flight): try again later", RETRY_AFTER_SECONDS);
            }
        }

        /** The upload ended (stored, refused or cut): what it held goes back to the cap. Once. */
        void release() {
            inFlight.addAndGet(-held);
            held = 0;
            received = Long.MAX_VALUE / 2; // nothing more is taken
        }
    }

    ApiError tooSlow() {
        return new ApiError(StatusCodes.REQUEST_TIMEOUT, "too_slow", "the upload sent less than "
                + limits.minUploadRate() + " bytes/s over " + limits.minUploadRateWindow().toSeconds()
                + " s (blob-gc.http.min-upload-rate): cut");
    }
}
