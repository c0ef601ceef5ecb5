package io.blobgc.coordinator;

import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator.BatchExpired;
import io.blobgc.coordinator.Coordinator.BlobsCollected;
import io.blobgc.coordinator.Coordinator.Command;
import io.blobgc.coordinator.Coordinator.ConfirmDeleted;
import io.blobgc.coordinator.Coordinator.Event;
import io.blobgc.coordinator.Coordinator.ReportDeletionFailed;
import io.blobgc.coordinator.Coordinator.StartDeletion;
import io.blobgc.coordinator.Coordinator.State;
import io.blobgc.coordinator.Coordinator.StorePage;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.store.BlobStore;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

import java.time.Clock;
import java.util.List;
import java.util.function.Consumer;

/**
 * The {@link Coordinator}'s side of the conversation with its {@link Sweeper}: one sweeper per recovery, handed
 * batches to delete, heard back on what it deleted or failed to, and sent through the store for the store
 * reconciliation (orphans). What an earlier sweeper says (one stopped by a restart in place) is dropped (S10).
 */
final class SweeperLink {
    private final ActorContext<ToCoordinator> ctx;
    private final BlobGcSettings settings;
    private final BlobStore store;
    private final Clock clock;
    private final Timings timings;
    private final CoordinatorCore core;
    private final DecisionEffects effects;
    private final Consumer<Decision> publish;
    /**
     * Spawned at every recovery: a restart after a journal failure restarts the event-sourced part inside this
     * same object and stops its children, so the sweeper belongs to one recovery.
     */
    private ActorRef<Sweeper.Command> sweeper;
    private int generation;
    /** What the current sweeper last said of its pace and the store (it starts at the limit). */
    private Coordinator.SweeperStatus status;
    /** Store requests pushed back under the earlier sweepers of this object: the count goes on across them. */
    private long throttledBefore;

    SweeperLink(ActorContext<ToCoordinator> ctx, BlobGcSettings settings, BlobStore store, Clock clock, Timings timings,
                CoordinatorCore core, DecisionEffects effects, Consumer<Decision> publish) {
        this.ctx = ctx;
        this.settings = settings;
        this.store = store;
        this.clock = clock;
        this.timings = timings;
        this.core = core;
        this.effects = effects;
        this.publish = publish;
        this.status = Coordinator.SweeperStatus.initial(settings.maxDeletesPerSecond());
    }

    /** Starts this recovery's sweeper. */
    void spawn() {
        throttledBefore += status.throttledRequests();
        status = Coordinator.SweeperStatus.initial(settings.maxDeletesPerSecond());
        // resumed on a failure: a restart would forget the batch it holds, which this incarnation keeps in flight
        sweeper = ctx.spawn(Behaviors.supervise(Sweeper.create(ctx.getSelf().narrow(), store, settings, timings))
                        .onFailure(SupervisorStrategy.resume()), "sweeper-" + (++generation),
                DispatcherSelector.blocking());
    }

    /** The sweeper's pace and the store's health, for the summary: throttled requests counted over every sweeper. */
    Coordinator.SweeperStatus status() {
        Coordinator.SweeperStatus s = status;
        return new Coordinator.SweeperStatus(s.rate(), s.rateLimit(), throttledBefore + s.throttledRequests(),
                s.storeFailing(), s.lastStoreError());
    }

    ReplyEffect<Event, State> onStatus(State s, Coordinator.SweeperStatusChanged c) {
        if (current(c.from(), c)) status = c.status();
        return effects.noReply();
    }

    /** How many sweepers this object started: one per recovery. */
    int generation() {
        return generation;
    }

    void wake() {
        sweeper.tell(Sweeper.Wake.INSTANCE);
    }

    /** After a cycle: the sweeper deletes what it condemned (not after a dry run) and walks on through the store. */
    void cycled(CycleOutcome o) {
        if (!o.dryRun()) sweeper.tell(Sweeper.Wake.INSTANCE);
        if (settings.orphans().pageSize() > 0) {
            sweeper.tell(new Sweeper.ScanStore(core.orphanScanAfter(), settings.orphans().pageSize(),
                    o.dryRun()));
        }
    }

    /**
     * Whether {@code from} is the sweeper this incarnation started: what an earlier one (stopped by a restart in place)
     * says is dropped — its deletions happened, and the current sweeper, which holds those blobs again, confirms them.
     */
    private boolean current(ActorRef<Sweeper.Command> from, Command c) {
        if (from != null && from.equals(sweeper)) return true;
        ctx.getLog().info("ignored {} from {}: not this coordinator's current sweeper ({})",
                c.getClass().getSimpleName(), from, sweeper);
        return false;
    }

    ReplyEffect<Event, State> onStartDeletion(State s, StartDeletion c) {
        if (!current(c.replyTo(), c)) return effects.noReply(); // a batch it would never delete
        // the deadline counts from before the batch's write: a successor's takeover comes after that write
        long deadline = System.nanoTime() + settings.sweepBatchDeadline().toNanos();
        return effects.run(s, core.startDeletion(s.ledger, c.max(), clock.millis()), c.replyTo(),
                hashes -> new Sweeper.Batch(hashes, deadline));
    }

    ReplyEffect<Event, State> onBatchExpired(State s, BatchExpired c) {
        if (current(c.from(), c)) core.batchExpired(c.hashes());
        return effects.noReply();
    }

    ReplyEffect<Event, State> onConfirmDeleted(State s, ConfirmDeleted c) {
        if (!current(c.from(), c)) return effects.noReply();
        CoordinatorCore.Decision<Void> d = core.confirmDeleted(c.hashes(), c.bytes(), clock.millis());
        if (d.events().isEmpty()) return effects.noReply();
        return effects.effect().persist(d.events()).thenRun(st -> {
            for (Event e : d.events()) {
                if (e instanceof BlobsCollected b) publish.accept(new Decision.Collected(b.hashes(), b.bytes()));
            }
        }).thenNoReply();
    }

    ReplyEffect<Event, State> onDeletionFailed(State s, ReportDeletionFailed c) {
        return !current(c.from(), c) ? effects.noReply()
                : effects.runNoReply(core.deletionFailed(s.ledger, c.hash(), c.error(), clock.millis()));
    }

    /** The store reconciliation: a page of the listing, its orphans condemned (a dry run only names them). */
    ReplyEffect<Event, State> onStorePage(State s, StorePage c) {
        CoordinatorCore.Decision<List<BlobHash>> d = core.storePage(s.ledger, c.after(), c.entries(), c.more(),
                c.dryRun(), clock.millis(), settings.orphans().grace().toMillis());
        List<BlobHash> orphans = d.reply().apply(s.ledger);
        if (d.events().isEmpty()) {
            if (!orphans.isEmpty()) {
                ctx.getLog().info("dry run: {} orphan(s) in the store would be deleted: {}", orphans.size(), orphans);
            }
            return effects.noReply();
        }
        // persisted also when the page named no orphan: the event carries the walk's position (a restart resumes it)
        if (orphans.isEmpty()) return effects.effect().persist(d.events()).thenNoReply();
        ctx.getLog().info("{} orphan(s) in the store (content the registry does not account for, older than {}) "
                + "condemned for deletion", orphans.size(), settings.orphans().grace());
        return effects.effect().persist(d.events()).thenRun(st -> sweeper.tell(Sweeper.Wake.INSTANCE)).thenNoReply();
    }
}
