package io.blobgc.api;

import java.util.List;
import java.util.Map;

/** {@code POST /v1/blobs}: hashes to register, and the callees of some of them. */
public record RegisterRequest(List<String> hashes, Map<String, List<String>> dependencies) {
}
