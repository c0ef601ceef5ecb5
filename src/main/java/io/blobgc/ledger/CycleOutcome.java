package io.blobgc.ledger;

import io.blobgc.BlobHash;
import io.blobgc.CborSerializable;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What one GC cycle decided: computed by {@link Ledger#planCycle}, persisted (inside an event), then applied
 * by {@link Ledger#applyCycle} — on the live coordinator and again on every recovery.
 *
 * @param unreferenced  blobs that lost their last reference or pin: their grace starts at {@code at}
 * @param activated     blobs that are (again) referenced, or only held by a dependant: ACTIVE
 * @param pinned        blobs held by an operator or node pin: PINNED
 * @param rescued       the subset of activated/pinned that was UNREFERENCED or MARKED (collection cancelled)
 * @param marked        blobs marked for collection; in a dry run, what would have been marked (nothing applied)
 * @param confirmedBy   the live nodes whose complete views confirmed the marked blobs absent (S3)
 * @param graceResetAt  every grace clock counts from no earlier than this (quorum regained, S7)
 */
public record CycleOutcome(long cycle, long at, boolean dryRun, boolean frozen, boolean warmingUp,
                           List<BlobHash> unreferenced, List<BlobHash> activated, List<BlobHash> pinned,
                           List<BlobHash> rescued, List<MarkedBlob> marked, List<PinRef> expiredPins,
                           List<BlobHash> prunedTombstones, List<String> confirmedBy, List<String> staleNodes,
                           long graceResetAt) implements CborSerializable {

    /** A blob marked (or, in a dry run, that would be marked), with the start of its unreferenced time. */
    public record MarkedBlob(BlobHash hash, long unreferencedSince) implements CborSerializable {
    }

    /** One operator pin, by blob and owner. */
    public record PinRef(BlobHash hash, String owner) implements CborSerializable {
    }

    /**
     * The partitions' outcomes of one cycle as one (at P &gt; 1: what the admin API answers and the logs show; each
     * partition's is persisted on its own): lists joined, flags of any, the latest times.
     */
    public static CycleOutcome merged(List<CycleOutcome> parts) {
        if (parts.size() == 1) return parts.get(0);
        CycleOutcome first = parts.get(0);
        boolean frozen = false, warmingUp = false;
        long at = first.at(), graceResetAt = first.graceResetAt();
        List<BlobHash> unreferenced = new ArrayList<>(), activated = new ArrayList<>(), pinned = new ArrayList<>(),
                rescued = new ArrayList<>(), pruned = new ArrayList<>();
        List<MarkedBlob> marked = new ArrayList<>();
        List<PinRef> expired = new ArrayList<>();
        Set<String> confirmedBy = new LinkedHashSet<>(), stale = new LinkedHashSet<>();
        for (CycleOutcome o : parts) {
            frozen |= o.frozen();
            warmingUp |= o.warmingUp();
            at = Math.max(at, o.at());
            graceResetAt = Math.max(graceResetAt, o.graceResetAt());
            unreferenced.addAll(o.unreferenced());
            activated.addAll(o.activated());
            pinned.addAll(o.pinned());
            rescued.addAll(o.rescued());
            marked.addAll(o.marked());
            expired.addAll(o.expiredPins());
            pruned.addAll(o.prunedTombstones());
            confirmedBy.addAll(o.confirmedBy());
            stale.addAll(o.staleNodes());
        }
        return new CycleOutcome(first.cycle(), at, first.dryRun(), frozen, warmingUp, unreferenced, activated, pinned,
                rescued, marked, expired, pruned, List.copyOf(confirmedBy), List.copyOf(stale), graceResetAt);
    }

    public boolean changedNothing() {
        return unreferenced.isEmpty() && activated.isEmpty() && pinned.isEmpty() && marked.isEmpty()
                && expiredPins.isEmpty() && prunedTombstones.isEmpty();
    }
}
