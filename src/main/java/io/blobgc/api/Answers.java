package io.blobgc.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.blobgc.BlobHash;
import io.blobgc.protocol.ReporterProtocol;

import java.util.Collection;
import java.util.List;

/** The small answers of the calls that change state, and of the health checks. */
public final class Answers {
    private Answers() {
    }

    /**
     * {@code POST /v1/blobs}; {@code goneCallees}: the gone blobs below declared callees that made registrations fall,
     * to upload again (callees first) before registering again.
     */
    public record Registered(List<String> accepted, List<String> rejected, List<String> noContent,
                             List<String> goneCallees) {
        public static Registered from(ReporterProtocol.Registered r) {
            return new Registered(Hashes.hex(r.accepted()), Hashes.hex(r.rejected()), Hashes.hex(r.noContent()),
                    Hashes.hex(r.goneCallees()));
        }
    }

    /** {@code PUT /v1/blobs/{hash}}: stored and registered. */
    public record Uploaded(String hash, long bytes, List<String> dependencies) {
        public static Uploaded of(BlobHash hash, long bytes, List<BlobHash> dependencies) {
            return new Uploaded(hash.toHex(), bytes, Hashes.hex(dependencies));
        }
    }

    /** {@code PUT /v1/pins/{hash}}. */
    public record Pinned(String pinned, String owner) {
    }

    /** {@code DELETE /v1/pins/{hash}}. */
    public record Unpinned(String unpinned, String owner) {
    }

    /**
     * {@code PUT /v1/node/holders/{holder}}; {@code error} and {@code message} only with a 409 or 503 (absent, not
     * null, otherwise).
     */
    public record Lease(String holder, List<String> held, List<String> pinned, List<String> gone,
                        List<String> unavailable, @JsonInclude(JsonInclude.Include.NON_NULL) String error,
                        @JsonInclude(JsonInclude.Include.NON_NULL) String message) {
        public static Lease of(String holder, Collection<BlobHash> held, Collection<BlobHash> pinned,
                               Collection<BlobHash> gone, Collection<BlobHash> unavailable, String error,
                               String message) {
            return new Lease(holder, Hashes.hex(held), Hashes.hex(pinned), Hashes.hex(gone), Hashes.hex(unavailable),
                    error, message);
        }
    }

    /** {@code DELETE /v1/node/holders/{holder}}. */
    public record Dropped(String dropped) {
    }

    /** {@code GET /health/alive}. */
    public record Alive(String status) {
    }

    /** {@code GET /health/ready} when ready. */
    public record Ready(String status, String coordinatorNode, boolean warmingUp) {
    }
}
