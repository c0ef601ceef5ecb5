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
import io.blobgc.ledger.ReportOutcome;
import io.blobgc.node.NodeReporter;
import io.blobgc.store.BlobStore;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
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

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The cluster-singleton GC coordinator: an event-sourced shell around the {@link Ledger}. Commands ask the
 * ledger to decide, the decisions are persisted as events, and the event handler applies them to the ledger —
 * live and on every recovery. Node views are soft state, rebuilt from FULL reports after a recovery (S5).
 */
public final class Coordinator extends EventSourcedBehaviorWithEnforcedReplies<Coordinator.Command,
        Coordinator.Event, Coordinator.State> {

    public static final String SINGLETON_NAME = "blob-gc-coordinator";
    public static final PersistenceId PERSISTENCE_ID = PersistenceId.ofUniqueId("blob-gc-coordinator");

    // =====================================================================================================
    // Protocol
    // =====================================================================================================

    public interface Command extends CborSerializable {
    }

    /** A reporter's report; answered with {@link NodeReporter.ReportAck}, {@code ResendFull} or {@code Rejected}. */
    public record Report(NodeReport report, ActorRef<NodeReporter.Message> replyTo) implements Command {
    }

    /** The acquire fence (S6): {@code afterSeq} is the seq of the last report the reporter sent. */
    public record Acquire(String node, long incarnation, long afterSeq, BlobHash hash,
                          ActorRef<AcquireReply> replyTo) implements Command {
    }

    public record AcquireReply(BlobHash hash, AcquireResult result, List<BlobHash> gone, String message)
            implements CborSerializable {
    }

    public enum AcquireResult {
        /** Recorded: the blob will not be deleted while this node holds it. */
        ACQUIRED,
        /** The blob or one of its callees (listed in {@code gone}) is being deleted or was collected: upload again. */
        GONE,
        /** The node was removed from the cluster. */
        REFUSED,
        /** The coordinator did not answer within {@code reporter.acquire-timeout} (failover under way?): retry. */
        UNAVAILABLE
    }

    public record Register(List<Registration> registrations, ActorRef<Registered> replyTo) implements Command {
    }

    /** @param rejected hashes being deleted right now: upload again once they are collected */
    public record Registered(List<BlobHash> accepted, List<BlobHash> rejected) implements CborSerializable {
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

    public record GetSummary(ActorRef<Summary> replyTo) implements Command {
    }

    /** @param lastCycleMs how long the last cycle's planning took on this coordinator (-1: none yet) */
    public record Summary(long cycle, String coordinatorNode, boolean warmingUp, List<String> warmUpBlockers,
                          boolean dryRun, Map<String, Long> counts, List<NodeInfo> nodes, HistoryEntry lastCycle,
                          double lastCycleMs, long totalCollected, long totalCollectedBytes, long totalFailedDeletions,
                          Map<String, Long> reportOutcomes, long reportedWhileDeleting) implements CborSerializable {
    }

    public record RunCycleNow(boolean dryRun, ActorRef<CycleOutcome> replyTo) implements Command {
    }

    public record GetHistory(int limit, ActorRef<History> replyTo) implements Command {
    }

    public record History(List<HistoryEntry> entries) implements CborSerializable {
    }

    /** From the sweeper: hand over up to {@code max} blobs to delete (moved to DELETING first). */
    public record StartDeletion(int max, ActorRef<Sweeper.Command> replyTo) implements Command {
    }

    /** @param bytes what the deletions freed in the store */
    public record ConfirmDeleted(List<BlobHash> hashes, long bytes) implements Command {
    }

    public record ReportDeletionFailed(BlobHash hash, String error) implements Command {
    }

    private enum CycleTick implements Command { INSTANCE }

    private enum StalenessTick implements Command { INSTANCE }

    private record MemberChanged(ClusterEvent.MemberEvent event) implements Command {
    }

    private record ReportersChanged(Receptionist.Listing listing) implements Command {
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

    public record BlobsCollected(List<BlobHash> hashes, long at, long bytes) implements Event {
    }

    public record DeletionFailed(BlobHash hash, String error, long at) implements Event {
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
    public static ActorRef<Command> initSingleton(ActorSystem<?> system, BlobGcSettings settings, BlobStore store,
                                                  Clock clock) {
        ClusterSingletonSettings singletonSettings = ClusterSingletonSettings.create(system);
        if (!settings.coordinatorRole().isEmpty()) singletonSettings = singletonSettings.withRole(settings.coordinatorRole());
        Behavior<Command> supervised = Behaviors.supervise(create(settings, store, clock))
                .onFailure(SupervisorStrategy.restartWithBackoff(settings.restartBackoffMin(),
                        settings.restartBackoffMax(), 0.2));
        return ClusterSingleton.get(system)
                .init(SingletonActor.of(supervised, SINGLETON_NAME).withSettings(singletonSettings));
    }

    public static Behavior<Command> create(BlobGcSettings settings, BlobStore store, Clock clock) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
                new Coordinator(ctx, timers, settings, store, clock)));
    }

    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
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
    /** Blobs handed to the sweeper and not yet confirmed or failed: soft, lost with this incarnation. */
    private final Set<BlobHash> inFlight = new HashSet<>();
    /** The reporters the receptionist lists, and the node each one reported for (once it did). */
    private final Set<ActorRef<NodeReporter.Message>> reporters = new LinkedHashSet<>();
    private final Map<ActorRef<NodeReporter.Message>, String> reporterNodes = new HashMap<>();
    private double lastCycleMs = -1;

    private Coordinator(ActorContext<Command> ctx, TimerScheduler<Command> timers, BlobGcSettings settings,
                        BlobStore store, Clock clock) {
        super(PERSISTENCE_ID, SupervisorStrategy.restartWithBackoff(settings.restartBackoffMin(),
                settings.restartBackoffMax(), 0.2));
        this.ctx = ctx;
        this.timers = timers;
        this.settings = settings;
        this.clock = clock;
        this.clustered = "cluster".equals(ctx.getSystem().settings().config().getString("pekko.actor.provider"));
        this.store = store;
    }

    @Override
    public State emptyState() {
        return new State(new Ledger(settings.ledger()));
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
        return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), settings.keepSnapshots())
                .withDeleteEventsOnSnapshot();
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
        inFlight.clear();
        reporters.clear();
        reporterNodes.clear();
        sweeper = ctx.spawn(Sweeper.create(ctx.getSelf(), store, settings), "sweeper-" + (++sweeperGeneration),
                DispatcherSelector.blocking());
        Ledger l = state.ledger;
        l.beginWarmUp();
        ctx.getLog().info("blob-gc coordinator recovered: cycle {}, {} known blobs {}; warming up until every member "
                + "delivered a FULL report", l.cycle(), l.knownBlobs(), l.counts());
        timers.startTimerWithFixedDelay(CycleTick.INSTANCE, settings.cycleInterval());
        timers.startTimerWithFixedDelay(StalenessTick.INSTANCE, settings.heartbeatInterval());
        if (clustered) {
            ActorRef<ClusterEvent.MemberEvent> adapter = ctx.messageAdapter(ClusterEvent.MemberEvent.class,
                    MemberChanged::new);
            Cluster.get(ctx.getSystem()).subscriptions().tell(new Subscribe<>(adapter, ClusterEvent.MemberEvent.class));
        }
        ActorRef<Receptionist.Listing> listingAdapter = ctx.messageAdapter(Receptionist.Listing.class,
                ReportersChanged::new);
        ctx.getSystem().receptionist().tell(Receptionist.subscribe(NodeReporter.SERVICE_KEY, listingAdapter));
        sweeper.tell(Sweeper.Wake.INSTANCE);
    }

    // =====================================================================================================
    // Commands
    // =====================================================================================================

    @Override
    public CommandHandlerWithReply<Command, Event, State> commandHandler() {
        return newCommandHandlerWithReplyBuilder().forAnyState()
                .onCommand(Report.class, this::onReport)
                .onCommand(Acquire.class, this::onAcquire)
                .onCommand(Register.class, this::onRegister)
                .onCommand(PinBlob.class, this::onPin)
                .onCommand(UnpinBlob.class, this::onUnpin)
                .onCommand(GetBlob.class, (s, c) -> Effect().reply(c.replyTo(),
                        new BlobReply(c.hash(), s.ledger.info(c.hash()).orElse(null))))
                .onCommand(GetSummary.class, (s, c) -> Effect().reply(c.replyTo(), summary(s.ledger)))
                .onCommand(GetHistory.class, (s, c) -> Effect().reply(c.replyTo(),
                        new History(s.ledger.history(Math.max(0, c.limit())))))
                .onCommand(RunCycleNow.class, (s, c) -> runCycle(s, c.dryRun(), c.replyTo()))
                .onCommand(CycleTick.class, (s, c) -> runCycle(s, false, null))
                .onCommand(StalenessTick.class, this::onStalenessTick)
                .onCommand(StartDeletion.class, this::onStartDeletion)
                .onCommand(ConfirmDeleted.class, this::onConfirmDeleted)
                .onCommand(ReportDeletionFailed.class, this::onDeletionFailed)
                .onCommand(MemberChanged.class, this::onMemberChanged)
                .onCommand(ReportersChanged.class, this::onReportersChanged)
                .build();
    }

    private ReplyEffect<Event, State> onReport(State s, Report c) {
        NodeReport r = c.report();
        List<BlobHash> unregistered = s.ledger.isNodeRemoved(r.node()) ? List.of() : s.ledger.needsRegistration(r);
        if (unregistered.isEmpty()) {
            return Effect().reply(c.replyTo(), applyReport(s, c));
        }
        // unknown hashes are registered (and persisted) before the view takes them
        return Effect().persist(new BlobsRegistered(unregistered.stream().map(Registration::of).toList()))
                .thenReply(c.replyTo(), st -> applyReport(st, c));
    }

    private NodeReporter.Message applyReport(State s, Report c) {
        NodeReport r = c.report();
        boolean warming = s.ledger.warmingUp();
        ReportOutcome o = s.ledger.report(r, clock.millis());
        reporterNodes.put(c.replyTo(), r.node());
        if (warming && !s.ledger.warmingUp()) {
            // the last FULL report of the warm-up: cycle now rather than a cycle-interval later
            ctx.getLog().info("warm-up complete: every member delivered a FULL report");
            timers.startTimerWithFixedDelay(CycleTick.INSTANCE, settings.cycleInterval());
            ctx.getSelf().tell(CycleTick.INSTANCE);
        }
        return switch (o) {
            case APPLIED, CHUNK_BUFFERED -> new NodeReporter.ReportAck(r.incarnation(), r.seq());
            case NEED_FULL -> new NodeReporter.ResendFull(r.incarnation(), r.seq(), "view of " + r.node()
                    + " cannot take seq " + r.seq());
            default -> {
                ctx.getLog().debug("report {}#{} from {} ignored: {}", r.incarnation(), r.seq(), r.node(), o);
                yield new NodeReporter.ReportRejected(r.incarnation(), r.seq(), o.name());
            }
        };
    }

    private ReplyEffect<Event, State> onAcquire(State s, Acquire c) {
        if (s.ledger.status(c.hash()).isEmpty() && !s.ledger.isNodeRemoved(c.node())) {
            return Effect().persist(new BlobsRegistered(List.of(Registration.of(c.hash()))))
                    .thenReply(c.replyTo(), st -> acquire(st, c));
        }
        return Effect().reply(c.replyTo(), acquire(s, c));
    }

    private AcquireReply acquire(State s, Acquire c) {
        return switch (s.ledger.acquire(c.node(), c.incarnation(), c.afterSeq(), c.hash(), clock.millis())) {
            case ACQUIRED -> new AcquireReply(c.hash(), AcquireResult.ACQUIRED, List.of(), "acquired");
            case GONE, UNKNOWN -> {
                List<BlobHash> gone = s.ledger.goneInClosure(c.hash());
                yield new AcquireReply(c.hash(), AcquireResult.GONE, gone,
                        "being deleted or collected: " + gone + "; upload again, then acquire");
            }
            case FROM_REMOVED_NODE -> new AcquireReply(c.hash(), AcquireResult.REFUSED, List.of(),
                    "node " + c.node() + " was removed from the cluster");
        };
    }

    private ReplyEffect<Event, State> onRegister(State s, Register c) {
        Set<BlobHash> hashes = new LinkedHashSet<>();
        for (Registration r : c.registrations()) hashes.add(r.hash());
        List<BlobHash> rejected = s.ledger.checkRegister(hashes);
        List<Registration> accepted = c.registrations().stream().filter(r -> !rejected.contains(r.hash())).toList();
        Registered reply = new Registered(accepted.stream().map(Registration::hash).distinct().toList(), rejected);
        if (accepted.isEmpty()) return Effect().reply(c.replyTo(), reply);
        return Effect().persist(new BlobsRegistered(accepted)).thenReply(c.replyTo(), st -> reply);
    }

    private ReplyEffect<Event, State> onPin(State s, PinBlob c) {
        Optional<Refusal> error = c.owner() == null || c.owner().isBlank()
                ? Optional.of(Refusal.badRequest("a pin needs an owner")) : s.ledger.checkPin(c.hash());
        if (c.ttlMs() != null && c.ttlMs() <= 0) error = Optional.of(Refusal.badRequest("a pin's ttl must be positive"));
        if (error.isPresent()) return Effect().reply(c.replyTo(), new OpResult(error.get()));
        long now = clock.millis();
        Pin pin = new Pin(c.owner(), c.reason() == null ? "" : c.reason(), now,
                c.ttlMs() == null ? null : now + c.ttlMs());
        return Effect().persist(new BlobPinned(c.hash(), pin)).thenReply(c.replyTo(), st -> OpResult.OK);
    }

    private ReplyEffect<Event, State> onUnpin(State s, UnpinBlob c) {
        Optional<Refusal> error = s.ledger.checkUnpin(c.hash(), c.owner());
        if (error.isPresent()) return Effect().reply(c.replyTo(), new OpResult(error.get()));
        return Effect().persist(new BlobUnpinned(c.hash(), c.owner())).thenReply(c.replyTo(), st -> OpResult.OK);
    }

    private ReplyEffect<Event, State> runCycle(State s, boolean dryRun, ActorRef<CycleOutcome> replyTo) {
        long t0 = System.nanoTime();
        CycleOutcome o = s.ledger.planCycle(clock.millis(), dryRun || settings.dryRun());
        lastCycleMs = (System.nanoTime() - t0) / 1e6;
        logCycle(s.ledger, o);
        var effect = Effect().persist(new CycleCompleted(o)).thenRun(st -> {
            if (!o.dryRun()) sweeper.tell(Sweeper.Wake.INSTANCE);
        });
        return replyTo == null ? effect.thenNoReply() : effect.thenReply(replyTo, st -> o);
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
            for (ActorRef<NodeReporter.Message> r : reporters) {
                String node = reporterNodes.get(r);
                if (node == null || blockers.contains(node)) {
                    r.tell(new NodeReporter.ResendFull(Long.MIN_VALUE, Long.MIN_VALUE, "warm-up"));
                }
            }
        }
        return Effect().noReply();
    }

    private ReplyEffect<Event, State> onStartDeletion(State s, StartDeletion c) {
        List<BlobHash> batch = new ArrayList<>();
        for (BlobHash h : s.ledger.deleting(c.max() + inFlight.size())) {
            if (batch.size() < c.max() && !inFlight.contains(h)) batch.add(h);
        }
        List<BlobHash> fresh = settings.dryRun() ? List.of() : s.ledger.planDeletion(c.max() - batch.size());
        inFlight.addAll(batch);
        inFlight.addAll(fresh);
        List<BlobHash> all = new ArrayList<>(batch);
        all.addAll(fresh);
        Sweeper.Batch reply = new Sweeper.Batch(all);
        if (fresh.isEmpty()) {
            c.replyTo().tell(reply);
            return Effect().noReply();
        }
        return Effect().persist(new DeletionStarted(fresh, clock.millis())).thenRun(st -> c.replyTo().tell(reply))
                .thenNoReply();
    }

    private ReplyEffect<Event, State> onConfirmDeleted(State s, ConfirmDeleted c) {
        c.hashes().forEach(inFlight::remove);
        if (c.hashes().isEmpty()) return Effect().noReply();
        return Effect().persist(new BlobsCollected(c.hashes(), clock.millis(), c.bytes())).thenNoReply();
    }

    private ReplyEffect<Event, State> onDeletionFailed(State s, ReportDeletionFailed c) {
        inFlight.remove(c.hash());
        return Effect().persist(new DeletionFailed(c.hash(), c.error(), clock.millis())).thenNoReply();
    }

    private ReplyEffect<Event, State> onMemberChanged(State s, MemberChanged c) {
        var member = c.event().member();
        String node = NodeIds.of(member.uniqueAddress());
        if (c.event() instanceof ClusterEvent.MemberRemoved) {
            ctx.getLog().info("member {} removed: its references are dropped", node);
            s.ledger.memberRemoved(node, clock.millis());
        } else if ((c.event() instanceof ClusterEvent.MemberUp || c.event() instanceof ClusterEvent.MemberWeaklyUp)
                && (settings.nodeRole().isEmpty() || member.hasRole(settings.nodeRole()))) {
            s.ledger.memberUp(node, clock.millis());
        }
        return Effect().noReply();
    }

    private ReplyEffect<Event, State> onReportersChanged(State s, ReportersChanged c) {
        Set<ActorRef<NodeReporter.Message>> listed = c.listing().getServiceInstances(NodeReporter.SERVICE_KEY);
        for (ActorRef<NodeReporter.Message> r : listed) {
            // a reporter new to this coordinator reports in full: it may have missed our start
            if (reporters.add(r)) r.tell(new NodeReporter.ResendFull(Long.MIN_VALUE, Long.MIN_VALUE, "new coordinator"));
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
                l.nodes(clock.millis()), last.isEmpty() ? null : last.get(0), lastCycleMs, l.totalCollected(),
                l.totalCollectedBytes(), l.totalFailedDeletions(), outcomes, l.reportedWhileDeleting());
    }

    // =====================================================================================================
    // Events
    // =====================================================================================================

    @Override
    public EventHandler<State, Event> eventHandler() {
        return newEventHandlerBuilder().forAnyState()
                .onEvent(BlobsRegistered.class, (s, e) -> {
                    s.ledger.applyRegistered(e.registrations());
                    return s;
                })
                .onEvent(BlobPinned.class, (s, e) -> {
                    s.ledger.applyPinned(e.hash(), e.pin());
                    return s;
                })
                .onEvent(BlobUnpinned.class, (s, e) -> {
                    s.ledger.applyUnpinned(e.hash(), e.owner());
                    return s;
                })
                .onEvent(CycleCompleted.class, (s, e) -> {
                    s.ledger.applyCycle(e.outcome());
                    return s;
                })
                .onEvent(DeletionStarted.class, (s, e) -> {
                    s.ledger.applyDeletionStarted(e.hashes(), e.at());
                    return s;
                })
                .onEvent(BlobsCollected.class, (s, e) -> {
                    s.ledger.applyCollected(e.hashes(), e.at(), e.bytes());
                    return s;
                })
                .onEvent(DeletionFailed.class, (s, e) -> {
                    s.ledger.applyDeletionFailed(e.hash());
                    return s;
                })
                .build();
    }
}
