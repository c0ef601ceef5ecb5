package io.blobgc.coordinator;

import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;
import io.blobgc.CborSerializable;
import io.blobgc.NodeIds;
import io.blobgc.ledger.BlobInfo;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.ledger.HistoryEntry;
import io.blobgc.ledger.Ledger;
import io.blobgc.ledger.LedgerSnapshot;
import io.blobgc.ledger.NodeInfo;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Pin;
import io.blobgc.ledger.Refusal;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol;
import io.blobgc.protocol.ReporterProtocol.Acquire;
import io.blobgc.protocol.ReporterProtocol.Register;
import io.blobgc.protocol.ReporterProtocol.Report;
import io.blobgc.protocol.ReporterProtocol.ReportAck;
import io.blobgc.protocol.ReporterProtocol.ReportRejected;
import io.blobgc.protocol.ReporterProtocol.ResendFull;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.protocol.ReporterProtocol.ToReporter;
import io.blobgc.store.BlobStore;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.GetCurrentState;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The cluster-singleton GC coordinator: an event-sourced shell around the {@link Ledger}. Commands ask the
 * ledger to decide, the decisions are persisted as events, and the event handler applies them to the ledger —
 * live and on every recovery. Node views are soft state, rebuilt from FULL reports after a recovery (S5).
 */
public final class Coordinator extends EventSourcedBehaviorWithEnforcedReplies<ToCoordinator,
        Coordinator.Event, Coordinator.State> {

    public static final String SINGLETON_NAME = "blob-gc-coordinator";
    public static final PersistenceId PERSISTENCE_ID = PersistenceId.ofUniqueId("blob-gc-coordinator");

    // =====================================================================================================
    // Protocol
    // =====================================================================================================

    /**
     * The coordinator's own commands. It takes {@link ToCoordinator}: these, and the reporter's {@link Report},
     * {@link Acquire} and {@link Register} ({@link ReporterProtocol}).
     */
    public interface Command extends ToCoordinator {
    }

    /** An operator pin; {@code ttlMs} null for none. */
    public record PinBlob(BlobHash hash, String owner, String reason, Long ttlMs, ActorRef<OpResult> replyTo)
            implements Command {
    }

    public record UnpinBlob(BlobHash hash, String owner, ActorRef<OpResult> replyTo) implements Command {
    }

    /** The answer to a request that can be refused: {@code refusal} is null when it was done. */
    public record OpResult(Refusal refusal) implements CborSerializable {
        public static final OpResult OK = new OpResult(null);

        public boolean ok() {
            return refusal == null;
        }
    }

    public record GetBlob(BlobHash hash, ActorRef<BlobReply> replyTo) implements Command {
    }

    /** {@code info} is null for a hash the coordinator does not know. */
    public record BlobReply(BlobHash hash, BlobInfo info) implements CborSerializable {
    }

    /** A page of the operator pins, newest first (read only: the dashboard's list). */
    public record GetPins(int offset, int limit, ActorRef<Pins> replyTo) implements Command {
    }

    public record Pins(int total, List<Ledger.PinnedBlob> pins) implements CborSerializable {
    }

    public record GetSummary(ActorRef<Summary> replyTo) implements Command {
    }

    /**
     * @param lastCycleMs      how long the last cycle's planning took on this coordinator (-1: none yet)
     * @param orphansCondemned content in the store the registry did not account for, condemned for deletion (total)
     * @param orphansDeleted   of those, deleted (total)
     */
    public record Summary(long cycle, String coordinatorNode, boolean warmingUp, List<String> warmUpBlockers,
                          boolean dryRun, Map<String, Long> counts, List<NodeInfo> nodes, HistoryEntry lastCycle,
                          double lastCycleMs, long totalCollected, long totalCollectedBytes, long totalFailedDeletions,
                          Map<String, Long> reportOutcomes, long reportedWhileDeleting, long reportedUnknown,
                          long orphansCondemned, long orphansDeleted)
            implements CborSerializable {
    }

    public record RunCycleNow(boolean dryRun, ActorRef<CycleOutcome> replyTo) implements Command {
    }

    public record GetHistory(int limit, ActorRef<History> replyTo) implements Command {
    }

    public record History(List<HistoryEntry> entries) implements CborSerializable {
    }

    /*
     * From the sweeper, each naming it ({@code from}, {@code replyTo}): a coordinator that restarted in place (the same
     * actor, a journal failure) hears only from the sweeper it started since — the one before stops after the message
     * it is handling, which may be a deletion that returns late and confirms a batch the new sweeper holds again (S10).
     */

    /** The sweeper's batch deadline passed before it deleted these: they go out again under a new write (S10). */
    public record BatchExpired(List<BlobHash> hashes, ActorRef<Sweeper.Command> from) implements Command {
    }

    /** From the sweeper: hand over up to {@code max} blobs to delete (moved to DELETING first). */
    public record StartDeletion(int max, ActorRef<Sweeper.Command> replyTo) implements Command {
    }

    /** @param bytes what the deletions freed in the store */
    public record ConfirmDeleted(List<BlobHash> hashes, long bytes, ActorRef<Sweeper.Command> from) implements Command {
    }

    public record ReportDeletionFailed(BlobHash hash, String error, ActorRef<Sweeper.Command> from) implements Command {
    }

    /**
     * From the sweeper: a page of the store's listing after {@code after}, for the store reconciliation;
     * {@code dryRun}: listed after a dry run (its orphans are named, never condemned).
     */
    public record StorePage(BlobHash after, List<BlobStore.Entry> entries, boolean more, boolean dryRun)
            implements Command {
    }

    private enum CycleTick implements Command { INSTANCE }

    /** Sent to itself when recovery completes: persist {@link TookOver} before handling anything else (S10). */
    private enum TakeOver implements Command { INSTANCE }

    private enum StalenessTick implements Command { INSTANCE }

    /** This instance's re-upload window (S10) should be over: say so in the journal. */
    private enum WindowOver implements Command { INSTANCE }

    private record MemberChanged(ClusterEvent.MemberEvent event) implements Command {
    }

    private record ReportersChanged(Receptionist.Listing listing) implements Command {
    }

    /** Membership's state, asked for after subscribing (see onRecovered). */
    private record MembersNow(ClusterEvent.CurrentClusterState state) implements Command {
    }

    // ---- events

    public interface Event extends CborSerializable {
    }

    public record BlobsRegistered(List<Registration> registrations) implements Event {
    }

    public record BlobPinned(BlobHash hash, Pin pin) implements Event {
    }

    public record BlobUnpinned(BlobHash hash, String owner) implements Event {
    }

    public record CycleCompleted(CycleOutcome outcome) implements Event {
    }

    public record DeletionStarted(List<BlobHash> hashes, long at) implements Event {
    }

    /** A node started to use these UNREFERENCED or MARKED blobs (an acquire): ACTIVE again, their grace restarts. */
    public record BlobsUsed(List<BlobHash> hashes, long at) implements Event {
    }

    public record BlobsCollected(List<BlobHash> hashes, long at, long bytes) implements Event {
    }

    public record DeletionFailed(BlobHash hash, String error, long at) implements Event {
    }

    /**
     * Content in the store that the registry does not account for, condemned for deletion (its registration refused
     * until the deletion is confirmed by a {@link BlobsCollected}); the walk through the store resumes after
     * {@code scannedUpTo}. Written for every page that moves the walk, with no hashes when it found none.
     */
    public record OrphansCondemned(List<BlobHash> hashes, BlobHash scannedUpTo, long at) implements Event {
    }

    /**
     * The first write of every instance, before it answers anything (S10, the fence): it takes the next sequence
     * number of the one persistence id, so an earlier instance that is late, not dead (paused, cut off), cannot
     * write after it — the journal's unique (persistence id, sequence number) refuses that write, and the earlier
     * instance restarts and recovers instead of deciding on what it knew. It begins a new generation of writers;
     * {@code batchDeadlineMs} is its sweeper's batch deadline (0 in an event written before it was recorded), which
     * a later instance waits out at least (S10).
     */
    public record TookOver(String instance, long at, long batchDeadlineMs) implements Event {
    }

    /**
     * {@code instance} saw its re-upload window end: no instance before it can delete anything any more, so what was
     * deleted for them need not wait out a later takeover's window (S10).
     */
    public record PredecessorsDone(String instance, long at) implements Event {
    }

    /** The state: the ledger. Snapshots hold its persistent half ({@link LedgerSnapshot}), copied in the actor. */
    public static final class State {
        final Ledger ledger;

        State(Ledger ledger) {
            this.ledger = ledger;
        }

        public Ledger ledger() {
            return ledger;
        }
    }

    // =====================================================================================================
    // Start-up
    // =====================================================================================================

    /** Starts the singleton (on members with the configured role) and returns its proxy. */
    public static ActorRef<ToCoordinator> initSingleton(ActorSystem<?> system, BlobGcSettings settings, BlobStore store,
                                                  Clock clock, ActorRef<Topic.Command<Decision>> decisions,
                                                  Timings timings) {
        ClusterSingletonSettings singletonSettings = ClusterSingletonSettings.create(system);
        if (!settings.coordinatorRole().isEmpty()) singletonSettings = singletonSettings.withRole(settings.coordinatorRole());
        Behavior<ToCoordinator> supervised = Behaviors.supervise(create(settings, store, clock, decisions, timings))
                .onFailure(SupervisorStrategy.restartWithBackoff(settings.restartBackoffMin(),
                        settings.restartBackoffMax(), 0.2));
        return ClusterSingleton.get(system)
                .init(SingletonActor.of(supervised, SINGLETON_NAME).withSettings(singletonSettings));
    }

    public static Behavior<ToCoordinator> create(BlobGcSettings settings, BlobStore store, Clock clock) {
        return create(settings, store, clock, null, Timings.NONE);
    }

    /**
     * @param decisions where what the collector decided is published (null: nowhere)
     * @param timings   where the cycles' planning times and the sweeper's store deletions are recorded
     */
    public static Behavior<ToCoordinator> create(BlobGcSettings settings, BlobStore store, Clock clock,
                                           ActorRef<Topic.Command<Decision>> decisions, Timings timings) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
                new Coordinator(ctx, timers, settings, store, clock, decisions, timings)));
    }

    private final ActorContext<ToCoordinator> ctx;
    private final TimerScheduler<ToCoordinator> timers;
    private final BlobGcSettings settings;
    private final Clock clock;
    private final BlobStore store;
    /**
     * Spawned at every recovery: a restart after a journal failure restarts the event-sourced part inside this
     * same object and stops its children, so the sweeper and the soft state below belong to one recovery.
     */
    private ActorRef<Sweeper.Command> sweeper;
    private int sweeperGeneration;
    private final boolean clustered;
    /** Every decision: what to persist and what to answer. */
    private final CoordinatorCore core;
    /** The reporters the receptionist lists, and the node each one reported for (once it did). */
    private final Set<ActorRef<ToReporter>> reporters = new LinkedHashSet<>();
    private final Map<ActorRef<ToReporter>, String> reporterNodes = new HashMap<>();
    private double lastCycleMs = -1;
    private final ActorRef<Topic.Command<Decision>> decisions;
    private final Timings timings;
    /** Whether this recovery's {@link TookOver} is persisted; until then commands are stashed. */
    private boolean takenOver;
    /** Names this instance in its {@link TookOver} (and the log): member and a random part. */
    private final String instanceId;
    /**
     * Pekko asks for the empty state once and starts every recovery without a snapshot from that very object — also
     * a restart in place after a journal failure. So it is never changed: the first event applied to it starts a
     * ledger of its own, and a restart in place recovers from the journal alone, not on top of the ledger it had.
     */
    private final State empty;

    private Coordinator(ActorContext<ToCoordinator> ctx, TimerScheduler<ToCoordinator> timers, BlobGcSettings settings,
                        BlobStore store, Clock clock, ActorRef<Topic.Command<Decision>> decisions,
                        Timings timings) {
        super(PERSISTENCE_ID, SupervisorStrategy.restartWithBackoff(settings.restartBackoffMin(),
                settings.restartBackoffMax(), 0.2));
        this.ctx = ctx;
        this.timers = timers;
        this.settings = settings;
        this.clock = clock;
        this.clustered = "cluster".equals(ctx.getSystem().settings().config().getString("pekko.actor.provider"));
        this.store = store;
        this.decisions = decisions;
        this.timings = timings;
        this.core = new CoordinatorCore(settings.dryRun());
        this.empty = new State(new Ledger(settings.ledger()));
        this.instanceId = (clustered ? NodeIds.of(Cluster.get(ctx.getSystem()).selfMember().uniqueAddress())
                : ctx.getSystem().name()) + "/" + java.util.UUID.randomUUID().toString().substring(0, 8);
    }

    @Override
    public State emptyState() {
        return empty;
    }

    @Override
    public String journalPluginId() {
        return settings.journalPluginId();
    }

    @Override
    public String snapshotPluginId() {
        return settings.snapshotPluginId();
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        // events are kept unless configured otherwise: a deleted row's sequence number is free for a late
        // predecessor's write, and the S10 fence rests on that write being refused
        var retention = RetentionCriteria.snapshotEvery(settings.snapshotEvery(), settings.keepSnapshots());
        return settings.deleteEventsOnSnapshot() ? retention.withDeleteEventsOnSnapshot() : retention;
    }

    @Override
    public SnapshotAdapter<State> snapshotAdapter() {
        return new SnapshotAdapter<>() {
            @Override
            public Object toJournal(State state) {
                return state.ledger.snapshot();
            }

            @Override
            public State fromJournal(Object from) {
                return new State(Ledger.fromSnapshot(settings.ledger(), (LedgerSnapshot) from));
            }
        };
    }

    @Override
    public SignalHandler<State> signalHandler() {
        return newSignalHandlerBuilder().onSignal(RecoveryCompleted.class, (state, signal) -> onRecovered(state))
                .build();
    }

    private void onRecovered(State state) {
        takenOver = false;
        ctx.getSelf().tell(TakeOver.INSTANCE);
        reporters.clear();
        reporterNodes.clear();
        // resumed on a failure: a restart would forget the batch it holds, which this incarnation keeps in flight
        sweeper = ctx.spawn(Behaviors.supervise(Sweeper.create(ctx.getSelf().narrow(), store, settings, timings))
                        .onFailure(SupervisorStrategy.resume()), "sweeper-" + (++sweeperGeneration),
                DispatcherSelector.blocking());
        timers.startTimerWithFixedDelay(CycleTick.INSTANCE, settings.cycleInterval());
        timers.startTimerWithFixedDelay(StalenessTick.INSTANCE, settings.heartbeatInterval());
        if (clustered) {
            ActorRef<ClusterEvent.MemberEvent> adapter = ctx.messageAdapter(ClusterEvent.MemberEvent.class,
                    MemberChanged::new);
            var subscriptions = Cluster.get(ctx.getSystem()).subscriptions();
            subscriptions.tell(new Subscribe<>(adapter, ClusterEvent.MemberEvent.class));
            // after the subscription's initial events: members removed between the read above and the subscription
            // are in neither, and this state tells
            subscriptions.tell(new GetCurrentState(ctx.messageAdapter(ClusterEvent.CurrentClusterState.class,
                    MembersNow::new).unsafeUpcast()));
        }
        ActorRef<Receptionist.Listing> listingAdapter = ctx.messageAdapter(Receptionist.Listing.class,
                ReportersChanged::new);
        ctx.getSystem().receptionist().tell(Receptionist.subscribe(ReporterProtocol.REPORTERS, listingAdapter));
        sweeper.tell(Sweeper.Wake.INSTANCE);
    }

    /** Monotonic millis, for what is local to this instance (report receipt, staleness): wall-clock steps don't count. */
    private static long localNow() {
        return System.nanoTime() / 1_000_000;
    }

    /** The members that run a reporter (the node role) and are Up. */
    private List<String> upMembers(Iterable<Member> members) {
        List<String> up = new ArrayList<>();
        for (Member m : members) {
            boolean isUp = m.status() == MemberStatus.up() || m.status() == MemberStatus.weaklyUp();
            if (isUp && reports(m)) up.add(NodeIds.of(m.uniqueAddress()));
        }
        return up;
    }

    private boolean reports(Member m) {
        return settings.nodeRole().isEmpty() || m.hasRole(settings.nodeRole());
    }

    // =====================================================================================================
    // Commands
    // =====================================================================================================

    /**
     * Until this instance's {@link TookOver} is persisted every command waits (stashed, in order), so nothing that can
     * protect or delete a blob — an acquire, a registration, a pin, a report, a cycle, a deletion — is decided by an
     * instance that has not fenced out its predecessors.
     */
    @Override
    public CommandHandlerWithReply<ToCoordinator, Event, State> commandHandler() {
        CommandHandlerWithReply<ToCoordinator, Event, State> taken = commands();
        return (state, command) -> {
            if (command == TakeOver.INSTANCE) return onTakeOver();
            return takenOver ? taken.apply(state, command) : Effect().stash();
        };
    }

    private ReplyEffect<Event, State> onTakeOver() {
        if (takenOver) return Effect().noReply();
        long deadline = settings.sweepBatchDeadline().toMillis();
        String name = instanceId + "." + sweeperGeneration; // one name per recovery: a restart in place is another
        return Effect().persist(core.takeOver(name, clock.millis(), deadline).events()).thenRun(st -> {
            takenOver = true;
            Ledger l = st.ledger;
            // the Up members are read now, before any stashed report is handled: the warm-up waits for each (S5)
            core.recovered(l, clustered ? upMembers(Cluster.get(ctx.getSystem()).state().getMembers()) : null,
                    localNow());
            ctx.getLog().info("blob-gc coordinator recovered: cycle {}, {} known blobs {}; warming up until every "
                    + "member delivered a FULL report (waiting for {})", l.cycle(), l.knownBlobs(), l.counts(),
                    l.warmUpBlockers());
            core.tookOver(st.ledger, localNow(), deadline);
            timers.startSingleTimer(WindowOver.INSTANCE, Duration.ofMillis(core.windowRemaining(localNow())));
            ctx.getLog().info("blob-gc coordinator {} took over (its first write): an earlier instance can write no more",
                    name);
        }).thenNoReply().thenUnstashAll();
    }

    private CommandHandlerWithReply<ToCoordinator, Event, State> commands() {
        return newCommandHandlerWithReplyBuilder().forAnyState()
                .onCommand(Report.class, this::onReport)
                .onCommand(Acquire.class, (s, c) -> run(s, core.acquire(s.ledger, c.node(), c.incarnation(), c.afterSeq(),
                        c.hash(), clock.millis(), localNow()), c.replyTo()))
                .onCommand(Register.class, (s, c) -> run(s, core.register(s.ledger, c.registrations(), this::stored,
                        clock.millis(), localNow()), c.replyTo()))
                .onCommand(PinBlob.class, (s, c) -> run(s, core.pin(s.ledger, c.hash(), c.owner(), c.reason(), c.ttlMs(),
                        clock.millis()), c.replyTo()))
                .onCommand(UnpinBlob.class, (s, c) -> run(s, core.unpin(s.ledger, c.hash(), c.owner()), c.replyTo()))
                .onCommand(GetBlob.class, (s, c) -> Effect().reply(c.replyTo(), new BlobReply(c.hash(),
                        c.hash() == null ? null : s.ledger.info(c.hash()).orElse(null))))
                .onCommand(GetSummary.class, (s, c) -> Effect().reply(c.replyTo(), summary(s.ledger)))
                .onCommand(GetPins.class, (s, c) -> run(s, core.pins(c.offset(), c.limit()), c.replyTo()))
                .onCommand(GetHistory.class, (s, c) -> run(s, core.history(c.limit()), c.replyTo()))
                .onCommand(RunCycleNow.class, (s, c) -> runCycle(s, c.dryRun(), c.replyTo()))
                .onCommand(CycleTick.class, (s, c) -> runCycle(s, false, null))
                .onCommand(StalenessTick.class, this::onStalenessTick)
                .onCommand(WindowOver.class, (s, c) -> {
                    long remaining = core.windowRemaining(localNow());
                    if (remaining > 0) timers.startSingleTimer(WindowOver.INSTANCE, Duration.ofMillis(remaining));
                    return runNoReply(core.windowOver(s.ledger, localNow(), clock.millis()));
                })
                .onCommand(StartDeletion.class, (s, c) -> {
                    if (!current(c.replyTo(), c)) return Effect().noReply(); // a batch it would never delete
                    // the deadline counts from before the batch's write: a successor's takeover comes after that write
                    long deadline = System.nanoTime() + settings.sweepBatchDeadline().toNanos();
                    return run(s, core.startDeletion(s.ledger, c.max(), clock.millis()), c.replyTo(),
                            hashes -> new Sweeper.Batch(hashes, deadline));
                })
                .onCommand(BatchExpired.class, (s, c) -> {
                    if (current(c.from(), c)) core.batchExpired(c.hashes());
                    return Effect().noReply();
                })
                .onCommand(ConfirmDeleted.class, this::onConfirmDeleted)
                .onCommand(ReportDeletionFailed.class, (s, c) -> !current(c.from(), c) ? Effect().noReply()
                        : runNoReply(core.deletionFailed(s.ledger, c.hash(), c.error(), clock.millis())))
                .onCommand(StorePage.class, this::onStorePage)
                .onCommand(MemberChanged.class, this::onMemberChanged)
                .onCommand(MembersNow.class, this::onMembersNow)
                .onCommand(ReportersChanged.class, this::onReportersChanged)
                .build();
    }

    /**
     * Whether the store holds {@code hash}'s content, asked when a registration would give content to a hash that has
     * none (unknown or COLLECTED). In the actor, so that no deletion the ledger starts can come between the answer and
     * the registration (only DELETING blobs are deleted, and their registration is refused). A store that cannot
     * answer counts as "not there": the registration is refused and the uploader tries again.
     */
    private boolean stored(BlobHash hash) {
        try {
            return store.exists(hash);
        } catch (IOException e) {
            ctx.getLog().warn("cannot tell whether the store holds {}: {}; its registration is refused", hash, e.toString());
            return false;
        }
    }

    /** Persists a decision's events (if any), then replies with its answer on the new state. */
    private <R> ReplyEffect<Event, State> run(State s, CoordinatorCore.Decision<R> d, ActorRef<R> replyTo) {
        return run(s, d, replyTo, r -> r);
    }

    private <R, M> ReplyEffect<Event, State> run(State s, CoordinatorCore.Decision<R> d, ActorRef<M> replyTo,
                                                 Function<R, M> message) {
        if (d.events().isEmpty()) return Effect().reply(replyTo, message.apply(d.reply().apply(s.ledger)));
        return Effect().persist(d.events()).thenReply(replyTo, st -> message.apply(d.reply().apply(st.ledger)));
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

    private ReplyEffect<Event, State> onConfirmDeleted(State s, ConfirmDeleted c) {
        if (!current(c.from(), c)) return Effect().noReply();
        CoordinatorCore.Decision<Void> d = core.confirmDeleted(c.hashes(), c.bytes(), clock.millis());
        if (d.events().isEmpty()) return Effect().noReply();
        return Effect().persist(d.events()).thenRun(st -> {
            for (Event e : d.events()) {
                if (e instanceof BlobsCollected b) publish(new Decision.Collected(b.hashes(), b.bytes()));
            }
        }).thenNoReply();
    }

    private void publish(Decision d) {
        if (decisions != null) decisions.tell(Topic.publish(d));
    }

    private ReplyEffect<Event, State> runNoReply(CoordinatorCore.Decision<?> d) {
        if (d.events().isEmpty()) return Effect().noReply();
        return Effect().persist(d.events()).thenNoReply();
    }

    private ReplyEffect<Event, State> onReport(State s, Report c) {
        NodeReport r = c.report();
        CoordinatorCore.ReportResult result = core.report(r, localNow()).reply().apply(s.ledger);
        if (r != null && r.node() != null) reporterNodes.put(c.replyTo(), r.node());
        if (result.warmUpCompleted()) {
            // the last FULL report of the warm-up: cycle now rather than a cycle-interval later
            ctx.getLog().info("warm-up complete: every member delivered a FULL report");
            timers.startTimerWithFixedDelay(CycleTick.INSTANCE, settings.cycleInterval());
            ctx.getSelf().tell(CycleTick.INSTANCE);
        }
        return Effect().reply(c.replyTo(), switch (result.outcome()) {
            case APPLIED, CHUNK_BUFFERED -> new ReportAck(r.incarnation(), r.seq());
            case NEED_FULL -> new ResendFull(r.incarnation(), r.seq(), "view of " + r.node()
                    + " cannot take seq " + r.seq());
            default -> {
                ctx.getLog().debug("report ignored: {}", result.outcome());
                yield new ReportRejected(r == null ? -1 : r.incarnation(), r == null ? -1 : r.seq(),
                        result.outcome().name());
            }
        });
    }

    private ReplyEffect<Event, State> runCycle(State s, boolean dryRun, ActorRef<CycleOutcome> replyTo) {
        long t0 = System.nanoTime();
        CoordinatorCore.Decision<CycleOutcome> d = core.cycle(s.ledger, dryRun, clock.millis(), localNow());
        long planned = System.nanoTime() - t0;
        lastCycleMs = planned / 1e6;
        timings.cyclePlanned(planned);
        CycleOutcome o = d.reply().apply(s.ledger);
        var effect = Effect().persist(d.events()).thenRun(st -> {
            logCycle(st.ledger, o); // the counts after the cycle it reports
            if (!o.dryRun() && !o.marked().isEmpty()) {
                publish(new Decision.Marked(o.cycle(), o.marked().stream().map(CycleOutcome.MarkedBlob::hash).toList()));
            }
            if (!o.dryRun()) sweeper.tell(Sweeper.Wake.INSTANCE);
            if (settings.orphans().pageSize() > 0) {
                sweeper.tell(new Sweeper.ScanStore(core.orphanScanAfter(), settings.orphans().pageSize(),
                        o.dryRun()));
            }
        });
        return replyTo == null ? effect.thenNoReply() : effect.thenReply(replyTo, st -> o);
    }

    /** The store reconciliation: a page of the listing, its orphans condemned (a dry run only names them). */
    private ReplyEffect<Event, State> onStorePage(State s, StorePage c) {
        CoordinatorCore.Decision<List<BlobHash>> d = core.storePage(s.ledger, c.after(), c.entries(), c.more(),
                c.dryRun(), clock.millis(), settings.orphans().grace().toMillis());
        List<BlobHash> orphans = d.reply().apply(s.ledger);
        if (d.events().isEmpty()) {
            if (!orphans.isEmpty()) {
                ctx.getLog().info("dry run: {} orphan(s) in the store would be deleted: {}", orphans.size(), orphans);
            }
            return Effect().noReply();
        }
        // persisted also when the page named no orphan: the event carries the walk's position (a restart resumes it)
        if (orphans.isEmpty()) return Effect().persist(d.events()).thenNoReply();
        ctx.getLog().info("{} orphan(s) in the store (content the registry does not account for, older than {}) "
                + "condemned for deletion", orphans.size(), settings.orphans().grace());
        return Effect().persist(d.events()).thenRun(st -> sweeper.tell(Sweeper.Wake.INSTANCE)).thenNoReply();
    }

    private void logCycle(Ledger l, CycleOutcome o) {
        if (o.changedNothing() && !o.frozen() && !o.warmingUp()) {
            ctx.getLog().debug("cycle {}: no change", o.cycle());
            return;
        }
        ctx.getLog().info("cycle {}{}{}{}: {} newly unreferenced, {} rescued, {} {}, {} stale node(s), counts {}",
                o.cycle(), o.dryRun() ? " (dry run)" : "", o.frozen() ? " FROZEN (below min-nodes-reporting)" : "",
                o.warmingUp() ? " WARMING UP (waiting for " + l.warmUpBlockers() + ")" : "",
                o.unreferenced().size(), o.rescued().size(), o.marked().size(),
                o.dryRun() ? "would be marked" : "marked", o.staleNodes().size(), l.counts());
    }

    private ReplyEffect<Event, State> onStalenessTick(State s, StalenessTick c) {
        if (s.ledger.warmingUp()) {
            // ask whoever has not delivered a FULL report to this coordinator yet (or is not known yet)
            List<String> blockers = s.ledger.warmUpBlockers();
            for (ActorRef<ToReporter> r : reporters) {
                String node = reporterNodes.get(r);
                if (node == null || blockers.contains(node)) {
                    r.tell(new ResendFull(Long.MIN_VALUE, Long.MIN_VALUE, "warm-up"));
                }
            }
        }
        return Effect().noReply();
    }

    private ReplyEffect<Event, State> onMemberChanged(State s, MemberChanged c) {
        var member = c.event().member();
        String node = NodeIds.of(member.uniqueAddress());
        if (c.event() instanceof ClusterEvent.MemberRemoved) {
            ctx.getLog().info("member {} removed: its references are dropped", node);
            s.ledger.memberRemoved(node, localNow());
        } else if ((c.event() instanceof ClusterEvent.MemberUp || c.event() instanceof ClusterEvent.MemberWeaklyUp)
                && reports(member)) {
            s.ledger.memberUp(node, localNow());
        }
        return Effect().noReply();
    }

    private ReplyEffect<Event, State> onMembersNow(State s, MembersNow c) {
        Set<String> present = new HashSet<>();
        for (Member m : c.state().getMembers()) present.add(NodeIds.of(m.uniqueAddress()));
        for (String node : s.ledger.members()) {
            if (!present.contains(node)) {
                ctx.getLog().info("member {} was removed before this coordinator subscribed: its references are dropped",
                        node);
                s.ledger.memberRemoved(node, localNow());
            }
        }
        return Effect().noReply();
    }

    private ReplyEffect<Event, State> onReportersChanged(State s, ReportersChanged c) {
        Set<ActorRef<ToReporter>> listed = c.listing().getServiceInstances(ReporterProtocol.REPORTERS);
        for (ActorRef<ToReporter> r : listed) {
            // a reporter new to this coordinator reports in full: it may have missed our start
            if (reporters.add(r)) r.tell(new ResendFull(Long.MIN_VALUE, Long.MIN_VALUE, "new coordinator"));
        }
        reporters.retainAll(listed);
        reporterNodes.keySet().retainAll(listed);
        return Effect().noReply();
    }

    private Summary summary(Ledger l) {
        Map<String, Long> counts = new LinkedHashMap<>();
        l.counts().forEach((k, v) -> counts.put(k.name(), v));
        Map<String, Long> outcomes = new LinkedHashMap<>();
        l.reportOutcomes().forEach((k, v) -> outcomes.put(k.name(), v));
        List<HistoryEntry> last = l.history(1);
        String self = clustered ? Cluster.get(ctx.getSystem()).selfMember().address().toString()
                : ctx.getSystem().address().toString();
        return new Summary(l.cycle(), self, l.warmingUp(), l.warmUpBlockers(), settings.dryRun(), counts,
                l.nodes(localNow()), last.isEmpty() ? null : last.get(0), lastCycleMs, l.totalCollected(),
                l.totalCollectedBytes(), l.totalFailedDeletions(), outcomes, l.reportedWhileDeleting(),
                l.reportedUnknown(), l.orphansCondemned(), l.orphansDeleted());
    }

    // =====================================================================================================
    // Events
    // =====================================================================================================

    @Override
    public EventHandler<State, Event> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent((s, e) -> {
            State st = s == empty ? new State(new Ledger(settings.ledger())) : s; // the empty state stays empty
            CoordinatorCore.apply(st.ledger, e);
            return st;
        });
    }
}
