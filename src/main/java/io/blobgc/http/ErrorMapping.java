package io.blobgc.http;

import io.blobgc.LogText;
import io.blobgc.api.ApiJson;
import io.blobgc.api.ErrorBody;
import io.blobgc.coordinator.Coordinator;
import io.blobgc.ledger.Refusal;
import io.blobgc.protocol.ReporterProtocol.Registered;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedQueryParamRejection;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.MissingQueryParamRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import static io.blobgc.http.Responses.error;
import static io.blobgc.http.Responses.json;

/**
 * How the admin API's failures become answers: an {@link ApiError} its own, a timeout 503, a bad argument 400, a
 * body too large 413, a rejection of the routing its JSON error — and anything else 500, logged, never a stack trace.
 */
final class ErrorMapping {

    private static final Logger log = LoggerFactory.getLogger(AdminRoutes.class);

    private final Duration timeout;
    private final long maxJsonBody;

    ErrorMapping(Duration timeout, long maxJsonBody) {
        this.timeout = timeout;
        this.maxJsonBody = maxJsonBody;
    }

    HttpResponse failure(Throwable t) {
        Throwable e = unwrap(t);
        if (cause(e, ApiError.class) instanceof ApiError a) return a.response(); // also from inside a stream
        if (e instanceof TimeoutException || e.getClass().getSimpleName().contains("Timeout")) {
            return error(StatusCodes.SERVICE_UNAVAILABLE, "coordinator_unavailable",
                    "the coordinator did not answer within " + timeout.toSeconds() + " s (failover under way?)");
        }
        if (e instanceof IllegalArgumentException) return error(StatusCodes.BAD_REQUEST, "bad_request", e.getMessage());
        if (e instanceof EntityStreamSizeException) {
            return error(StatusCodes.PAYLOAD_TOO_LARGE, "too_large", "the body is larger than this call takes (at "
                    + "most " + maxJsonBody + " bytes, blob-gc.http.max-json-body)");
        }
        log.error("admin API request failed: {}", LogText.escape(e), e);
        return error(StatusCodes.INTERNAL_SERVER_ERROR, "internal", e.getClass().getSimpleName() + ": " + e.getMessage());
    }

    ExceptionHandler exceptions() {
        return ExceptionHandler.newBuilder()
                .match(ApiError.class, e -> Directives.complete(e.response()))
                .match(IllegalArgumentException.class, e -> Directives.complete(error(StatusCodes.BAD_REQUEST,
                        "bad_request", e.getMessage())))
                .match(Throwable.class, e -> Directives.complete(failure(e)))
                .build();
    }

    RejectionHandler rejections() {
        return RejectionHandler.newBuilder()
                .handle(MissingQueryParamRejection.class, r -> Directives.complete(error(StatusCodes.BAD_REQUEST,
                        "bad_request", "query parameter '" + r.parameterName() + "' is required")))
                .handle(MalformedQueryParamRejection.class, r -> Directives.complete(error(StatusCodes.BAD_REQUEST,
                        "bad_request", "query parameter '" + r.parameterName() + "': " + r.errorMsg())))
                .handle(MalformedRequestContentRejection.class, r -> Directives.complete(sizeExceeded(r.getCause())
                        ? failure(new EntityStreamSizeException(0, scala.Option.empty()))
                        : error(StatusCodes.BAD_REQUEST, "bad_request", "malformed request body: " + r.message())))
                .handleAll(MethodRejection.class, rs -> Directives.complete(error(StatusCodes.METHOD_NOT_ALLOWED,
                        "method_not_allowed", "allowed here: " + rs.stream().map(r -> r.supported().name())
                                .collect(Collectors.joining(", ")))))
                .handleNotFound(Directives.extractUnmatchedPath(p -> Directives.complete(error(StatusCodes.NOT_FOUND,
                        "not_found", "no such resource: " + p))))
                .build()
                .withFallback(RejectionHandler.defaultHandler())
                .mapRejectionResponse(resp -> resp.entity().getContentType().equals(ContentTypes.APPLICATION_JSON)
                        ? resp
                        : resp.withEntity(ContentTypes.APPLICATION_JSON,
                        ApiJson.bytes(new ErrorBody("bad_request", resp.status().reason()))));
    }

    /** A registration the coordinator refused: 503 to retry later, or 409 saying why. */
    static ApiError refused(Registered r) {
        java.util.List<String> gone = r.goneCallees().stream().map(io.blobgc.BlobHash::toHex).toList(); // review 31b
        if (!r.retry().isEmpty()) {
            return new ApiError(StatusCodes.SERVICE_UNAVAILABLE, "retry", "a coordinator that was replaced may still "
                    + "be deleting " + r.retry() + " (blob-gc.sweeper.batch-deadline): upload again in a while",
                    UploadGate.RETRY_AFTER_SECONDS, gone);
        }
        if (!r.noContent().isEmpty() && r.noContent().size() == r.rejected().size()) {
            return new ApiError(StatusCodes.CONFLICT, "no_content", "the store does not hold the content of "
                    + r.noContent() + ": upload its content first (PUT /v1/blobs/{hash}), or upload again if it was "
                    + "being deleted", 0, gone);
        }
        return new ApiError(StatusCodes.CONFLICT, "conflict", "being deleted right now (upload again once "
                + "collected), without content in the store (upload its content first), or a declared callee has no "
                + "content (upload the callees first, goneCallees): " + r.rejected()
                + (r.noContent().isEmpty() ? "" : "; no content in the store: " + r.noContent()), 0, gone);
    }

    /** {@code ok} with 200 when done, else the refusal's status. */
    static HttpResponse opResult(Coordinator.OpResult r, Object ok) {
        if (r.ok()) return json(StatusCodes.OK, ok);
        Refusal refusal = r.refusal();
        return switch (refusal.kind()) {
            case NOT_FOUND -> error(StatusCodes.NOT_FOUND, "not_found", refusal.message());
            case CONFLICT -> error(StatusCodes.CONFLICT, "conflict", refusal.message());
            case BAD_REQUEST -> error(StatusCodes.BAD_REQUEST, "bad_request", refusal.message());
        };
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** The first throwable of one of {@code kinds} in {@code e}'s chain of causes (itself included), or null. */
    static Throwable cause(Throwable e, Class<?>... kinds) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            for (Class<?> k : kinds) if (k.isInstance(t)) return t;
        }
        return null;
    }

    static boolean causedBy(Throwable e, Class<?>... kinds) {
        return cause(e, kinds) != null;
    }

    static boolean sizeExceeded(Throwable e) {
        return causedBy(e, EntityStreamSizeException.class);
    }
}
