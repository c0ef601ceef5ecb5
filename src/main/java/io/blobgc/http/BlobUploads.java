package io.blobgc.http;

import io.blobgc.BlobHash;
import io.blobgc.api.Answers;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.FileIO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import static io.blobgc.http.ErrorMapping.causedBy;
import static io.blobgc.http.ErrorMapping.sizeExceeded;
import static io.blobgc.http.Responses.error;
import static io.blobgc.http.Responses.json;

/** {@code PUT /v1/blobs/{hash}}: a blob's bytes, streamed to a temporary file, checked, stored and registered. */
final class BlobUploads {

    private static final Logger log = LoggerFactory.getLogger(AdminRoutes.class);

    static final String UPLOAD_PREFIX = ".upload-";

    private final AdminBackend gc;
    private final Inputs inputs;
    private final UploadGate uploads;
    private final ErrorMapping errors;

    BlobUploads(AdminBackend gc, Inputs inputs, ErrorMapping errors) {
        this.gc = gc;
        this.inputs = inputs;
        this.uploads = new UploadGate(gc.settings().http(), gc.store());
        this.errors = errors;
    }

    /**
     * Streams the body to a temporary file under {@code upload-dir}, hashing it as it is written, with memory bounded
     * by a few buffers whatever its size; then {@link AdminBackend#upload(BlobHash, Path, List)}: checked, stored, and
     * only then registered (409 when the coordinator refuses the registration). Above {@code max-blob-size}: 413, from the declared length before reading, or when the
     * stream passes it.
     */
    CompletionStage<HttpResponse> putBlob(String hex, HttpEntity entity, Optional<String> dependsOn,
                                          Materializer mat) {
        BlobHash h = inputs.hash("hash", hex);
        List<BlobHash> deps = dependsOn.map(d -> inputs.commaSeparated("dependsOn", d)).orElse(List.of());
        long max = inputs.limits().maxBlobSize();
        OptionalLong declared = entity.getContentLengthOption();
        if (declared.isPresent() && declared.getAsLong() > max) {
            entity.discardBytes(mat);
            return CompletableFuture.completedFuture(tooLarge(declared.getAsLong() + " bytes"));
        }
        UploadGate.Ticket ticket;
        try {
            ticket = uploads.admit(declared);
        } catch (ApiError refused) {
            entity.discardBytes(mat);
            return CompletableFuture.completedFuture(refused.response());
        }
        Path tmp;
        try {
            Files.createDirectories(inputs.limits().uploadDir());
            tmp = Files.createTempFile(inputs.limits().uploadDir(), UPLOAD_PREFIX, ".tmp");
        } catch (IOException e) {
            ticket.release();
            entity.discardBytes(mat);
            log.error("cannot create an upload file under {}: {}", inputs.limits().uploadDir(), e.toString());
            return CompletableFuture.completedFuture(error(StatusCodes.INSUFFICIENT_STORAGE, "storage",
                    "cannot write the upload: " + e.getMessage()));
        }
        MessageDigest md = BlobHash.sha256Digest();
        long[] size = {0};
        return entity.withSizeLimit(max).getDataBytes()
                // a body that stops coming is cut after a window without bytes; a trickle, by the gate's pace check
                .idleTimeout(inputs.limits().minUploadRateWindow())
                .map(bytes -> {
                    ticket.received(bytes.size());
                    for (java.nio.ByteBuffer b : bytes.getByteBuffers()) md.update(b);
                    size[0] += bytes.size();
                    return bytes;
                })
                .runWith(FileIO.toPath(tmp), mat)
                .thenCompose(io -> {
                    BlobHash actual = BlobHash.of(md.digest());
                    if (!actual.equals(h)) {
                        throw ApiError.badRequest("content does not match its address: the SHA-256 of the " + size[0]
                                + " bytes is " + actual + ", not " + h);
                    }
                    return gc.upload(h, tmp, deps);
                })
                .thenApply(r -> {
                    if (!r.rejected().isEmpty()) throw ErrorMapping.refused(r);
                    return json(StatusCodes.CREATED, Answers.Uploaded.of(h, size[0], deps));
                })
                .exceptionally(e -> sizeExceeded(e) ? tooLarge("more than that")
                        : causedBy(e, org.apache.pekko.stream.StreamIdleTimeoutException.class) ? uploads.tooSlow().response()
                        : clientGone(e) ? error(StatusCodes.BAD_REQUEST, "aborted", "the upload ended before its last byte")
                        : errors.failure(e))
                .whenComplete((r, e) -> {
                    ticket.release();
                    try {
                        Files.deleteIfExists(tmp);
                    } catch (IOException ignored) {
                        // removed at the next start (AdminServer)
                    }
                });
    }

    private HttpResponse tooLarge(String what) {
        return error(StatusCodes.PAYLOAD_TOO_LARGE, "too_large", "the blob is " + what + ": at most "
                + inputs.limits().maxBlobSize() + " bytes (blob-gc.http.max-blob-size)");
    }

    /** The client went away mid-upload (reset, truncated body): its business, not a fault of ours to log. */
    private static boolean clientGone(Throwable e) {
        return causedBy(e, org.apache.pekko.http.scaladsl.model.EntityStreamException.class,
                org.apache.pekko.stream.StreamTcpException.class,
                org.apache.pekko.stream.AbruptStageTerminationException.class);
    }
}
