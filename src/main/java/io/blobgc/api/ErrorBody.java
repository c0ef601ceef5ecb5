package io.blobgc.api;

/** Every error: {@code {"error":"<code>","message":"…"}}. */
public record ErrorBody(String error, String message) {
}
