package io.blobgc.ledger;

import io.blobgc.BlobHash;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the registry may take in now, and why not: registrations (nothing being deleted or condemned may be
 * registered again, S6), operator pins and unpins, and content the store reconciliation finds (an orphan). Reads
 * the {@link Registry}; changes nothing.
 */
final class Admission {

    private final Registry registry;
    private final BlobTable table;

    Admission(Registry registry) {
        this.registry = registry;
        this.table = registry.table;
    }

    /**
     * Whether content found in the store under {@code hash} is an orphan: the registry does not know the hash, or
     * holds it as COLLECTED, and it is not condemned already.
     */
    boolean isOrphan(BlobHash hash) {
        int b = table.find(hash);
        return (b < 0 || table.status(b) == BlobStatus.COLLECTED) && !registry.orphans.isCondemned(hash);
    }

    /** The hashes among {@code candidates} that a registration cannot take now: they are being deleted. */
    List<BlobHash> checkRegister(Collection<BlobHash> candidates) {
        List<BlobHash> rejected = new ArrayList<>();
        for (BlobHash h : candidates) {
            int b = table.find(h);
            boolean deleting = b >= 0 && table.status(b) == BlobStatus.DELETING;
            if (deleting || registry.orphans.isCondemned(h)) rejected.add(h);
        }
        return rejected;
    }

    /** Why an operator pin on {@code hash} cannot be taken, or empty when it can. */
    Optional<Refusal> checkPin(BlobHash hash) {
        int b = table.find(hash);
        if (b < 0) return Optional.of(Refusal.notFound("unknown blob " + hash + ": register it before pinning"));
        if (table.status(b) == BlobStatus.DELETING) {
            return Optional.of(Refusal.conflict("blob " + hash + " is being deleted"));
        }
        if (table.status(b) == BlobStatus.COLLECTED) {
            return Optional.of(Refusal.conflict("blob " + hash + " was collected: upload it again"));
        }
        List<BlobHash> gone = registry.graph.goneInClosure(b);
        if (!gone.isEmpty()) {
            return Optional.of(Refusal.goneCallees(hash, gone));
        }
        return Optional.empty();
    }

    /** Why {@code owner}'s pin on {@code hash} cannot be removed, or empty when it can. */
    Optional<Refusal> checkUnpin(BlobHash hash, String owner) {
        int b = table.find(hash);
        if (b < 0) return Optional.of(Refusal.notFound("unknown blob " + hash));
        Map<String, Pin> pins = registry.operatorPins.get(b);
        if (pins == null || !pins.containsKey(owner)) {
            return Optional.of(Refusal.notFound("blob " + hash + " has no pin by owner '" + owner + "'"
                    + (pins == null ? "" : " (pinned by " + String.join(", ", pins.keySet()) + ")")));
        }
        return Optional.empty();
    }
}
