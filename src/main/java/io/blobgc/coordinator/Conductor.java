package io.blobgc.coordinator;

import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;
import io.blobgc.CborSerializable;
import io.blobgc.NodeIds;
import io.blobgc.coordinator.ConductorCore.State;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.ledger.HistoryEntry;
import io.blobgc.ledger.Partitioning;
import io.blobgc.ledger.SettleStatus;
import io.blobgc.protocol.ReporterProtocol.Acquire;
import io.blobgc.protocol.ReporterProtocol.Register;
import io.blobgc.protocol.ReporterProtocol.Report;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * The cluster singleton when the partitions are entities on Cluster Sharding ({@code blob-gc.partition-hosting =
 * sharded}, P &gt; 1; issue 25, partitions-part2-plan §2): it owns what is cluster-wide — the cycle clock (cycles are
 * its timer messages), the history, P and the hosting for the journal's life — and keeps every partition entity
 * running; each partition ({@link PartitionHosts}) decides for its own blobs, with its own journal, fence and sweeper.
 *
 * <ul>
 *   <li><b>Cycles.</b> Each tick asks every partition to run cycle n ({@link Coordinator.RunPartitionCycle}), gathers
 *       the answers within {@link ConductorCore#cycleTimeout} and records the cycle ({@link CycleRecorded}): the
 *       partitions' outcomes merged, and those that did not answer — moving, recovering — skipped; they take the next
 *       cycle's number when they answer again (grace is wall-clock time, so nothing is replayed). No tick starts a
 *       cycle while one is open. The decisions are {@link ConductorCore}'s; this actor carries them out.</li>
 *   <li><b>Routing.</b> It takes every message the coordinator takes, where the embedders and the admin API send them
 *       (the singleton proxy): a report goes to every partition as its share (each answers the reporter itself), an
 *       acquire, a pin, an unpin and a blob query to the hash's partition, a registration split by the
 *       registered hashes' partitions (answers merged), the summary and the pins gathered from every partition and
 *       merged ({@link PartitionAsks}), the history its own. The nodes' reporters send neither reports nor acquires
 *       this way: they send them to the partitions themselves ({@code node.CoordinatorRoute.byPartition}), so the
 *       conductor is in neither path.</li>
 *   <li><b>Its journal</b> ({@code blob-gc-coordinator}, as the singleton's always was) records P and the hosting in
 *       its first write, a {@link Coordinator.TookOver}; a journal written otherwise — another P, or by the
 *       coordinator hosting every partition itself — is refused before any write, naming both.</li>
 *   <li><b>The settle round</b> (partitions.md §1; linked entities only, {@link Hosting#linked}): partitions that
 *       recover together wait for each other's settled exports, which none sends while it warms up. Every heartbeat
 *       interval the conductor polls every partition ({@link Coordinator.SettleQuery}: a warming one flushes, then
 *       answers its status); when two polls in a row are the same clean fixpoint
 *       ({@link io.blobgc.ledger.SettleRound}) it tells every partition {@link Coordinator.PartitionsSettled} with
 *       their generations, and each of those generations ends its warm-up.</li>
 * </ul>
 * It decides nothing about a blob and deletes nothing, so it needs no fence of its own: two conductors at once (a
 * paused one) only run cycles twice as often, and a partition runs each cycle number once.
 */
public final class Conductor extends EventSourcedBehavior<ToCoordinator, Coordinator.Event, ConductorCore.State> {

    /**
     * A cycle the conductor ran: the partitions' outcomes merged ({@code entry}, numbered as the cycle), the partitions
     * that did not answer, and {@code cycle}, the highest cycle number a partition had run by then — the cycle's own,
     * unless the conductor's journal was behind its partitions' (the next cycle numbers on from it).
     */
    public record CycleRecorded(long cycle, HistoryEntry entry, List<Integer> skipped) implements Coordinator.Event {
    }

    /** The conductor's snapshot: its whole state. */
    public record ConductorSnapshot(long cycle, int partitions, String hosting, List<HistoryEntry> history)
            implements CborSerializable {
    }

    /** Sent to itself when recovery completes: persist the takeover (P and hosting) before anything else. */
    private enum TakeOver implements ToCoordinator { INSTANCE }

    private enum KeepAliveTick implements ToCoordinator { INSTANCE }

    private enum SettleTick implements ToCoordinator { INSTANCE }

    private record SettleGathered(FanIn.Gathered<SettleStatus> gathered) implements ToCoordinator {
    }

    /** A cycle's answers are in (or timed out). */
    private record CycleGathered(ConductorCore.CycleAsk<ActorRef<CycleOutcome>> ask,
                                 FanIn.Gathered<Coordinator.PartitionCycled> gathered) implements ToCoordinator {
    }

    /** Starts the conductor singleton (on members with the coordinator role) and returns its proxy. */
    public static ActorRef<ToCoordinator> initSingleton(ActorSystem<?> system, BlobGcSettings settings,
                                                        PartitionPeers peers, Clock clock) {
        ClusterSingletonSettings singletonSettings = ClusterSingletonSettings.create(system);
        if (!settings.coordinatorRole().isEmpty()) singletonSettings = singletonSettings.withRole(settings.coordinatorRole());
        Behavior<ToCoordinator> supervised = Behaviors.supervise(create(settings, peers, clock, true))
                .onFailure(SupervisorStrategy.restartWithBackoff(settings.restartBackoffMin(),
                        settings.restartBackoffMax(), 0.2));
        return ClusterSingleton.get(system)
                .init(SingletonActor.of(supervised, Coordinator.SINGLETON_NAME).withSettings(singletonSettings));
    }

    public static Behavior<ToCoordinator> create(BlobGcSettings settings, PartitionPeers peers, Clock clock) {
        return create(settings, peers, clock, false);
    }

    /** @param linked the partitions are linked entities ({@link Hosting#linked}): the conductor runs the settle round */
    public static Behavior<ToCoordinator> create(BlobGcSettings settings, PartitionPeers peers, Clock clock,
                                                 boolean linked) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Conductor(ctx, timers, settings, peers, clock,
                linked)));
    }

    private final ActorContext<ToCoordinator> ctx;
    private final TimerScheduler<ToCoordinator> timers;
    private final BlobGcSettings settings;
    private final PartitionPeers peers;
    private final Clock clock;
    private final Partitioning partitioning;
    private final List<Integer> all;
    /** The conductor's decisions; this actor carries them out. */
    private final ConductorCore<ActorRef<CycleOutcome>> core;
    private final PartitionAsks asks;
    private final String instanceId;

    private Conductor(ActorContext<ToCoordinator> ctx, TimerScheduler<ToCoordinator> timers, BlobGcSettings settings,
                      PartitionPeers peers, Clock clock, boolean linked) {
        super(Coordinator.PERSISTENCE_ID, SupervisorStrategy.restartWithBackoff(settings.restartBackoffMin(),
                settings.restartBackoffMax(), 0.2));
        this.ctx = ctx;
        this.timers = timers;
        this.settings = settings;
        this.peers = peers;
        this.clock = clock;
        this.partitioning = settings.partitioning();
        this.core = new ConductorCore<>(partitioning, linked, settings.dryRun(), settings.cycleInterval(),
                settings.askTimeout(), settings.ledger().historySize());
        this.all = core.all();
        this.asks = new PartitionAsks(peers, partitioning, core.gatherTimeout(), settings.dryRun(), ctx.getLog(),
                linked);
        boolean clustered = "cluster".equals(ctx.getSystem().settings().config().getString("pekko.actor.provider"));
        this.instanceId = (clustered ? NodeIds.of(Cluster.get(ctx.getSystem()).selfMember().uniqueAddress())
                : ctx.getSystem().name()) + "/conductor/" + java.util.UUID.randomUUID().toString().substring(0, 8);
    }

    @Override
    public State emptyState() {
        return core.emptyState();
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
        return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), settings.keepSnapshots());
    }

    @Override
    public SnapshotAdapter<State> snapshotAdapter() {
        return new Snapshots(core);
    }

    @Override
    public SignalHandler<State> signalHandler() {
        return newSignalHandlerBuilder().onSignal(RecoveryCompleted.class, (state, signal) -> {
            core.recovered();
            ctx.getSelf().tell(TakeOver.INSTANCE);
        }).build();
    }

    // =====================================================================================================
    // Commands
    // =====================================================================================================

    @Override
    public CommandHandler<ToCoordinator, Coordinator.Event, State> commandHandler() {
        return (state, command) -> {
            if (command == TakeOver.INSTANCE) return onTakeOver(state);
            if (!core.takenOver()) return Effect().stash();
            return handle(state, command);
        };
    }

    private Effect<Coordinator.Event, State> onTakeOver(State s) {
        ConductorCore.Step<ActorRef<CycleOutcome>> step = core.takeOver(s, instanceId, clock.millis());
        if (step.refusal() != null) {
            ctx.getLog().error(step.refusal());
            return Effect().stop();
        }
        if (step.events().isEmpty()) return Effect().none(); // taken over already
        return Effect().persist(step.events()).thenRun((State st) -> carry(step.after().apply(st))).thenUnstashAll();
    }

    /** Carries out a step: its log lines at once, then its events written, then what follows them. */
    private Effect<Coordinator.Event, State> run(State s, ConductorCore.Step<ActorRef<CycleOutcome>> step) {
        step.logs().forEach(line -> DecisionEffects.log(ctx.getLog(), line));
        if (step.events().isEmpty()) {
            carry(step.after().apply(s));
            return Effect().none();
        }
        return Effect().persist(step.events()).thenRun((State st) -> carry(step.after().apply(st)));
    }

    /**
     * Carries out what the core decided: the log lines, the sends, the answer, after a takeover the timers, and the
     * cycle to start.
     */
    private void carry(ConductorCore.Out<ActorRef<CycleOutcome>> out) {
        out.logs().forEach(line -> DecisionEffects.log(ctx.getLog(), line));
        out.send().forEach(m -> peers.tell(m.to(), m.message()));
        if (out.answer() != null) out.answer().to().tell((CycleOutcome) out.answer().reply());
        if (out.tookOver()) {
            timers.startTimerWithFixedDelay(KeepAliveTick.INSTANCE, settings.heartbeatInterval());
            timers.startTimerWithFixedDelay(Coordinator.CycleTick.INSTANCE, settings.cycleInterval());
            if (core.settles()) timers.startTimerWithFixedDelay(SettleTick.INSTANCE, settings.heartbeatInterval());
        }
        if (out.cycle() != null) startCycle(out.cycle());
    }

    private Effect<Coordinator.Event, State> handle(State s, ToCoordinator command) {
        if (command == KeepAliveTick.INSTANCE) {
            keepAlive();
        } else if (command == Coordinator.CycleTick.INSTANCE) {
            core.cycleTick(s).ifPresent(this::startCycle);
        } else if (command instanceof Coordinator.RunCycleNow c) {
            core.runCycleNow(s, c.dryRun(), c.replyTo()).ifPresent(this::startCycle);
        } else if (command instanceof CycleGathered g) {
            return run(s, core.cycleGathered(s, g.ask(), g.gathered().answers(), g.gathered().missing(),
                    clock.millis()));
        } else if (command == SettleTick.INSTANCE) {
            poll();
        } else if (command instanceof SettleGathered g) {
            carry(core.polled(g.gathered().answers(), g.gathered().missing()));
        } else if (command instanceof Report r) {
            if (r.report() == null) {
                peers.tell(0, r); // refused there, as by the coordinator
            } else {
                List<io.blobgc.ledger.NodeReport> shares = r.report().shares(partitioning);
                for (int p : all) peers.tell(p, new Report(shares.get(p), r.replyTo()));
            }
        } else if (command instanceof Acquire a) {
            peers.tell(owner(a.hash()), a);
        } else if (command instanceof Coordinator.PinBlob c) {
            peers.tell(owner(c.hash()), c);
        } else if (command instanceof Coordinator.UnpinBlob c) {
            peers.tell(owner(c.hash()), c);
        } else if (command instanceof Coordinator.GetBlob c) {
            peers.tell(owner(c.hash()), c);
        } else if (command instanceof Register c) {
            asks.register(c);
        } else if (command instanceof Coordinator.GetSummary c) {
            asks.summary(s.cycle, Cluster.get(ctx.getSystem()).selfMember().address().toString(),
                    s.last(), c.replyTo());
        } else if (command instanceof Coordinator.GetPins c) {
            asks.pins(c);
        } else if (command instanceof Coordinator.GetHistory c) {
            c.replyTo().tell(new Coordinator.History(s.newest(c.limit())));
        } else {
            ctx.getLog().warn("blob-gc conductor ignored {}: the partitions run their own sweepers and members",
                    command.getClass().getSimpleName());
        }
        return Effect().none();
    }

    private int owner(BlobHash hash) {
        return core.route(hash);
    }

    private void keepAlive() {
        core.keepAlive().forEach(m -> peers.tell(m.to(), m.message()));
    }

    // ---- the settle round

    /** Polls every partition, when the core starts a poll, and hands the answers (or the time-out) back to it. */
    private void poll() {
        core.startPoll().ifPresent(cut -> ctx.pipeToSelf(FanIn.<SettleStatus>gather(peers, all,
                        (p, ref) -> new Coordinator.SettleQuery(ref, cut), core.gatherTimeout()),
                (g, failure) -> new SettleGathered(g == null ? new FanIn.Gathered<>(Map.of(),
                        new java.util.TreeSet<>(all)) : g)));
    }

    // ---- cycles

    /** Asks every partition to run the core's cycle, and hands the answers (or the time-out) back to it. */
    private void startCycle(ConductorCore.CycleAsk<ActorRef<CycleOutcome>> ask) {
        ctx.pipeToSelf(FanIn.<Coordinator.PartitionCycled>gather(peers, all,
                        (p, ref) -> new Coordinator.RunPartitionCycle(ask.cycle(), ask.dryRun(), ref),
                        core.cycleTimeout()),
                (g, failure) -> new CycleGathered(ask, g == null
                        ? new FanIn.Gathered<>(Map.of(), new java.util.TreeSet<>(all)) : g));
    }

    // =====================================================================================================
    // Events
    // =====================================================================================================

    @Override
    public EventHandler<State, Coordinator.Event> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent(core::apply);
    }

    /**
     * The conductor's snapshots: {@link ConductorSnapshot}; a coordinator's (a journal it wrote hosting every
     * partition itself) restores only what the refusal needs.
     */
    private static final class Snapshots implements SnapshotAdapter<State> {
        private final ConductorCore<?> core;

        Snapshots(ConductorCore<?> core) {
            this.core = core;
        }

        @Override
        public Object toJournal(State s) {
            return ConductorCore.snapshot(s);
        }

        @Override
        public State fromJournal(Object from) {
            return core.restored(from);
        }
    }
}
