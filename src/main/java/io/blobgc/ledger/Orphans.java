package io.blobgc.ledger;

import io.blobgc.BlobHash;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The store reconciliation's persistent state: content in the store that the registry does not account for (a hash
 * it does not know, or one it holds as COLLECTED) and that was condemned for deletion — the fence of an orphan, as
 * DELETING is a blob's: a registration of a condemned hash is refused until its deletion is confirmed — and where the
 * walk through the store's listing got to. Part of the ledger's persistent state (events and snapshots).
 */
final class Orphans {

    private final Set<BlobHash> condemned = new LinkedHashSet<>();
    /**
     * Orphans deleted lately, oldest first, with when: an orphan leaves no COLLECTED blob behind, and after a failover
     * its re-upload must wait like a collected blob's (S10); kept for the tombstone TTL, at most {@link #DELETED_KEPT}.
     */
    private final java.util.LinkedHashMap<BlobHash, Long> deleted = new java.util.LinkedHashMap<>();
    static final int DELETED_KEPT = 100_000;
    /** The last hash of the last page that condemned something (null: from the first); the walk resumes after it. */
    private BlobHash scannedUpTo;
    private long totalCondemned;
    private long totalDeleted;

    void applyCondemned(Collection<BlobHash> hashes, BlobHash upTo) {
        for (BlobHash h : hashes) if (condemned.add(h)) totalCondemned++;
        scannedUpTo = upTo;
    }

    /** A deletion of {@code h} was confirmed at {@code at}: true when it was a condemned orphan's. */
    boolean applyDeleted(BlobHash h, long at, long tombstoneTtlMs) {
        if (!condemned.remove(h)) return false;
        totalDeleted++;
        deleted.remove(h);
        deleted.put(h, at);
        var oldest = deleted.entrySet().iterator();
        while (oldest.hasNext()) {
            var e = oldest.next();
            if (deleted.size() <= DELETED_KEPT && e.getValue() >= at - tombstoneTtlMs) break;
            oldest.remove();
        }
        return true;
    }

    /** {@code h} was registered: its content is a blob's now, no orphan's. */
    void registered(BlobHash h) {
        deleted.remove(h);
    }

    /** Whether {@code h} is an orphan deleted lately (within the tombstone TTL). */
    boolean wasDeleted(BlobHash h) {
        return deleted.containsKey(h);
    }

    boolean isCondemned(BlobHash h) {
        return condemned.contains(h);
    }

    /** Up to {@code max} condemned orphans, oldest first. */
    List<BlobHash> condemned(int max) {
        List<BlobHash> out = new ArrayList<>();
        for (BlobHash h : condemned) {
            if (out.size() >= max) break;
            out.add(h);
        }
        return out;
    }

    int condemnedCount() {
        return condemned.size();
    }

    BlobHash scannedUpTo() {
        return scannedUpTo;
    }

    long totalCondemned() {
        return totalCondemned;
    }

    long totalDeleted() {
        return totalDeleted;
    }

    LedgerSnapshot.OrphanState snapshot() {
        return new LedgerSnapshot.OrphanState(List.copyOf(condemned), scannedUpTo, totalCondemned, totalDeleted,
                List.copyOf(deleted.keySet()), List.copyOf(deleted.values()));
    }

    void restore(LedgerSnapshot.OrphanState s) {
        if (s == null) return; // a snapshot from before the reconciliation
        if (s.condemned() != null) condemned.addAll(s.condemned());
        scannedUpTo = s.scannedUpTo();
        totalCondemned = s.totalCondemned();
        totalDeleted = s.totalDeleted();
        if (s.deleted() != null && s.deletedAt() != null) {
            for (int i = 0; i < Math.min(s.deleted().size(), s.deletedAt().size()); i++) {
                deleted.put(s.deleted().get(i), s.deletedAt().get(i));
            }
        }
    }
}
