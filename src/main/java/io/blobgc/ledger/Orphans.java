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
    /** The last hash of the last page that condemned something (null: from the first); the walk resumes after it. */
    private BlobHash scannedUpTo;
    private long totalCondemned;
    private long totalDeleted;

    void applyCondemned(Collection<BlobHash> hashes, BlobHash upTo) {
        for (BlobHash h : hashes) if (condemned.add(h)) totalCondemned++;
        scannedUpTo = upTo;
    }

    /** A deletion of {@code h} was confirmed: true when it was a condemned orphan's. */
    boolean applyDeleted(BlobHash h) {
        if (!condemned.remove(h)) return false;
        totalDeleted++;
        return true;
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
        return new LedgerSnapshot.OrphanState(List.copyOf(condemned), scannedUpTo, totalCondemned, totalDeleted);
    }

    void restore(LedgerSnapshot.OrphanState s) {
        if (s == null) return; // a snapshot from before the reconciliation
        if (s.condemned() != null) condemned.addAll(s.condemned());
        scannedUpTo = s.scannedUpTo();
        totalCondemned = s.totalCondemned();
        totalDeleted = s.totalDeleted();
    }
}
