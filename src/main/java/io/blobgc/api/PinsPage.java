package io.blobgc.api;

import io.blobgc.coordinator.Coordinator;

import java.util.List;

/** {@code GET /v1/pins}: a page of the operator pins, newest first. */
public record PinsPage(int total, int offset, List<PinRow> pins) {

    /** One operator pin. */
    public record PinRow(String hash, String owner, String reason, long pinnedAt, Long expiresAt) {
    }

    public static PinsPage from(Coordinator.Pins p, int offset) {
        return new PinsPage(p.total(), offset, p.pins().stream().map(pb -> new PinRow(pb.hash().toHex(),
                pb.pin().owner(), pb.pin().reason(), pb.pin().pinnedAt(), pb.pin().expiresAt())).toList());
    }
}
