package io.blobgc.api;

import io.blobgc.ledger.CycleOutcome;

import java.util.List;

/** {@code POST /v1/cycles}: what the cycle decided. */
public record CycleRun(long cycle, long at, boolean dryRun, boolean frozen, boolean warmingUp,
                       List<String> unreferenced, List<String> activated, List<String> pinned, List<String> rescued,
                       List<MarkedBlob> marked, List<PinRef> expiredPins, List<String> prunedTombstones,
                       List<String> confirmedBy, List<String> staleNodes, long graceResetAt) {

    /** An operator pin that expired in the cycle. */
    public record PinRef(String hash, String owner) {
    }

    public static CycleRun from(CycleOutcome o) {
        return new CycleRun(o.cycle(), o.at(), o.dryRun(), o.frozen(), o.warmingUp(), Hashes.hex(o.unreferenced()),
                Hashes.hex(o.activated()), Hashes.hex(o.pinned()), Hashes.hex(o.rescued()), MarkedBlob.all(o.marked()),
                o.expiredPins() == null ? null
                        : o.expiredPins().stream().map(p -> new PinRef(p.hash().toHex(), p.owner())).toList(),
                Hashes.hex(o.prunedTombstones()), o.confirmedBy(), o.staleNodes(), o.graceResetAt());
    }
}
