package io.blobgc.ledger;

import io.blobgc.BlobHash;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The ledger a random history drives ({@link LedgerPropertyTest}): what a coordinator asks of its
 * {@link PartitionedLedger}, and no more. {@link #of} is one {@code PartitionedLedger} (every partition in one JVM);
 * {@link HostedPartitionDifferentialTest} puts hosted partitions behind it, compared with one at every answer.
 */
interface LedgerUnderTest {

    void memberUp(String node, long now);

    void memberRemoved(String node, long now);

    List<BlobHash> checkRegister(Collection<BlobHash> candidates);

    void applyRegistered(Collection<Registration> registrations);

    AcquireOutcome acquire(String node, long incarnation, long afterSeq, BlobHash hash, long now);

    ReportOutcome report(NodeReport r, long now);

    Optional<Refusal> checkPin(BlobHash hash, long now);

    void applyPinned(BlobHash hash, Pin pin);

    void applyUnpinned(BlobHash hash, String owner);

    /** A cycle as the coordinator runs it: every partition plans, the outcomes are applied, the exports exchanged. */
    List<CycleOutcome> cycle(long now, long localNow, boolean dryRun);

    List<BlobHash> planDeletion(int max);

    void applyDeletionStarted(Collection<BlobHash> hashes, long at);

    List<BlobHash> deleting(int max);

    void applyCollected(Collection<BlobHash> hashes, long at, long bytes);

    List<NodeInfo> nodes(long now);

    Optional<BlobInfo> info(BlobHash hash);

    Optional<BlobStatus> status(BlobHash hash);

    /** {@code ledger} itself. */
    static LedgerUnderTest of(PartitionedLedger ledger) {
        return new Whole(ledger);
    }

    /** One {@link PartitionedLedger}, every method passed straight to it. */
    record Whole(PartitionedLedger ledger) implements LedgerUnderTest {
        @Override public void memberUp(String node, long now) { ledger.memberUp(node, now); }
        @Override public void memberRemoved(String node, long now) { ledger.memberRemoved(node, now); }
        @Override public List<BlobHash> checkRegister(Collection<BlobHash> c) { return ledger.checkRegister(c); }
        @Override public void applyRegistered(Collection<Registration> r) { ledger.applyRegistered(r); }
        @Override public AcquireOutcome acquire(String node, long incarnation, long afterSeq, BlobHash hash, long now) {
            return ledger.acquire(node, incarnation, afterSeq, hash, now);
        }
        @Override public ReportOutcome report(NodeReport r, long now) { return ledger.report(r, now); }
        @Override public Optional<Refusal> checkPin(BlobHash hash, long now) { return ledger.checkPin(hash, now); }
        @Override public void applyPinned(BlobHash hash, Pin pin) { ledger.applyPinned(hash, pin); }
        @Override public void applyUnpinned(BlobHash hash, String owner) { ledger.applyUnpinned(hash, owner); }
        @Override public List<CycleOutcome> cycle(long now, long localNow, boolean dryRun) {
            List<CycleOutcome> outcomes = ledger.planCycle(now, localNow, dryRun);
            ledger.applyCycle(outcomes);
            ledger.exchangeExports(localNow);
            return outcomes;
        }
        @Override public List<BlobHash> planDeletion(int max) { return ledger.planDeletion(max); }
        @Override public void applyDeletionStarted(Collection<BlobHash> h, long at) { ledger.applyDeletionStarted(h, at); }
        @Override public List<BlobHash> deleting(int max) { return ledger.deleting(max); }
        @Override public void applyCollected(Collection<BlobHash> h, long at, long bytes) {
            ledger.applyCollected(h, at, bytes);
        }
        @Override public List<NodeInfo> nodes(long now) { return ledger.nodes(now); }
        @Override public Optional<BlobInfo> info(BlobHash hash) { return ledger.info(hash); }
        @Override public Optional<BlobStatus> status(BlobHash hash) { return ledger.status(hash); }
    }
}
