package io.blobgc.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A small client of the admin API, for the command line and the demo: JSON in, JSON out, answers read into this
 * package's records with {@link ApiJson}, errors as {@link ApiException}.
 */
public final class ApiClient {

    /** The API's own mapper ({@link ApiJson#MAPPER}): request bodies are written, answers read, as the server does. */
    public static final ObjectMapper JSON = ApiJson.MAPPER;

    /** The API answered with an error, or could not be reached. */
    public static final class ApiException extends RuntimeException {
        ApiException(String message) {
            super(message);
        }
    }

    private final String base;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public ApiClient(String base, String token) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.token = token == null || token.isEmpty() ? null : token;
    }

    public JsonNode get(String path) {
        return send("GET", path, HttpRequest.BodyPublishers.noBody(), null);
    }

    public JsonNode post(String path, String json) {
        return send("POST", path, json == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(json), "application/json");
    }

    public JsonNode put(String path, String json) {
        return send("PUT", path, HttpRequest.BodyPublishers.ofString(json), "application/json");
    }

    public JsonNode putBytes(String path, byte[] bytes) {
        return send("PUT", path, HttpRequest.BodyPublishers.ofByteArray(bytes), "application/octet-stream");
    }

    public JsonNode delete(String path) {
        return send("DELETE", path, HttpRequest.BodyPublishers.noBody(), null);
    }

    public String getText(String path) {
        return raw("GET", path, HttpRequest.BodyPublishers.noBody(), null).body();
    }

    private JsonNode send(String method, String path, HttpRequest.BodyPublisher body, String contentType) {
        HttpResponse<String> r = raw(method, path, body, contentType);
        JsonNode json;
        try {
            json = JSON.readTree(r.body());
        } catch (IOException e) {
            throw new ApiException("HTTP " + r.statusCode() + " from " + base + path + ": not JSON");
        }
        if (r.statusCode() >= 400) {
            ErrorBody error = errorBody(json);
            throw new ApiException((error.error() == null ? "http_" + r.statusCode() : error.error()) + ": "
                    + (error.message() == null ? "" : error.message()));
        }
        return json;
    }

    /** The error's code and message; none when the body is not an {@link ErrorBody}. */
    private static ErrorBody errorBody(JsonNode json) {
        try {
            return json.isObject() ? ApiJson.read(json, ErrorBody.class) : new ErrorBody(null, null);
        } catch (IllegalArgumentException e) {
            return new ErrorBody(null, null);
        }
    }

    private HttpResponse<String> raw(String method, String path, HttpRequest.BodyPublisher body, String contentType) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .method(method, body);
        if (contentType != null) b.header("Content-Type", contentType);
        if (token != null) b.header("Authorization", "Bearer " + token);
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new ApiException("cannot reach " + base + " (is a node running there? see --url)");
        } catch (IOException e) {
            throw new ApiException("request to " + base + path + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException("interrupted");
        }
    }
}
