package io.blobgc.coordinator;

import io.blobgc.BlobGcSettings;
import io.blobgc.BlobGcSettings.PartitionHosting;
import io.blobgc.BlobHash;
import io.blobgc.CborSerializable;
import io.blobgc.NodeIds;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.ledger.HistoryEntry;
import io.blobgc.ledger.LedgerSnapshot;
import io.blobgc.ledger.Partitioning;
import io.blobgc.ledger.SettleRound;
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
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
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
 *       the answers within {@link #cycleTimeout} and records the cycle ({@link CycleRecorded}): the partitions' outcomes
 *       merged, and those that did not answer — moving, recovering — skipped; they take the next cycle's number when
 *       they answer again (grace is wall-clock time, so nothing is replayed). No tick starts a cycle while one is
 *       open.</li>
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
 *       answers its status); when two polls in a row are the same clean fixpoint ({@link SettleRound}) it tells every
 *       partition {@link Coordinator.PartitionsSettled} with their generations, and each of those generations ends its
 *       warm-up.</li>
 * </ul>
 * It decides nothing about a blob and deletes nothing, so it needs no fence of its own: two conductors at once (a
 * paused one) only run cycles twice as often, and a partition runs each cycle number once.
 */
public final class Conductor extends EventSourcedBehavior<ToCoordinator, Coordinator.Event, Conductor.State> {

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
    private record CycleGathered(long cycle, boolean dryRun, FanIn.Gathered<Coordinator.PartitionCycled> gathered,
                                 ActorRef<CycleOutcome> replyTo) implements ToCoordinator {
    }

    /**
     * The state: what the journal recorded (P and hosting, for the refusal: a journal of the coordinator hosting every
     * partition itself records no hosting) and the cycles.
     */
    public static final class State {
        final boolean fresh;
        int recordedPartitions;
        String recordedHosting;
        long cycle;
        final ArrayDeque<HistoryEntry> history = new ArrayDeque<>();

        State(boolean fresh) {
            this.fresh = fresh;
        }

        public long cycle() {
            return cycle;
        }

        /** Keeps {@code e} as the newest history entry, and at most {@code historySize} entries. */
        void remember(HistoryEntry e, int historySize) {
            history.addLast(e);
            while (history.size() > historySize) history.removeFirst();
        }
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
    private final State empty = new State(true);
    private final PartitionAsks asks;
    private final String instanceId;
    private boolean takenOver;
    /** A cycle is gathering its answers: no other starts until it is recorded. */
    private boolean cycleOpen;
    /** {@link Coordinator.RunCycleNow}s that came while a cycle was open: each runs once it is recorded. */
    private final ArrayDeque<Coordinator.RunCycleNow> waiting = new ArrayDeque<>();
    /** The settle round of linked partitions; null when they are isolated (nothing to settle). */
    private final SettleRound settle;
    /** A settle poll is gathering its answers: no other starts until it is in. */
    private boolean pollOpen;

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
        List<Integer> ps = new ArrayList<>();
        for (int p = 0; p < partitioning.count(); p++) ps.add(p);
        this.all = List.copyOf(ps);
        this.asks = new PartitionAsks(peers, partitioning, gatherTimeout(), settings.dryRun(), ctx.getLog(), linked);
        boolean clustered = "cluster".equals(ctx.getSystem().settings().config().getString("pekko.actor.provider"));
        this.instanceId = (clustered ? NodeIds.of(Cluster.get(ctx.getSystem()).selfMember().uniqueAddress())
                : ctx.getSystem().name()) + "/conductor/" + java.util.UUID.randomUUID().toString().substring(0, 8);
        this.settle = linked ? new SettleRound(partitioning.count()) : null;
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
        return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), settings.keepSnapshots());
    }

    @Override
    public SnapshotAdapter<State> snapshotAdapter() {
        return new Snapshots(settings.ledger().historySize());
    }

    @Override
    public SignalHandler<State> signalHandler() {
        return newSignalHandlerBuilder().onSignal(RecoveryCompleted.class, (state, signal) -> {
            takenOver = false;
            cycleOpen = false;
            pollOpen = false;
            ctx.getSelf().tell(TakeOver.INSTANCE);
        }).build();
    }

    /**
     * How long a cycle waits for the partitions: half a cycle (at least 100 ms), at most {@link #gatherTimeout} (an
     * operator's RunCycleNow gets its answer before its own ask times out).
     */
    Duration cycleTimeout() {
        Duration half = settings.cycleInterval().dividedBy(2);
        Duration atLeast = half.compareTo(Duration.ofMillis(100)) < 0 ? Duration.ofMillis(100) : half;
        return atLeast.compareTo(gatherTimeout()) < 0 ? atLeast : gatherTimeout();
    }

    /**
     * How long a routed ask (summary, pins, a registration split over partitions) waits for the partitions: half the
     * ask timeout, so that the caller, who waits the whole of it, gets an answer naming the partitions that did not
     * answer instead of a timeout.
     */
    Duration gatherTimeout() {
        return settings.askTimeout().dividedBy(2);
    }

    // =====================================================================================================
    // Commands
    // =====================================================================================================

    @Override
    public CommandHandler<ToCoordinator, Coordinator.Event, State> commandHandler() {
        return (state, command) -> {
            if (command == TakeOver.INSTANCE) return onTakeOver(state);
            if (!takenOver) return Effect().stash();
            return handle(state, command);
        };
    }

    private Effect<Coordinator.Event, State> onTakeOver(State s) {
        if (takenOver) return Effect().none();
        var refusal = refusal(s);
        if (refusal.isPresent()) {
            ctx.getLog().error(refusal.get());
            return Effect().stop();
        }
        var took = new Coordinator.TookOver(instanceId, clock.millis(), 0, partitioning.count(),
                PartitionHosting.SHARDED.configName(), null);
        return Effect().persist(took).thenRun(st -> {
            takenOver = true;
            ctx.getLog().info("blob-gc conductor {} took over at cycle {}: {} partitions on Cluster Sharding",
                    instanceId, st.cycle, partitioning.count());
            keepAlive();
            timers.startTimerWithFixedDelay(KeepAliveTick.INSTANCE, settings.heartbeatInterval());
            timers.startTimerWithFixedDelay(Coordinator.CycleTick.INSTANCE, settings.cycleInterval());
            if (settle != null) {
                settle.reset();
                timers.startTimerWithFixedDelay(SettleTick.INSTANCE, settings.heartbeatInterval());
            }
        }).thenUnstashAll();
    }

    /** Why this conductor may not run on the journal {@code s} was recovered from; empty when it may. */
    private java.util.Optional<String> refusal(State s) {
        if (s.fresh) return java.util.Optional.empty();
        int configured = partitioning.count();
        // no hosting recorded: the coordinator's own journal (its takeovers record none)
        return JournalPartitions.refusal(s.recordedPartitions, configured)
                .or(() -> JournalPartitions.hostingRefusal(JournalPartitions.writtenHosting(s.recordedHosting),
                        PartitionHosting.SHARDED, configured));
    }

    private Effect<Coordinator.Event, State> handle(State s, ToCoordinator command) {
        if (command == KeepAliveTick.INSTANCE) {
            keepAlive();
        } else if (command == Coordinator.CycleTick.INSTANCE) {
            if (!cycleOpen) startCycle(s, settings.dryRun(), null);
        } else if (command instanceof Coordinator.RunCycleNow c) {
            if (cycleOpen) waiting.add(c);
            else startCycle(s, c.dryRun() || settings.dryRun(), c.replyTo());
        } else if (command instanceof CycleGathered g) {
            return recordCycle(s, g);
        } else if (command == SettleTick.INSTANCE) {
            poll();
        } else if (command instanceof SettleGathered g) {
            settled(g.gathered());
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
                    s.history.peekLast(), c.replyTo());
        } else if (command instanceof Coordinator.GetPins c) {
            asks.pins(c);
        } else if (command instanceof Coordinator.GetHistory c) {
            List<HistoryEntry> newest = new ArrayList<>();
            var it = s.history.descendingIterator();
            while (it.hasNext() && newest.size() < Math.max(0, Math.min(c.limit(), CoordinatorCore.MAX_PAGE))) {
                newest.add(it.next());
            }
            c.replyTo().tell(new Coordinator.History(newest));
        } else {
            ctx.getLog().warn("blob-gc conductor ignored {}: the partitions run their own sweepers and members",
                    command.getClass().getSimpleName());
        }
        return Effect().none();
    }

    private int owner(BlobHash hash) {
        return PartitionAsks.owner(partitioning, hash);
    }

    private void keepAlive() {
        for (int p : all) peers.tell(p, Coordinator.KeepAlive.INSTANCE);
    }

    // ---- the settle round

    private void poll() {
        if (settle == null || pollOpen) return;
        pollOpen = true;
        // as long as a routed ask may take: a poll missing a partition settles nothing, and the next waits for this one
        long cut = settle.queryCut();
        ctx.pipeToSelf(FanIn.<SettleStatus>gather(peers, all, (p, ref) -> new Coordinator.SettleQuery(ref, cut),
                        gatherTimeout()),
                (g, failure) -> new SettleGathered(g == null ? new FanIn.Gathered<>(Map.of(), new java.util.TreeSet<>(all))
                        : g));
    }

    /** One poll's answers: when they and the last poll's are the same clean fixpoint, the warm-ups end. */
    private void settled(FanIn.Gathered<SettleStatus> g) {
        pollOpen = false;
        if (ctx.getLog().isDebugEnabled()) {
            StringBuilder b = new StringBuilder("settle poll: cut " + settle.queryCut() + ", no answer from "
                    + g.missing());
            g.answers().forEach((p, st) -> b.append(" | ").append(p).append(" w=").append(st.warming())
                    .append(" in=").append(st.haveAllInputs()).append(" cut=").append(st.cut()).append(" cd=")
                    .append(st.cutDirty()).append(" cs=").append(st.cutSent()).append(" ca=").append(st.cutApplied())
                    .append(" d=").append(st.dirty()).append(" s=").append(st.sent()).append(" a=")
                    .append(st.applied()));
            ctx.getLog().debug(b.toString());
        }
        settle.poll(g.answers()).ifPresent(epoch -> {
            ctx.getLog().info("blob-gc conductor: the partitions settled at generations {}: their warm-ups end", epoch);
            var settled = new Coordinator.PartitionsSettled(epoch);
            for (int p : all) peers.tell(p, settled);
        });
    }

    // ---- cycles

    private void startCycle(State s, boolean dryRun, ActorRef<CycleOutcome> replyTo) {
        long n = s.cycle + 1;
        cycleOpen = true;
        ctx.pipeToSelf(FanIn.<Coordinator.PartitionCycled>gather(peers, all,
                        (p, ref) -> new Coordinator.RunPartitionCycle(n, dryRun, ref), cycleTimeout()),
                (g, failure) -> new CycleGathered(n, dryRun, g == null
                        ? new FanIn.Gathered<>(Map.of(), new java.util.TreeSet<>(all)) : g, replyTo));
    }

    private Effect<Coordinator.Event, State> recordCycle(State s, CycleGathered g) {
        List<CycleOutcome> outcomes = new ArrayList<>();
        long reached = g.cycle();
        for (Coordinator.PartitionCycled c : g.gathered().answers().values()) {
            if (c.outcome() != null) outcomes.add(c.outcome()); // null: it ran this cycle before (a conductor's retry)
            reached = Math.max(reached, c.lastCycle());
        }
        // a journal behind its partitions (lost, restored): number on from theirs, at once
        boolean behind = reached > g.cycle();
        if (behind) {
            ctx.getLog().warn("cycle {}: partitions had run up to cycle {} already; cycle {} runs now", g.cycle(),
                    reached, reached + 1);
        }
        CycleOutcome merged = outcomes.isEmpty() ? nothingRan(g.cycle(), g.dryRun()) : CycleOutcome.merged(outcomes);
        List<Integer> skipped = List.copyOf(g.gathered().missing());
        if (!skipped.isEmpty()) {
            ctx.getLog().warn("cycle {}: partition(s) {} did not answer within {} ms (moving or recovering?); they "
                    + "take the next cycle", g.cycle(), skipped, cycleTimeout().toMillis());
        }
        return Effect().persist(new CycleRecorded(reached, HistoryEntry.of(merged), skipped)).thenRun(st -> {
            cycleOpen = false;
            if (behind) { // the same caller's cycle, under a number the partitions have not run
                startCycle(st, g.dryRun(), g.replyTo());
                return;
            }
            if (g.replyTo() != null) g.replyTo().tell(merged);
            Coordinator.RunCycleNow next = waiting.poll();
            if (next != null) startCycle(st, next.dryRun() || settings.dryRun(), next.replyTo());
        });
    }

    private CycleOutcome nothingRan(long cycle, boolean dryRun) {
        return new CycleOutcome(cycle, clock.millis(), dryRun, false, false, List.of(), List.of(), List.of(),
                List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), 0);
    }

    // =====================================================================================================
    // Events
    // =====================================================================================================

    @Override
    public EventHandler<State, Coordinator.Event> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent((s, e) -> {
            State st = s == empty ? new State(false) : s; // the empty state stays empty (see Coordinator.empty)
            if (e instanceof Coordinator.TookOver t) {
                st.recordedPartitions = t.partitions();
                st.recordedHosting = t.hosting();
            } else if (e instanceof CycleRecorded c) {
                st.cycle = Math.max(st.cycle, c.cycle());
                st.remember(c.entry(), settings.ledger().historySize());
            } // else the coordinator's own (a journal it wrote hosting every partition): the refusal's, nothing to keep
            return st;
        });
    }

    /**
     * The conductor's snapshots: {@link ConductorSnapshot}; a coordinator's (a journal it wrote hosting every
     * partition itself) restores only what the refusal needs.
     */
    private static final class Snapshots implements SnapshotAdapter<State> {
        private final int historySize;

        Snapshots(int historySize) {
            this.historySize = historySize;
        }

        @Override
        public Object toJournal(State s) {
            return new ConductorSnapshot(s.cycle, s.recordedPartitions, s.recordedHosting, List.copyOf(s.history));
        }

        @Override
        public State fromJournal(Object from) {
            State st = new State(false);
            if (from instanceof ConductorSnapshot c) {
                st.cycle = c.cycle();
                st.recordedPartitions = c.partitions();
                st.recordedHosting = c.hosting();
                for (HistoryEntry e : c.history()) st.remember(e, historySize);
            } else { // the coordinator's: no hosting recorded
                if (from instanceof SnapshotSections s) st.recordedPartitions = s.partitions().size();
                else if (from instanceof LedgerSnapshot l) st.recordedPartitions = l.partitions();
            }
            return st;
        }
    }
}
