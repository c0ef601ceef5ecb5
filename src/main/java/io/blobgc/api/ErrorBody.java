package io.blobgc.api;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/**
 * Every error: {@code {"error":"<code>","message":"…"}}; a refused registration adds {@code "goneCallees":[…]}, the
 * blobs to upload again first (only when there are some).
 */
public record ErrorBody(String error, String message,
                        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> goneCallees) {

    public ErrorBody(String error, String message) {
        this(error, message, List.of());
    }
}
