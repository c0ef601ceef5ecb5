package io.blobgc.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The one JSON mapper of the API's bodies: the server writes with it, the command line reads with it. */
public final class ApiJson {

    /** Writes answers (and the CLI's request bodies); a plain mapper, as the API has always written. */
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private ApiJson() {
    }

    /** {@code body} as JSON bytes. */
    public static byte[] bytes(Object body) {
        try {
            return MAPPER.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    /** An answer read into its record; fields this client does not know (a newer server's) are skipped. */
    public static <T> T read(JsonNode json, Class<T> type) {
        try {
            return MAPPER.readerFor(type).without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).readValue(json);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("not a " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }
}
