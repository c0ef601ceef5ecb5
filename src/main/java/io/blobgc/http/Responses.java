package io.blobgc.http;

import io.blobgc.api.ApiJson;
import io.blobgc.api.ErrorBody;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;

/** Answers with a JSON body: one of the records of {@code io.blobgc.api}, written by {@link ApiJson#MAPPER}. */
final class Responses {
    private Responses() {
    }

    static HttpResponse json(StatusCode status, Object body) {
        return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, ApiJson.bytes(body));
    }

    /** {@code {"error":"<code>","message":"…"}}; the code stands for a missing message. */
    static HttpResponse error(StatusCode status, String code, String message) {
        return error(status, code, message, java.util.List.of());
    }

    /** An error naming blobs to upload again first ({@link ErrorBody#goneCallees}). */
    static HttpResponse error(StatusCode status, String code, String message, java.util.List<String> goneCallees) {
        return json(status, new ErrorBody(code, message == null ? code : message, goneCallees));
    }
}
