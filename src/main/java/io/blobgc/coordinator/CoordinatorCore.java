package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator.OpResult;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.AcquireOutcome;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Pin;
import io.blobgc.ledger.Refusal;
import io.blobgc.ledger.Registration;
import io.blobgc.ledger.ReportOutcome;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import io.blobgc.protocol.ReporterProtocol.Registered;
import io.blobgc.store.BlobStore;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The coordinator's decisions in plain Java: for each command, what to persist and what to answer. The
 * {@link Coordinator} actor and the deterministic simulation drive this same code: the actor persists the
 * {@link Decision}'s events, applies them with {@link #apply} (its event handler, also on recovery), then sends the
 * reply computed on the new state. No Pekko, no I/O, no clock: time is an argument.
 *
 * <p>The ledger is the event-sourced state; what belongs to one incarnation of the coordinator (the blobs handed to
 * its sweeper, failures not yet journaled: {@link Deletions}; its takeover window: {@link InheritedWindow}) lives here
 * and is reset by {@link #recovered}. No input reaches an exception: a command missing a hash or a node is refused
 * (design.md §4: bad input is never a crash). An upload's registration is decided by {@link Registrations}.
 */
public final class CoordinatorCore {

    /** Events to persist, then the reply, computed on the state after they were applied. */
    public record Decision<R>(List<Coordinator.Event> events, Function<PartitionedLedger, R> reply) {
        static <R> Decision<R> answer(Function<PartitionedLedger, R> reply) {
            return new Decision<>(List.of(), reply);
        }

        static <R> Decision<R> persist(Coordinator.Event event, Function<PartitionedLedger, R> reply) {
            return new Decision<>(List.of(event), reply);
        }
    }

    /** What became of a report, and whether it was the last FULL report the warm-up waited for (cycle now). */
    public record ReportResult(ReportOutcome outcome, boolean warmUpCompleted) {
    }

    /** The most entries a read answers in one page (pins, history): larger limits are cut to it. */
    public static final int MAX_PAGE = 1000;
    /** The most blobs the sweeper is handed in one batch: a larger {@code max} is cut to it. */
    public static final int MAX_DELETION_BATCH = 10_000;
    /**
     * The most hashes and edges one registration may carry, all together: a larger one is refused as a whole (the
     * admin API allows far fewer, {@code http.max-hashes}); it keeps one message from holding the coordinator long.
     */
    public static final int MAX_REGISTRATION_ITEMS = 100_000;

    /** The longest operator pin TTL (100 years): beyond it, use no TTL. */
    public static final long MAX_PIN_TTL_MS = 100L * 365 * 24 * 3_600_000L;

    private final boolean dryRun;
    /** The sweeper's batches and the store reconciliation's walk: reset by {@link #recovered}. */
    private final Deletions deletions;
    /** This instance's takeover and what its predecessors may still be deleting (S10). */
    private final InheritedWindow window = new InheritedWindow();

    /** @param dryRun the configured {@code blob-gc.dry-run}: compute and record, delete nothing (S9) */
    public CoordinatorCore(boolean dryRun) {
        this.dryRun = dryRun;
        this.deletions = new Deletions(dryRun);
    }

    /**
     * Recovery completed: what the previous incarnation handed out is forgotten, and the warm-up (S5) waits for every
     * Up member in {@code upMembers} (null: no membership service, every reporting node counts).
     */
    public void recovered(PartitionedLedger l, Collection<String> upMembers, long localNow) {
        deletions.recovered(l);
        l.beginWarmUp(upMembers, localNow);
    }

    /**
     * {@link #recovered} by a driver that wrote its own takeover first — the actor: its {@code TookOver} is applied as
     * its recovery ends, before the warm-up begins, and no takeover can be applied after it (S10). So its
     * partitions' (incarnation, seq)s are its own, and they may send exports ({@link PartitionedLedger#tookOverFirst}).
     */
    public void recoveredAfterOwnTakeOver(PartitionedLedger l, Collection<String> upMembers, long localNow) {
        recovered(l, upMembers, localNow);
        l.tookOverFirst();
    }

    /** @param localNow this coordinator's monotonic millis: when the report was received (staleness) */
    public Decision<ReportResult> report(NodeReport r, long localNow) {
        return Decision.answer(l -> {
            if (!wellFormed(r)) return new ReportResult(ReportOutcome.MALFORMED, false);
            boolean warming = l.warmingUp();
            ReportOutcome o = l.report(r, localNow);
            return new ReportResult(o, warming && !l.warmingUp());
        });
    }

    /**
     * A node's report: a node id, not one of the partitions' reporter ids (a node report under a partition's id would
     * land in that partition's view, where it could drop what the partition exports), a kind, and no null hash.
     */
    private static boolean wellFormed(NodeReport r) {
        return r != null && r.node() != null && !PartitionedLedger.isPartitionReporter(r.node()) && r.kind() != null
                && noNullHash(r);
    }

    /** No list of {@code r} names a null hash (CBOR can carry one): its hashes can be looked up and split. */
    static boolean noNullHash(NodeReport r) {
        return noNulls(r.activeAdded()) && noNulls(r.activeRemoved()) && noNulls(r.pinsAdded())
                && noNulls(r.pinsRemoved());
    }

    private static boolean noNulls(List<?> xs) {
        for (Object x : xs) if (x == null) return false; // List.of(…).contains(null) throws
        return true;
    }

    /**
     * The acquire fence (S6). Never registers: a hash the registry does not hold (never uploaded, or collected and
     * its tombstone pruned) has no content, so the answer is GONE — upload it, then acquire.
     */
    public Decision<AcquireReply> acquire(PartitionedLedger ledger, String node, long incarnation, long afterSeq, BlobHash hash,
                                          long now, long localNow) {
        if (node == null || hash == null) {
            return Decision.answer(l -> new AcquireReply(hash, AcquireResult.REFUSED, List.of(),
                    "an acquire needs a node and a hash"));
        }
        if (PartitionedLedger.isPartitionReporter(node)) {
            return Decision.answer(l -> new AcquireReply(hash, AcquireResult.REFUSED, List.of(),
                    "'" + node + "' names a partition, not a node"));
        }
        if (!ledger.ownsHash(hash)) { // a partition entity, asked for another's hash: sent astray, not the node's fault
            return Decision.answer(l -> new AcquireReply(hash, AcquireResult.UNAVAILABLE, List.of(),
                    notHere(l, hash) + ": retry"));
        }
        // a use of a blob waiting out its grace is persisted first: a successor recovering before the next cycle must
        // not count the grace from before this use (S3)
        List<BlobHash> waiting = ledger.goneInClosure(hash).isEmpty() && !ledger.isNodeRemoved(node)
                ? ledger.waitingOutGrace(hash) : List.of();
        List<Coordinator.Event> events = waiting.isEmpty() ? List.of() : List.of(new Coordinator.BlobsUsed(waiting, now));
        return new Decision<>(events, l -> acquireReply(node, hash, l.acquire(node, incarnation, afterSeq, hash, localNow),
                () -> l.goneInClosure(hash)));
    }

    /** The answer to {@code node}'s acquire of {@code hash} the ledger answered {@code o}; {@code gone}: what a GONE names. */
    static AcquireReply acquireReply(String node, BlobHash hash, AcquireOutcome o, Supplier<List<BlobHash>> gone) {
        return switch (o) {
            case ACQUIRED -> new AcquireReply(hash, AcquireResult.ACQUIRED, List.of(), "acquired");
            case UNKNOWN -> new AcquireReply(hash, AcquireResult.GONE, List.of(hash),
                    "unknown blob (never uploaded, or collected long ago): upload it, then acquire");
            case GONE -> goneReply(hash, gone.get());
            case FROM_REMOVED_NODE -> new AcquireReply(hash, AcquireResult.REFUSED, List.of(),
                    "node " + node + " was removed from the cluster");
            case STALE -> new AcquireReply(hash, AcquireResult.REFUSED, List.of(),
                    "a stale acquire: the node reported since, without this blob");
        };
    }

    /** An acquire of {@code hash} answered GONE: {@code gone} must be uploaded again first (at most 1,000 named, the deepest). */
    static AcquireReply goneReply(BlobHash hash, List<BlobHash> gone) {
        // at most a frame's worth, the deepest (the closure is listed from the blob down): uploadable at once, and the
        // next GONE names the rest (a huge gone closure's answer was dropped, over the remote frame)
        int max = Registrations.MAX_GONE_CALLEES;
        List<BlobHash> named = gone.size() <= max ? gone : List.copyOf(gone.subList(gone.size() - max, gone.size()));
        String shown = named.size() <= SHOWN ? named.toString()
                : named.subList(0, SHOWN) + " and " + (named.size() - SHOWN) + " more";
        return new AcquireReply(hash, AcquireResult.GONE, named,
                "being deleted or collected: " + shown + "; upload again, then acquire");
    }

    /** The most hashes an answer's message shows (its list names them all). */
    private static final int SHOWN = 10;

    /**
     * An upload's registration, made after its content was written to the store: ACTIVE (or ACQUIRED) implies the
     * content is in the store (design.md, S11: the registry never runs ahead of the store). Refused for a blob being deleted right now
     * (upload again once collected); for a blob that would get content from this registration — unknown, or
     * COLLECTED — while {@code stored} says the store does not hold it (write it first); and for a blob whose
     * declared callees have no content: unknown (not uploaded yet, unless in the same registration) or being deleted
     * or collected — otherwise an acquire of the caller would answer ACQUIRED for missing content. Upload the callees
     * first.
     *
     * @param stored whether the store holds a hash's content, asked only for hashes that have none in the registry
     */
    public Decision<Registered> register(PartitionedLedger l, List<Registration> registrations, Predicate<BlobHash> stored,
                                         long now) {
        return register(l, registrations, stored, now, Long.MAX_VALUE);
    }

    /**
     * {@link #register(PartitionedLedger, List, Predicate, long)}, with this instance's monotonic millis: a hash a predecessor may
     * still be deleting is refused until {@link #tookOver}'s window ends ({@code retry} in the answer).
     */
    public Decision<Registered> register(PartitionedLedger l, List<Registration> registrations, Predicate<BlobHash> stored,
                                         long now, long localNow) {
        return Registrations.decide(l, registrations, stored, now, localNow, window);
    }

    /**
     * A linked partition entity's registration ({@link LinkedRegistrations}): its callees of other partitions are
     * taken as having content here (the entity's walk asks their owners), and {@code fallen} are refused already (a
     * callee below them was found gone).
     */
    Decision<Registered> registerLinked(PartitionedLedger l, List<Registration> registrations,
                                        Predicate<BlobHash> stored, long now, long localNow, Set<BlobHash> fallen) {
        return Registrations.decide(l, registrations, stored, now, localNow, window, true, fallen);
    }

    /** The hashes and edges of a registration, all together (what {@link #MAX_REGISTRATION_ITEMS} bounds). */
    public static long items(List<Registration> registrations) {
        long n = 0;
        for (Registration r : registrations) if (r != null) n += 1 + r.dependencies().size();
        return n;
    }

    public Decision<OpResult> pin(PartitionedLedger l, BlobHash hash, String owner, String reason, Long ttlMs, long now) {
        Optional<Refusal> error = pinRequestRefusal(l, hash, owner, ttlMs).or(() -> l.checkPin(hash));
        if (error.isPresent()) return Decision.answer(st -> new OpResult(error.get()));
        return Decision.persist(pinned(hash, owner, reason, ttlMs, now), st -> OpResult.OK);
    }

    /** Why a pin request is refused before its blob is looked at (bad input, another partition's hash), or empty. */
    static Optional<Refusal> pinRequestRefusal(PartitionedLedger l, BlobHash hash, String owner, Long ttlMs) {
        if (hash == null) return Optional.of(Refusal.badRequest("a pin needs a hash"));
        if (owner == null || owner.isBlank()) return Optional.of(Refusal.badRequest("a pin needs an owner"));
        if (ttlMs != null && ttlMs <= 0) return Optional.of(Refusal.badRequest("a pin's ttl must be positive"));
        if (ttlMs != null && ttlMs > MAX_PIN_TTL_MS) {
            return Optional.of(Refusal.badRequest("a pin's ttl must be at most 100 years (36500d); for longer, pin "
                    + "without a ttl"));
        }
        if (!l.ownsHash(hash)) return Optional.of(Refusal.conflict(notHere(l, hash)));
        return Optional.empty();
    }

    /** The event of {@code owner}'s pin on {@code hash}, taken {@code now}. */
    static Coordinator.BlobPinned pinned(BlobHash hash, String owner, String reason, Long ttlMs, long now) {
        return new Coordinator.BlobPinned(hash, new Pin(owner, reason == null ? "" : reason, now,
                ttlMs == null ? null : now + ttlMs));
    }

    /** Why a partition entity does not answer for {@code hash}: another partition owns it. */
    private static String notHere(PartitionedLedger l, BlobHash hash) {
        return "blob " + hash + " belongs to partition " + l.partitioning().partitionOf(hash) + ", not to this one "
                + l.hostedPartitions() + " (a message sent to the wrong partition)";
    }

    public Decision<OpResult> unpin(PartitionedLedger l, BlobHash hash, String owner) {
        Optional<Refusal> error = hash == null || owner == null
                ? Optional.of(Refusal.badRequest("an unpin needs a hash and an owner"))
                : !l.ownsHash(hash) ? Optional.of(Refusal.conflict(notHere(l, hash))) : l.checkUnpin(hash, owner);
        if (error.isPresent()) return Decision.answer(st -> new OpResult(error.get()));
        return Decision.persist(new Coordinator.BlobUnpinned(hash, owner), st -> OpResult.OK);
    }

    /** A page of the operator pins: a negative offset reads from the first, a limit is cut to 0..{@link #MAX_PAGE}. */
    public Decision<Coordinator.Pins> pins(int offset, int limit) {
        return Decision.answer(l -> {
            var page = l.operatorPins(Math.max(0, offset), pageLimit(limit));
            return new Coordinator.Pins(page.getKey(), page.getValue());
        });
    }

    /** The newest history entries, at most {@code limit} (none for a negative one; the ledger keeps history-size). */
    public Decision<Coordinator.History> history(int limit) {
        return Decision.answer(l -> new Coordinator.History(l.history(Math.max(0, limit))));
    }

    private static int pageLimit(int limit) {
        return Math.max(0, Math.min(limit, MAX_PAGE));
    }

    /** One GC cycle; a dry run when asked or configured (S9). */
    public Decision<CycleOutcome> cycle(PartitionedLedger l, boolean dryRunAsked, long now, long localNow) {
        return completed(l, l.planCycle(now, localNow, dryRunAsked || dryRun));
    }

    /**
     * Cycle {@code cycle} of a partition entity, numbered by the conductor (partitions-part2-plan §2, "Cycles"): its
     * hosted partition's outcome, persisted as that partition's {@link Coordinator.CycleCompleted}. A cycle it ran
     * already ({@code cycle} not after {@link PartitionedLedger#cycle()}: late or duplicate) is not planned again:
     * nothing persisted, and the answer is empty.
     */
    public Decision<Optional<CycleOutcome>> partitionCycle(PartitionedLedger l, long cycle, boolean dryRunAsked,
                                                           long now, long localNow) {
        if (cycle <= l.cycle()) return Decision.answer(st -> Optional.empty());
        Decision<CycleOutcome> d = completed(l, l.planCycle(cycle, now, localNow, dryRunAsked || dryRun));
        return new Decision<>(d.events(), st -> Optional.of(d.reply().apply(st)));
    }

    /**
     * The conductor's cycle {@code cycle} on the entity of {@code partition} ({@link #partitionCycle}), with the answer
     * the conductor gets: its outcome (none for a cycle it ran already) and the latest cycle it knows, this one or its
     * own later one (the conductor's "behind" rule).
     */
    public Decision<Coordinator.PartitionCycled> partitionCycled(PartitionedLedger l, int partition, long cycle,
                                                               boolean dryRunAsked, long now, long localNow) {
        long last = Math.max(cycle, l.cycle());
        Decision<Optional<CycleOutcome>> d = partitionCycle(l, cycle, dryRunAsked, now, localNow);
        return new Decision<>(d.events(), st -> new Coordinator.PartitionCycled(partition, cycle,
                d.reply().apply(st).orElse(null), last));
    }

    /** One {@link Coordinator.CycleCompleted} per hosted partition, and their outcomes merged. */
    private static Decision<CycleOutcome> completed(PartitionedLedger l, List<CycleOutcome> outcomes) {
        List<Integer> partitions = l.hostedPartitions();
        List<Coordinator.Event> events = new ArrayList<>(outcomes.size());
        for (int i = 0; i < outcomes.size(); i++) {
            events.add(new Coordinator.CycleCompleted(outcomes.get(i), partitions.get(i)));
        }
        CycleOutcome o = CycleOutcome.merged(outcomes);
        return new Decision<>(events, st -> o);
    }

    /**
     * A cycle's events are applied (live, never on a replay): the partitions exchange their exports (partitions.md
     * §1, "When A flushes"). Nothing at P = 1.
     */
    public void cycled(PartitionedLedger l, long localNow) {
        l.exchangeExports(localNow);
    }

    /**
     * The sweeper asks for up to {@code max} blobs to delete: first those left DELETING (a predecessor's, or
     * failed), then newly fenced ones (persisted as DELETING first, S6). In a dry run nothing, not even blobs left
     * DELETING by an earlier run (S9).
     */
    public Decision<List<BlobHash>> startDeletion(PartitionedLedger l, int max, long now) {
        return deletions.startDeletion(l, max, now);
    }

    /**
     * The sweeper's batch deadline passed before it deleted {@code hashes} (S10): they stay DELETING (or condemned)
     * and go out again in a later batch, under a new write.
     */
    public void batchExpired(List<BlobHash> hashes) {
        deletions.batchExpired(hashes);
    }

    /** @param bytes what the deletions freed (a negative count, never sent by a sweeper, counts as 0) */
    public Decision<Void> confirmDeleted(List<BlobHash> hashes, long bytes, long now) {
        return deletions.confirmDeleted(hashes, bytes, now);
    }

    /**
     * A deletion failed: retried with the sweeper's backoff. The journal records the 1st, 2nd, 4th, 8th… failure of a
     * blob, so a deletion that keeps failing does not write an event every retry.
     */
    public Decision<Void> deletionFailed(PartitionedLedger l, BlobHash hash, String error, long now) {
        return deletions.deletionFailed(l, hash, error, now);
    }

    /** Where the store reconciliation's next page starts: after this hash (null: from the first). */
    public BlobHash orphanScanAfter() {
        return deletions.orphanScanAfter();
    }

    /**
     * A page of the store's listing (the store reconciliation): its orphans — content whose hash the registry does
     * not know or holds as COLLECTED, not condemned yet, written more than {@code graceMs} ago — are condemned
     * (persisted first: from then on their registration is refused, and the sweeper deletes them like DELETING
     * blobs). The answer lists them; a dry run persists nothing and only names them. A page that does not start where
     * the walk is (a late answer to an earlier scan) is ignored. The walk goes on after the page's last entry, and
     * from the first again after the end. A partition entity walks its partition's range only: entries past it end
     * the pass, and the next starts at the range's first hash (partitions-part2-plan S1.2).
     */
    public Decision<List<BlobHash>> storePage(PartitionedLedger l, BlobHash after, List<BlobStore.Entry> entries, boolean more,
                                              boolean dryRunAsked, long now, long graceMs) {
        return deletions.storePage(l, after, entries, more, dryRunAsked, now, graceMs);
    }

    /**
     * This instance's takeover is written ({@code localNow}: its monotonic millis, taken after the write;
     * {@code batchDeadlineMs}: its own sweeper's batch deadline). A predecessor's sweeper deletes nothing it was
     * handed once its batch deadline passed — at the latest its deadline after this takeover (its batch was written
     * before this takeover, its deadline counted from before that write) — and a deletion it started in time ends
     * within one more. So for twice the longest deadline of this instance and of the writers not known to be done,
     * what any predecessor may still be deleting takes no new content (S10): what is DELETING or condemned, and what a
     * later instance finished deleting for the one that handed it out (persisted: a second takeover within the first
     * predecessor's deadline still knows it).
     */
    public void tookOver(PartitionedLedger l, long localNow, long batchDeadlineMs) {
        window.tookOver(l, localNow, batchDeadlineMs);
    }

    /** How long until this instance's window ends (0: over), by its monotonic millis. */
    public long windowRemaining(long localNow) {
        return window.remaining(localNow);
    }

    /**
     * This instance's window is over: it writes so — from now on no instance before it deletes anything — and what
     * was remembered as deleted for its predecessors is forgotten (S10). Nothing while the window lasts, or once said.
     */
    public Decision<Void> windowOver(PartitionedLedger l, long localNow, long now) {
        return window.over(localNow, now);
    }

    /**
     * This instance's first write after a recovery (S10): see {@link Coordinator.TookOver}; {@code batchDeadlineMs}
     * its sweeper's batch deadline, recorded for its successors. It runs one partition.
     */
    public Decision<Void> takeOver(String instance, long now, long batchDeadlineMs) {
        return takeOver(instance, now, batchDeadlineMs, 1);
    }

    /**
     * {@link #takeOver(String, long, long)} by an instance that runs {@code partitions} partitions, which the journal
     * keeps (a journal written with another number is refused before this: {@link JournalPartitions}).
     */
    public Decision<Void> takeOver(String instance, long now, long batchDeadlineMs, int partitions) {
        return takeOver(instance, now, batchDeadlineMs, partitions, null, null);
    }

    /**
     * {@link #takeOver(String, long, long, int)} by the entity of {@code partition} ({@code hosting} its
     * {@code blob-gc.partition-hosting}), which the journal keeps too; both null for the coordinator hosting every
     * partition itself.
     */
    public Decision<Void> takeOver(String instance, long now, long batchDeadlineMs, int partitions, String hosting,
                                   Integer partition) {
        return window.takeOver(instance, now, batchDeadlineMs, partitions, hosting, partition);
    }

    /** The event handler: live, and on every recovery. */
    public static PartitionedLedger apply(PartitionedLedger l, Coordinator.Event e) {
        if (e instanceof Coordinator.BlobsRegistered r) l.applyRegistered(r.registrations());
        else if (e instanceof Coordinator.BlobPinned p) l.applyPinned(p.hash(), p.pin());
        else if (e instanceof Coordinator.BlobUnpinned u) l.applyUnpinned(u.hash(), u.owner());
        else if (e instanceof Coordinator.CycleCompleted c) l.applyCycle(c.partition(), c.outcome());
        else if (e instanceof Coordinator.DeletionStarted d) l.applyDeletionStarted(d.hashes(), d.at());
        else if (e instanceof Coordinator.BlobsCollected c) l.applyCollected(c.hashes(), c.at(), c.bytes());
        else if (e instanceof Coordinator.DeletionFailed f) l.applyDeletionFailed(f.hash());
        else if (e instanceof Coordinator.BlobsUsed u) l.applyUsed(u.hashes());
        else if (e instanceof Coordinator.OrphansCondemned o) l.applyOrphansCondemned(o.hashes(), o.scannedUpTo());
        else if (e instanceof Coordinator.TookOver t) {
            l.applyTookOver(t.instance(), t.batchDeadlineMs()); // the fence
            l.applyPartitions(t.partitions());
            l.applyHosting(t.hosting(), t.partition());
        }
        else if (e instanceof Coordinator.PredecessorsDone d) l.applyPredecessorsDone(d.instance());
        else if (e instanceof Conductor.CycleRecorded) {
            // the conductor's (partition-hosting = sharded): this journal's takeover recorded that hosting, and the
            // coordinator replaying it refuses to run on it (JournalPartitions)
        }
        else throw new IllegalArgumentException("unknown event " + e);
        return l;
    }
}
