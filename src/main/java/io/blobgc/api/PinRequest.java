package io.blobgc.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** {@code PUT /v1/pins/{hash}}; {@code ttl} (e.g. "10m") is optional. */
public record PinRequest(String owner, String reason, @JsonInclude(JsonInclude.Include.NON_NULL) String ttl) {
}
