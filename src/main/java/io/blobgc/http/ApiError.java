package io.blobgc.http;

import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;

/** A refusal that becomes an HTTP error (see {@link Responses#error}). */
final class ApiError extends RuntimeException {
    final StatusCode status;
    final String code;
    /** Seconds for a {@code Retry-After} header; 0: none. */
    final long retryAfterSeconds;
    /** A refused registration's blobs to upload again first, as hex ({@code goneCallees} in the body); often none. */
    final java.util.List<String> goneCallees;

    ApiError(StatusCode status, String code, String message) {
        this(status, code, message, 0);
    }

    ApiError(StatusCode status, String code, String message, long retryAfterSeconds) {
        this(status, code, message, retryAfterSeconds, java.util.List.of());
    }

    ApiError(StatusCode status, String code, String message, long retryAfterSeconds,
             java.util.List<String> goneCallees) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
        this.goneCallees = java.util.List.copyOf(goneCallees);
    }

    HttpResponse response() {
        HttpResponse r = Responses.error(status, code, getMessage(), goneCallees);
        return retryAfterSeconds > 0 ? r.addHeader(RetryAfter.create(retryAfterSeconds)) : r;
    }

    static ApiError badRequest(String message) {
        return new ApiError(StatusCodes.BAD_REQUEST, "bad_request", message);
    }
}
