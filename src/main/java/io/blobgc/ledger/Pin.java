package io.blobgc.ledger;

import io.blobgc.CborSerializable;

/**
 * An operator pin: kept apart from node pins, removed only by its owner or by its TTL (S1).
 *
 * @param expiresAt epoch millis, or {@code null} for a pin without TTL
 */
public record Pin(String owner, String reason, long pinnedAt, Long expiresAt) implements CborSerializable {
    public boolean expiredAt(long now) {
        return expiresAt != null && expiresAt <= now;
    }
}
