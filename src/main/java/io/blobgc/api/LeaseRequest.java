package io.blobgc.api;

import java.util.List;

/** {@code PUT /v1/node/holders/{holder}}: what a holder uses now, for {@code ttl}. */
public record LeaseRequest(List<String> hashes, List<String> pins, String ttl) {
}
