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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Deletes condemned blobs from the {@link BlobStore}. It only deletes what the coordinator handed over — blobs
 * already persisted as DELETING (the fence, S6) — at most {@code max-deletes-per-second}, confirms each batch
 * (BlobsCollected), reports failures and retries them with exponential backoff. Runs on the blocking dispatcher.
 */
public final class Sweeper extends AbstractBehavior<Sweeper.Command> {

    public interface Command {
    }

    /** Something may be waiting to be deleted: ask the coordinator for a batch (ignored while busy). */
    public enum Wake implements Command { INSTANCE }

    /** The coordinator's answer to {@link Coordinator.StartDeletion}: blobs that are DELETING, for us to delete. */
    public record Batch(List<BlobHash> hashes) implements Command {
    }

    private enum Tick implements Command { INSTANCE }

    private static final Duration TICK = Duration.ofMillis(100);

    public static Behavior<Command> create(ActorRef<Coordinator.Command> coordinator, BlobStore store,
                                           BlobGcSettings settings) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Sweeper(ctx, timers, coordinator, store,
                settings)));
    }

    private final TimerScheduler<Command> timers;
    private final ActorRef<Coordinator.Command> coordinator;
    private final BlobStore store;
    private final BlobGcSettings settings;
    private final int perTick;
    private final ArrayDeque<BlobHash> todo = new ArrayDeque<>();
    private final List<BlobHash> done = new ArrayList<>();
    private long doneBytes;
    private boolean busy;
    private int consecutiveFailures;
    private long sweepStartedAt;
    private long sweepTotal;
    private long sweepDone;
    private long sweepFailed;
    private long lastProgressAt;

    private Sweeper(ActorContext<Command> ctx, TimerScheduler<Command> timers, ActorRef<Coordinator.Command> coordinator,
                    BlobStore store, BlobGcSettings settings) {
        super(ctx);
        this.timers = timers;
        this.coordinator = coordinator;
        this.store = store;
        this.settings = settings;
        this.perTick = Math.max(1, (int) Math.ceil(settings.maxDeletesPerSecond() * TICK.toMillis() / 1000.0));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessageEquals(Wake.INSTANCE, this::onWake)
                .onMessage(Batch.class, this::onBatch)
                .onMessageEquals(Tick.INSTANCE, this::onTick)
                .build();
    }

    private Behavior<Command> onWake() {
        if (!busy) {
            busy = true;
            coordinator.tell(new Coordinator.StartDeletion(settings.sweepBatchSize(), getContext().getSelf()));
        }
        return this;
    }

    private Behavior<Command> onBatch(Batch b) {
        if (b.hashes().isEmpty()) {
            busy = false;
            if (sweepTotal > 0) logProgress(true);
            return this;
        }
        if (sweepTotal == 0) {
            sweepStartedAt = System.nanoTime();
            lastProgressAt = sweepStartedAt;
        }
        sweepTotal += b.hashes().size();
        todo.addAll(b.hashes());
        timers.startSingleTimer(Tick.INSTANCE, Duration.ZERO);
        return this;
    }

    private Behavior<Command> onTick() {
        String hold = settings.testHoldSweeperFile();
        if (!hold.isEmpty() && java.nio.file.Files.exists(java.nio.file.Path.of(hold))) {
            timers.startSingleTimer(Tick.INSTANCE, TICK); // test hook: fenced, but not deleted yet
            return this;
        }
        boolean failed = false;
        for (int i = 0; i < perTick && !todo.isEmpty(); i++) {
            BlobHash h = todo.poll();
            try {
                doneBytes += store.delete(h);
                done.add(h);
                sweepDone++;
            } catch (Exception e) {
                failed = true;
                sweepFailed++;
                getContext().getLog().warn("deleting blob {} failed (will retry): {}", h, e.toString());
                coordinator.tell(new Coordinator.ReportDeletionFailed(h, e.toString()));
            }
        }
        if (failed) consecutiveFailures++;
        else if (!done.isEmpty()) consecutiveFailures = 0;
        if (System.nanoTime() - lastProgressAt >= settings.sweepProgressInterval().toNanos()) logProgress(false);
        if (!todo.isEmpty()) {
            timers.startSingleTimer(Tick.INSTANCE, TICK);
            return this;
        }
        // batch finished: confirm it, then ask for the next (after a backoff when deletions fail)
        if (!done.isEmpty()) {
            coordinator.tell(new Coordinator.ConfirmDeleted(List.copyOf(done), doneBytes));
            done.clear();
            doneBytes = 0;
        }
        busy = false;
        if (consecutiveFailures == 0) {
            timers.startSingleTimer(Wake.INSTANCE, TICK);
        } else {
            long min = settings.sweepRetryMin().toMillis();
            long delay = Math.min(settings.sweepRetryMax().toMillis(), min << Math.min(20, consecutiveFailures - 1));
            timers.startSingleTimer(Wake.INSTANCE, Duration.ofMillis(delay));
        }
        return this;
    }

    private void logProgress(boolean finished) {
        lastProgressAt = System.nanoTime();
        long ms = (lastProgressAt - sweepStartedAt) / 1_000_000;
        if (finished) {
            getContext().getLog().info("sweep finished: {} blobs deleted, {} failed, in {} ms", sweepDone, sweepFailed, ms);
            sweepTotal = sweepDone = sweepFailed = 0;
        } else {
            getContext().getLog().info("sweeping: {}/{} blobs deleted ({}%), {} failed, {} ms so far",
                    sweepDone, sweepTotal, sweepTotal == 0 ? 100 : 100 * sweepDone / sweepTotal, sweepFailed, ms);
        }
    }
}
