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

    ApiError(StatusCode status, String code, String message) {
        this(status, code, message, 0);
    }

    ApiError(StatusCode status, String code, String message, long retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    HttpResponse response() {
        HttpResponse r = Responses.error(status, code, getMessage());
        return retryAfterSeconds > 0 ? r.addHeader(RetryAfter.create(retryAfterSeconds)) : r;
    }

    static ApiError badRequest(String message) {
        return new ApiError(StatusCodes.BAD_REQUEST, "bad_request", message);
    }
}
