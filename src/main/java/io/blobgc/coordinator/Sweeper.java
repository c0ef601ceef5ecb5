package io.blobgc.coordinator;

import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;
import io.blobgc.store.BlobStore;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

import java.time.Duration;
import java.util.List;

/**
 * Deletes condemned blobs from the {@link BlobStore}. It only deletes what the coordinator handed over — blobs
 * already persisted as DELETING (the fence, S6), and orphans persisted as condemned — within {@code max-deletes-per-second}, confirms each batch
 * (BlobsCollected), reports failures and retries them with exponential backoff. Runs on the blocking dispatcher.
 * <p>
 * It deletes through {@link BlobStore#deleteEach}, in chunks of one store request each
 * ({@link BlobStore#deletesPerRequest}: up to {@link #CHUNK} hashes for S3's DeleteObjects, 1 for a file store), each outcome reported to the core on its own: one blob's failure is that blob's alone. The batch's
 * deadline is checked before each chunk is sent (S10): a chunk is a single request, so what is sent in time is what
 * a single delete sent in time was before, only more of it — which is why chunks are kept to one request. When the
 * store pushes back (throttling), the rest of the round is not sent, the throttled hashes are retried after a pause,
 * and the core lowers its rate (AIMD, see {@link SweeperCore}).
 * <p>
 * A thin shell around {@link SweeperCore}, which makes every decision: this actor deletes exactly the hashes the core
 * says are due, reports the results to it, relays its confirmations and failures to the coordinator, and schedules
 * its timers from the core's delays. After a store request that changed its pace or the store's health (the rate,
 * the requests pushed back, whether the last request failed) it tells the coordinator, for its summary and
 * {@code /metrics} ({@link Coordinator.SweeperStatusChanged}). It also lists the store a page at a time for the store
 * reconciliation ({@link ScanStore}), off the coordinator's thread.
 */
public final class Sweeper extends AbstractBehavior<Sweeper.Command> {

    public interface Command {
    }

    /** Something may be waiting to be deleted: ask the coordinator for a batch (ignored while busy). */
    public enum Wake implements Command { INSTANCE }

    /**
     * The coordinator's answer to {@link Coordinator.StartDeletion}: blobs that are DELETING, for us to delete, under
     * a write it made; nothing of them is deleted from {@code deadlineNanos} on ({@code System.nanoTime()}, the same
     * JVM's clock; S10).
     */
    public record Batch(List<BlobHash> hashes, long deadlineNanos) implements Command {
    }

    /**
     * The store reconciliation: list a page of the store after {@code after} and send it to the coordinator;
     * {@code dryRun}: after a dry run, whose orphans are only named.
     */
    public record ScanStore(BlobHash after, int max, boolean dryRun) implements Command {
    }

    private enum Tick implements Command { INSTANCE }

    /** The most hashes of one {@link BlobStore#deleteEach} call (S3's DeleteObjects limit), and one request's worth. */
    static final int CHUNK = 1000;

    /** @param timings where each store deletion's duration is recorded */
    public static Behavior<Command> create(ActorRef<Coordinator.Command> coordinator, BlobStore store,
                                           BlobGcSettings settings, Timings timings) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Sweeper(ctx, timers, coordinator, store,
                settings, timings)));
    }

    private final TimerScheduler<Command> timers;
    private final ActorRef<Coordinator.Command> coordinator;
    private final BlobStore store;
    private final BlobGcSettings settings;
    private final SweeperCore core;
    private final Timings timings;
    private boolean scanUnsupported;
    /** The sweeper's last store request failed (deleted nothing, not throttled): the store is failing. */
    private boolean storeFailing;
    private String lastStoreError;
    /** The status last told the coordinator ({@link Coordinator.SweeperStatusChanged}): it is told only changes. */
    private Coordinator.SweeperStatus told;

    private Sweeper(ActorContext<Command> ctx, TimerScheduler<Command> timers, ActorRef<Coordinator.Command> coordinator,
                    BlobStore store, BlobGcSettings settings, Timings timings) {
        super(ctx);
        this.timers = timers;
        this.coordinator = coordinator;
        this.store = store;
        this.settings = settings;
        this.core = SweeperCore.from(settings);
        this.timings = timings;
        this.told = Coordinator.SweeperStatus.initial(core.limit()); // what the coordinator assumes of a new sweeper
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessageEquals(Wake.INSTANCE, this::onWake)
                .onMessage(Batch.class, this::onBatch)
                .onMessageEquals(Tick.INSTANCE, this::onTick)
                .onMessage(ScanStore.class, this::onScanStore)
                .build();
    }

    /** Lists on this (blocking) dispatcher, not in the coordinator; a store without a paged listing is not scanned. */
    private Behavior<Command> onScanStore(ScanStore s) {
        if (scanUnsupported) return this;
        try {
            BlobStore.Page page = store.page(s.after(), s.max());
            coordinator.tell(new Coordinator.StorePage(s.after(), page.entries(), page.more(), s.dryRun()));
        } catch (UnsupportedOperationException e) {
            scanUnsupported = true;
            getContext().getLog().warn("no store reconciliation: {}", e.getMessage());
        } catch (Exception e) {
            getContext().getLog().warn("listing the store for its reconciliation failed (next cycle tries again): {}",
                    e.toString());
        }
        return this;
    }

    private Behavior<Command> onWake() {
        if (core.wake(System.nanoTime())) {
            coordinator.tell(new Coordinator.StartDeletion(settings.sweepAskSize(core.rate()), getContext().getSelf()));
        }
        return this;
    }

    private Behavior<Command> onBatch(Batch b) {
        core.batch(b.hashes(), System.nanoTime(), b.deadlineNanos()).ifPresent(p -> getContext().getLog().info(
                "sweep finished: {} blobs deleted, {} failed, in {} ms", p.deleted(), p.failed(),
                p.elapsedNanos() / 1_000_000));
        if (core.queued() > 0) timers.startSingleTimer(Tick.INSTANCE, Duration.ZERO);
        return this;
    }

    /**
     * Deletes {@code chunk} in one {@link BlobStore#deleteEach} call and reports each hash's outcome to the core (and
     * failures to the coordinator, as one delete's were). An outcome the store did not give for a hash of the chunk
     * (a broken store) is that hash's failure; nothing but the chunk's hashes is ever asked.
     *
     * @return whether the store pushed back
     */
    private boolean deleteChunk(List<BlobHash> chunk) {
        long t0 = System.nanoTime();
        List<BlobStore.Deletion> out;
        try {
            out = store.deleteEach(List.copyOf(chunk));
        } catch (Throwable t) { // deleteEach should not throw: then every hash of the chunk failed
            if (!scala.util.control.NonFatal.apply(t)) throw t; // a VM error: the JVM is going down anyway
            // anything else — an Error of a store's bug too — fails the chunk: escaping, it left the chunk outstanding
            // for ever under the resume supervision (found by a review)
            Exception e = t instanceof Exception x ? x : new java.io.IOException(t);
            out = chunk.stream().map(h -> BlobStore.Deletion.failed(h, e)).toList();
        }
        long each = (System.nanoTime() - t0) / chunk.size(); // the request's time, shared among its deletions
        boolean pushedBack = false, anyDeleted = false;
        Exception failure = null;
        for (int i = 0; i < chunk.size(); i++) {
            BlobHash h = chunk.get(i);
            BlobStore.Deletion d = i < out.size() && h.equals(out.get(i).hash()) ? out.get(i)
                    : BlobStore.Deletion.failed(h, new IllegalStateException(store + " gave no outcome for " + h));
            timings.storeDeletion(each, d.deleted());
            if (d.deleted()) {
                anyDeleted = true;
                core.deleted(h, Math.max(0, d.bytesFreed()));
            } else if (d.throttled()) {
                pushedBack = true;
                if (!core.throttled(h)) {
                    failure = d.failure();
                    reportFailed(h, d.failure(), " (throttled " + SweeperCore.THROTTLED_RETRIES + " times)");
                }
            } else {
                failure = d.failure();
                core.failed(h);
                reportFailed(h, d.failure(), "");
            }
        }
        // a request that deleted nothing and was not throttled (a 500, a timeout: often an overloaded store) is no sign
        // the store takes more: the rate stays as it is (review of issue 27 step 3)
        long pause = pushedBack || anyDeleted ? core.storeAnswered(System.nanoTime(), pushedBack) : 0;
        if (pushedBack) {
            getContext().getLog().warn("the blob store pushed back (throttling): pausing {} ms, rate lowered to {}/s "
                    + "(limit {}/s)", pause / 1_000_000, String.format("%.1f", core.rate()),
                    settings.maxDeletesPerSecond());
        }
        // a store that answers (deletes, or asks to slow down) is not failing; one whose request failed whole is
        if (anyDeleted || pushedBack) storeFailing = false;
        else if (failure != null) storeFailing = true;
        if (failure != null) lastStoreError = failure.toString();
        tellStatus();
        return pushedBack;
    }

    /** Tells the coordinator the sweeper's pace and the store's health when they changed (for its summary). */
    private void tellStatus() {
        Coordinator.SweeperStatus now = new Coordinator.SweeperStatus(core.rate(), core.limit(),
                core.throttledRequests(), storeFailing, lastStoreError);
        if (now.equals(told)) return;
        told = now;
        coordinator.tell(new Coordinator.SweeperStatusChanged(now, getContext().getSelf()));
    }

    private void reportFailed(BlobHash h, Exception e, String why) {
        getContext().getLog().warn("deleting blob {} failed{} (will retry): {}", h, why, e.toString());
        coordinator.tell(new Coordinator.ReportDeletionFailed(h, e.toString(), getContext().getSelf()));
    }

    private Behavior<Command> onTick() {
        List<BlobHash> due = core.due(System.nanoTime());
        int chunkSize = Math.max(1, Math.min(CHUNK, store.deletesPerRequest()));
        for (int from = 0; from < due.size(); from += chunkSize) {
            List<BlobHash> chunk = due.subList(from, Math.min(due.size(), from + chunkSize));
            if (!core.inTime(System.nanoTime())) { // checked right before each request: the batch's time is up
                chunk.forEach(core::lapsed);
                continue;
            }
            if (deleteChunk(chunk)) { // pushed back: the rest waits for the pause
                core.notSent(due.subList(from + chunk.size(), due.size()));
                break;
            }
        }
        long now = System.nanoTime();
        core.progressDue(now).ifPresent(p -> getContext().getLog().info(
                "sweeping: {}/{} blobs deleted ({}%), {} failed, {} ms so far", p.deleted(), p.total(),
                p.total() == 0 ? 100 : 100 * p.deleted() / p.total(), p.failed(), p.elapsedNanos() / 1_000_000));
        if (!core.batchDone()) {
            timers.startSingleTimer(Tick.INSTANCE, Duration.ofNanos(core.nanosUntilNextDeletion(now)));
            return this;
        }
        // batch finished: confirm it, then ask for the next (after a backoff when deletions fail)
        core.finishBatch(now).ifPresent(c -> coordinator.tell(new Coordinator.ConfirmDeleted(c.hashes(), c.bytes(),
                getContext().getSelf())));
        List<BlobHash> expired = core.takeExpired();
        if (!expired.isEmpty()) {
            getContext().getLog().info("{} deletion(s) not done within the batch deadline ({}): handed back",
                    expired.size(), settings.sweepBatchDeadline());
            coordinator.tell(new Coordinator.BatchExpired(expired, getContext().getSelf()));
        }
        timers.startSingleTimer(Wake.INSTANCE, Duration.ofMillis(core.nextWakeDelayMs()));
        return this;
    }
}
