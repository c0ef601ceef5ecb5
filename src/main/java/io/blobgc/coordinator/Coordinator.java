package io.blobgc.coordinator;

import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;
import io.blobgc.CborSerializable;
import io.blobgc.ledger.BlobInfo;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.GoneWalk;
import io.blobgc.ledger.ProtectOutcome;
import io.blobgc.ledger.SettleStatus;
import io.blobgc.ledger.HistoryEntry;
import io.blobgc.ledger.Ledger;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.Partitioning;
import io.blobgc.ledger.LedgerSnapshot;
import io.blobgc.ledger.NodeInfo;
import io.blobgc.ledger.Pin;
import io.blobgc.ledger.Refusal;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol;
import io.blobgc.protocol.ReporterProtocol.Acquire;
import io.blobgc.protocol.ReporterProtocol.Register;
import io.blobgc.protocol.ReporterProtocol.Report;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.store.BlobStore;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.SingletonActor;
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
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The cluster-singleton GC coordinator: an event-sourced shell around the {@link PartitionedLedger}. Commands ask the
 * ledger to decide, the decisions are persisted as events, and the event handler applies them to the ledger —
 * live and on every recovery. Node views are soft state, rebuilt from FULL reports after a recovery (S5). The commands
 * of each concern are handled by a package-private part: {@link TakeOverFence} (S10), {@link Roster} (members,
 * reporters, reports), {@link CycleRunner}, {@link SweeperLink} (deletions, the store reconciliation).
 *
 * <p>It hosts every partition ({@link Hosting#whole()}: the singleton, journal {@code blob-gc-coordinator}) or one
 * partition alone ({@link Hosting#partition}: that partition's entity, journal {@code blob-gc-partition|p}, issue 25):
 * an entity runs no cycle timer (the conductor numbers its cycles: {@link RunPartitionCycle}), takes over only once
 * a conductor's {@link KeepAlive} came, takes its {@link PartitionStop} even before its takeover, and answers only what
 * stays in its partition.
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
     * @param sweeper          this coordinator's sweeper: its delete rate and how the store answers it (null in a
     *                         summary from a member that predates it)
     * @param partitions       at {@code partition-hosting = sharded}, each partition entity as the conductor's summary
     *                         found it, in partition order; empty otherwise (the coordinator hosts every partition)
     */
    public record Summary(long cycle, String coordinatorNode, boolean warmingUp, List<String> warmUpBlockers,
                          boolean dryRun, Map<String, Long> counts, List<NodeInfo> nodes, HistoryEntry lastCycle,
                          double lastCycleMs, long totalCollected, long totalCollectedBytes, long totalFailedDeletions,
                          Map<String, Long> reportOutcomes, long reportedWhileDeleting, long reportedUnknown,
                          long orphansCondemned, long orphansDeleted, SweeperStatus sweeper,
                          List<PartitionStatus> partitions)
            implements CborSerializable {

        public Summary {
            partitions = partitions == null ? List.of() : partitions;
        }

        /** A summary of a coordinator hosting every partition: no partition entities to list. */
        public Summary(long cycle, String coordinatorNode, boolean warmingUp, List<String> warmUpBlockers,
                       boolean dryRun, Map<String, Long> counts, List<NodeInfo> nodes, HistoryEntry lastCycle,
                       double lastCycleMs, long totalCollected, long totalCollectedBytes, long totalFailedDeletions,
                       Map<String, Long> reportOutcomes, long reportedWhileDeleting, long reportedUnknown,
                       long orphansCondemned, long orphansDeleted, SweeperStatus sweeper) {
            this(cycle, coordinatorNode, warmingUp, warmUpBlockers, dryRun, counts, nodes, lastCycle, lastCycleMs,
                    totalCollected, totalCollectedBytes, totalFailedDeletions, reportOutcomes, reportedWhileDeleting,
                    reportedUnknown, orphansCondemned, orphansDeleted, sweeper, List.of());
        }
    }

    /**
     * A partition entity in the conductor's summary: the member hosting it, whether it answered the summary's ask in
     * time (if not, the rest is unknown: 0, false and null), whether it is warming up, the last cycle it ran and how
     * many blobs it knows (every status).
     */
    public record PartitionStatus(int partition, String member, boolean answered, boolean warmingUp, long cycle,
                                  long blobs) implements CborSerializable {
    }

    /**
     * The sweeper's pace and the store's health as the sweeper last saw them (soft state of this coordinator: not
     * persisted, a new coordinator starts at the limit).
     *
     * @param rate              the delete rate the sweeper allows itself now, deletions per second: the limit, or less
     *                          after the store pushed back (AIMD)
     * @param rateLimit         the configured {@code sweeper.max-deletes-per-second}
     * @param throttledRequests store requests the store pushed back (throttling: S3's 503 SlowDown, a 429, a
     *                          connection reset), since this coordinator started
     * @param storeFailing      the sweeper's last store request failed: it deleted nothing and was not throttled (the
     *                          store is down, unreachable or refuses); false again once a request deletes something
     * @param lastStoreError    the last error a deletion failed with (null: none yet); it stays after the store recovers
     */
    public record SweeperStatus(double rate, double rateLimit, long throttledRequests, boolean storeFailing,
                                String lastStoreError) implements CborSerializable {

        /** A sweeper that has not deleted anything yet: at the limit. */
        public static SweeperStatus initial(double rateLimit) {
            return new SweeperStatus(rateLimit, rateLimit, 0, false, null);
        }

        /** The store pushed back and the sweeper has not climbed back to its limit yet. */
        public boolean storeThrottling() {
            return rate < rateLimit;
        }
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

    /** From the sweeper, after a store request that changed its {@link SweeperStatus}: for the summary. */
    public record SweeperStatusChanged(SweeperStatus status, ActorRef<Sweeper.Command> from) implements Command {
    }

    /**
     * From the sweeper: a page of the store's listing after {@code after}, for the store reconciliation;
     * {@code dryRun}: listed after a dry run (its orphans are named, never condemned).
     */
    public record StorePage(BlobHash after, List<BlobStore.Entry> entries, boolean more, boolean dryRun)
            implements Command {
    }

    enum CycleTick implements Command { INSTANCE }

    /*
     * A partition entity's (Hosting.partition; partitions-part2-plan §2): from the conductor, which numbers the cycles
     * and keeps the entities alive.
     */

    /**
     * Runs the conductor's cycle {@code cycle} on a partition entity (it has no cycle timer): answered once planned and
     * persisted, or at once when it ran that cycle or a later one already (late or duplicate: not planned again).
     */
    public record RunPartitionCycle(long cycle, boolean dryRun, ActorRef<PartitionCycled> replyTo) implements Command {
    }

    /**
     * A partition entity ran cycle {@code cycle}: its {@code outcome}, or null when it had run it before (nothing
     * planned nor persisted for this ask); {@code lastCycle} is the last cycle it has run now (above {@code cycle}
     * when the conductor is behind it).
     */
    public record PartitionCycled(int partition, long cycle, CycleOutcome outcome, long lastCycle)
            implements CborSerializable {
    }

    /**
     * From the conductor once it took over, then on a timer: starts an entity that is not running (any message does);
     * an entity takes over only once it got one (a conductor that refused its journal sends none). Never stashed.
     */
    public enum KeepAlive implements Command { INSTANCE }

    /**
     * Sharding's stop message for a partition entity (a handoff): it stops at once, also before its takeover is
     * written — stashed, a stop would wait out a journal outage (the handoff times out) or overflow the stash.
     */
    public enum PartitionStop implements Command { INSTANCE }

    /*
     * Between linked partition entities (Hosting.linked; partitions-part2-plan S1.4): PartitionLinks sends and takes
     * them.
     */

    /**
     * Partition {@code from}'s exports to partition {@code to} (partitions.md §1, "Flush"), echoing {@code to}'s
     * generation of its last ask for a FULL ({@link ExportResend}), with {@code fenced}: the latest FULL of each node
     * whose report fence {@code from} had done when it built the report (partitions-part2-plan §8; null, as from an
     * older sender: none), and {@code contentStamp}, the seq of the last report with content {@code from} had sent
     * to {@code to} ({@link io.blobgc.ledger.PartitionedLedger.Export#contentStamp}; null, as from an older sender:
     * none, and the target judges), and {@code cut}, its part of the settle round's cut
     * ({@link io.blobgc.ledger.Cut}; null, as from an older sender or with no cut taken: none).
     */
    public record PartitionExport(int from, int to, int echo, NodeReport report,
                                  java.util.Map<String, io.blobgc.ledger.FencedFull> fenced, Long contentStamp,
                                  io.blobgc.ledger.Cut cut)
            implements Command {

        /** An export with no cut part (as an older sender's). */
        public PartitionExport(int from, int to, int echo, NodeReport report,
                               java.util.Map<String, io.blobgc.ledger.FencedFull> fenced, Long contentStamp) {
            this(from, to, echo, report, fenced, contentStamp, null);
        }

        /** An export that says no FULL fenced (as an older sender's). */
        public PartitionExport(int from, int to, int echo, NodeReport report) {
            this(from, to, echo, report, null, null, null);
        }

        /** An export with no content stamp (as an older sender's). */
        public PartitionExport(int from, int to, int echo, NodeReport report,
                               java.util.Map<String, io.blobgc.ledger.FencedFull> fenced) {
            this(from, to, echo, report, fenced, null, null);
        }
    }

    /**
     * Partition {@code asker}, at its generation {@code generation}, asks for a FULL of what the receiver exports to
     * it: after its takeover, and when an export left a gap (or was a FULL that did not echo its generation).
     */
    public record ExportResend(int asker, int generation) implements Command {
    }

    /**
     * The settle round's end (partitions.md §1): the exports of the partitions at {@code generations} (by partition)
     * are at a fixpoint, and each partition whose generation it names ends its warm-up; another ignores it.
     */
    public record PartitionsSettled(List<Integer> generations) implements Command {
    }

    /**
     * The conductor's settle poll (partitions.md §1, "settle round"; {@link Conductor}): a linked entity that warms up
     * flushes its exports, then answers its {@link SettleStatus}. It carries the round's {@code cut}
     * (partitions-part2-plan §10, tier 2; {@link io.blobgc.ledger.SettleRound#queryCut}), which the entity takes before
     * it decides to flush; 0, as from an older conductor: none (ends a cut taken).
     */
    public record SettleQuery(ActorRef<SettleStatus> replyTo, long cut) implements Command {

        /** A query of no cut (as an older conductor's). */
        public SettleQuery(ActorRef<SettleStatus> replyTo) {
            this(replyTo, 0);
        }
    }

    /**
     * The fence across partitions (partitions.md §2; {@link PartitionFences}): partition {@code asker}'s walk
     * {@code walk} asks the receiver to record {@code hashes} in partition {@code onBehalfOf}'s view, after that
     * partition's report ({@code incarnation}, {@code afterSeq}) to it; {@code used}: an acquire's, so the blobs of their
     * closures waiting out their grace are persisted as used before the answer. Answered {@link Protected}, to the asker.
     */
    public record Protect(long walk, int asker, int onBehalfOf, long incarnation, long afterSeq, List<BlobHash> hashes,
                          boolean used) implements Command {
    }

    /** Partition {@code from}'s answer to a {@link Protect} of walk {@code walk}. */
    public record Protected(long walk, int from, ProtectOutcome outcome) implements Command {
    }

    /**
     * What an acquire answered GONE names ({@link GoneNamesCore}): partition {@code asker}'s walk {@code walk} asks the
     * receiver which blobs of the local closures of {@code hashes}, its blobs, are gone, and which remote callees lie
     * below them. Reads only; answered {@link GoneFound}, to the asker.
     */
    public record FindGone(long walk, int asker, List<BlobHash> hashes) implements Command {
    }

    /** Partition {@code from}'s answer to a {@link FindGone} of walk {@code walk}, naming the hashes asked. */
    public record GoneFound(long walk, int from, List<BlobHash> hashes, GoneWalk.Found found) implements Command {
    }

    /** A linked entity's timer: the fences' outstanding asks are sent again, and those past their deadline given up. */
    enum FenceTick implements Command { INSTANCE }

    /** Sent to itself when recovery completes: persist {@link TookOver} before handling anything else (S10). */
    enum TakeOver implements Command { INSTANCE }

    enum StalenessTick implements Command { INSTANCE }

    /** This instance's re-upload window (S10) should be over: say so in the journal. */
    enum WindowOver implements Command { INSTANCE }

    record MemberChanged(ClusterEvent.MemberEvent event) implements Command {
    }

    record ReportersChanged(Receptionist.Listing listing) implements Command {
    }

    /** Membership's state, asked for after subscribing (see onRecovered). */
    record MembersNow(ClusterEvent.CurrentClusterState state) implements Command {
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

    /**
     * A partition's outcome of a cycle: one event per partition and cycle ({@code partition} 0 at P = 1, and in events
     * written before it was recorded).
     */
    public record CycleCompleted(CycleOutcome outcome, int partition) implements Event {
        public CycleCompleted(CycleOutcome outcome) {
            this(outcome, 0);
        }
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
     * a later instance waits out at least (S10). {@code partitions} is the number of partitions ({@code
     * blob-gc.partitions}) it runs with, which the journal keeps for its life (0 in an event written before it was
     * recorded: one partition); see {@link JournalPartitions}. {@code hosting} is its {@code blob-gc.partition-hosting}
     * and {@code partition} the partition it is the entity of (issue 25, partitions-part2-plan.md): null for the
     * coordinator hosting every partition itself, which is what writes them today (and in an event written before they
     * were recorded).
     */
    public record TookOver(String instance, long at, long batchDeadlineMs, int partitions, String hosting,
                           Integer partition) implements Event {

        /** The takeover of a coordinator hosting all {@code partitions} itself: no hosting nor partition recorded. */
        public TookOver(String instance, long at, long batchDeadlineMs, int partitions) {
            this(instance, at, batchDeadlineMs, partitions, null, null);
        }
    }

    /**
     * {@code instance} saw its re-upload window end: no instance before it can delete anything any more, so what was
     * deleted for them need not wait out a later takeover's window (S10).
     */
    public record PredecessorsDone(String instance, long at) implements Event {
    }

    /** The state: the ledger. Snapshots hold its persistent half ({@link LedgerSnapshot}), copied in the actor. */
    public static final class State {
        final PartitionedLedger ledger;
        /** Whether nothing was recovered: a journal with no event and no snapshot (it takes any number of partitions). */
        final boolean fresh;

        State(PartitionedLedger ledger) {
            this(ledger, false);
        }

        private State(PartitionedLedger ledger, boolean fresh) {
            this.ledger = ledger;
            this.fresh = fresh;
        }

        public PartitionedLedger ledger() {
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
        return create(settings, store, clock, decisions, timings, Hosting.whole());
    }

    /**
     * @param hosting every partition (the singleton), or one partition alone (its entity: persistence id
     *                {@code blob-gc-partition|p}, cycles from the conductor only)
     */
    public static Behavior<ToCoordinator> create(BlobGcSettings settings, BlobStore store, Clock clock,
                                           ActorRef<Topic.Command<Decision>> decisions, Timings timings,
                                           Hosting hosting) {
        Behavior<ToCoordinator> coordinator = Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
                new Coordinator(ctx, timers, settings, store, clock, decisions, timings, hosting)));
        return hosting.isPartition() ? Behaviors.intercept(EntityControl::new, coordinator) : coordinator;
    }

    /**
     * A partition entity's {@link PartitionStop}, taken before the event-sourced behaviour sees it: that stashes every
     * command while a write is in flight (the takeover's on a slow journal, too), and a handoff's stop must not wait for
     * that (sharding's handoff would time out). A {@link KeepAlive} goes on to it: the first one lets it take over.
     */
    private static final class EntityControl extends BehaviorInterceptor<ToCoordinator, ToCoordinator> {
        EntityControl() {
            super(ToCoordinator.class);
        }

        @Override
        public Behavior<ToCoordinator> aroundReceive(TypedActorContext<ToCoordinator> ctx, ToCoordinator message,
                                                     ReceiveTarget<ToCoordinator> target) {
            if (message == PartitionStop.INSTANCE) return Behaviors.stopped();
            return target.apply(ctx, message);
        }
    }

    private final ActorContext<ToCoordinator> ctx;
    private final TimerScheduler<ToCoordinator> timers;
    private final BlobGcSettings settings;
    private final Clock clock;
    /** Asked whether the store holds a registration's content. */
    private final StoreProbe stored;
    private final boolean clustered;
    /** Every decision: what to persist and what to answer. */
    private final CoordinatorCore core;
    private final DecisionEffects effects;
    /** The members and reporters, the sweeper, the cycles: each one recovery's soft state and its commands. */
    private final Roster roster;
    private final SweeperLink sweeper;
    private final CycleRunner cycles;
    private final ActorRef<Topic.Command<Decision>> decisions;
    private final TakeOverFence fence;
    private final Hosting hosting;
    /** The longest a linked entity gathers asks for a FULL before it flushes ({@link PartitionLinks}). */
    private static final Duration MAX_FLUSH_DELAY = Duration.ofMillis(250);
    /** A linked entity's exports to the other partitions' (nothing for the whole, nor for an isolated entity). */
    private final PartitionLinks links;
    /** A linked entity's fences across partitions (none for the whole, nor for an isolated entity). */
    private final PartitionFences fences;
    /** A linked entity's registrations whose callees other partitions own. */
    private final LinkedRegistrations registrations;
    /** Which commands are taken, and when this instance takes over (it knows whether a conductor was heard). */
    private final EntityGate gate;
    /**
     * Pekko asks for the empty state once and starts every recovery without a snapshot from that very object — also
     * a restart in place after a journal failure. So it is never changed: the first event applied to it starts a
     * ledger of its own, and a restart in place recovers from the journal alone, not on top of the ledger it had.
     */
    private final State empty;

    private Coordinator(ActorContext<ToCoordinator> ctx, TimerScheduler<ToCoordinator> timers, BlobGcSettings settings,
                        BlobStore store, Clock clock, ActorRef<Topic.Command<Decision>> decisions,
                        Timings timings, Hosting hosting) {
        super(hosting.persistenceId(), SupervisorStrategy.restartWithBackoff(settings.restartBackoffMin(),
                settings.restartBackoffMax(), 0.2));
        this.ctx = ctx;
        this.timers = timers;
        this.settings = settings;
        this.clock = clock;
        this.clustered = "cluster".equals(ctx.getSystem().settings().config().getString("pekko.actor.provider"));
        this.stored = new StoreProbe(store, ctx);
        this.decisions = decisions;
        this.core = new CoordinatorCore(settings.dryRun());
        this.effects = new DecisionEffects(Effect());
        this.fences = new PartitionFences(ctx, hosting, effects, clock, settings.acquireTimeout());
        this.roster = new Roster(ctx, timers, settings, core, effects, !hosting.isPartition(), fences::reportApplied);
        this.sweeper = new SweeperLink(ctx, settings, store, clock, timings, core, effects, this::publish);
        this.cycles = new CycleRunner(ctx, clock, timings, core, effects, sweeper, this::publish);
        this.hosting = hosting;
        this.gate = new EntityGate(hosting.isPartition());
        Duration quarterBeat = settings.heartbeatInterval().dividedBy(4);
        this.links = new PartitionLinks(ctx, timers, hosting, effects,
                quarterBeat.compareTo(MAX_FLUSH_DELAY) < 0 ? quarterBeat : MAX_FLUSH_DELAY);
        this.registrations = new LinkedRegistrations(clock, core, fences, stored);
        this.fence = new TakeOverFence(ctx, timers, settings, clock, core, effects, roster, sweeper, clustered, hosting,
                links);
        this.empty = new State(hosting.emptyLedger(settings.ledger(), settings.partitioning()), true);
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
        return new StateSnapshots(settings.ledger(), hosting);
    }

    @Override
    public SignalHandler<State> signalHandler() {
        return newSignalHandlerBuilder().onSignal(RecoveryCompleted.class, (state, signal) -> onRecovered(state))
                .build();
    }

    private void onRecovered(State state) {
        fence.recovered();
        ctx.getSelf().tell(TakeOver.INSTANCE);
        roster.clear();
        fences.recovered(timers);
        sweeper.spawn();
        if (!hosting.isPartition()) timers.startTimerWithFixedDelay(CycleTick.INSTANCE, settings.cycleInterval());
        timers.startTimerWithFixedDelay(StalenessTick.INSTANCE, settings.heartbeatInterval());
        roster.subscribe(clustered);
        sweeper.wake();
    }

    /** Monotonic millis, for what is local to this instance (report receipt, staleness): wall-clock steps don't count. */
    static long localNow() {
        return System.nanoTime() / 1_000_000;
    }

    // =====================================================================================================
    // Commands
    // =====================================================================================================

    /**
     * Admits each command as the {@link EntityGate} says (its rules, and why, are there): until this instance's
     * {@link TookOver} is persisted every command waits (stashed, in order), or is dropped by a partition entity if it is
     * sent again anyway.
     */
    @Override
    public CommandHandlerWithReply<ToCoordinator, Event, State> commandHandler() {
        CommandHandlerWithReply<ToCoordinator, Event, State> taken = commands();
        return (state, command) -> switch (gate.admit(command, fence.takenOver())) {
            case TAKE_OVER -> fence.onTakeOver(state);
            case HANDLE -> taken.apply(state, command);
            case STASH -> Effect().stash();
            case IGNORE, DROP -> Effect().noReply();
            case WARN_IGNORED -> {
                ctx.getLog().warn("ignored {}: this coordinator hosts every partition, it is no sharded entity",
                        command);
                yield Effect().noReply();
            }
        };
    }

    private CommandHandlerWithReply<ToCoordinator, Event, State> commands() {
        return newCommandHandlerWithReplyBuilder().forAnyState()
                .onCommand(Report.class, roster::onReport)
                .onCommand(Acquire.class, (s, c) -> hosting.isLinked() ? fences.acquire(s, c, core)
                        : effects.run(s, core.acquire(s.ledger, c.node(), c.incarnation(), c.afterSeq(), c.hash(),
                        clock.millis(), localNow()), c.replyTo()))
                .onCommand(Register.class, (s, c) -> hosting.isLinked() ? registrations.register(s, c)
                        : effects.run(s, core.register(s.ledger, c.registrations(),
                        stored, clock.millis(), localNow()), c.replyTo()))
                .onCommand(PinBlob.class, (s, c) -> hosting.isLinked() ? fences.pin(s, c, core)
                        : effects.run(s, core.pin(s.ledger, c.hash(), c.owner(), c.reason(), c.ttlMs(),
                        clock.millis()), c.replyTo()))
                .onCommand(UnpinBlob.class, (s, c) -> effects.run(s, core.unpin(s.ledger, c.hash(), c.owner()),
                        c.replyTo()))
                .onCommand(GetBlob.class, (s, c) -> Effect().reply(c.replyTo(), new BlobReply(c.hash(),
                        c.hash() == null ? null : s.ledger.info(c.hash()).orElse(null))))
                .onCommand(GetSummary.class, (s, c) -> Effect().reply(c.replyTo(), summary(s.ledger)))
                .onCommand(GetPins.class, (s, c) -> effects.run(s, core.pins(c.offset(), c.limit()), c.replyTo()))
                .onCommand(GetHistory.class, (s, c) -> effects.run(s, core.history(c.limit()), c.replyTo()))
                .onCommand(RunCycleNow.class, this::onRunCycleNow)
                .onCommand(CycleTick.class, (s, c) -> cycles.run(s, false, null))
                .onCommand(RunPartitionCycle.class, this::onRunPartitionCycle)
                .onCommand(StalenessTick.class, roster::onStalenessTick)
                .onCommand(WindowOver.class, (s, c) -> fence.onWindowOver(s))
                .onCommand(StartDeletion.class, sweeper::onStartDeletion)
                .onCommand(BatchExpired.class, sweeper::onBatchExpired)
                .onCommand(ConfirmDeleted.class, sweeper::onConfirmDeleted)
                .onCommand(ReportDeletionFailed.class, sweeper::onDeletionFailed)
                .onCommand(SweeperStatusChanged.class, sweeper::onStatus)
                .onCommand(StorePage.class, sweeper::onStorePage)
                .onCommand(MemberChanged.class, roster::onMemberChanged)
                .onCommand(MembersNow.class, roster::onMembersNow)
                .onCommand(ReportersChanged.class, roster::onReportersChanged)
                .onCommand(PartitionExport.class, links::onExport)
                .onCommand(ExportResend.class, links::onExportResend)
                .onCommand(PartitionsSettled.class, links::onSettled)
                .onCommand(SettleQuery.class, links::onSettleQuery)
                .onCommand(PartitionLinks.FlushExports.class, (s, c) -> links.onFlushExports(s))
                .onCommand(Protect.class, fences::onProtect)
                .onCommand(Protected.class, fences::onProtected)
                .onCommand(FindGone.class, fences::onFindGone)
                .onCommand(GoneFound.class, fences::onGoneFound)
                .onCommand(FenceTick.class, (s, c) -> fences.onTick(s))
                .onCommand(PartitionFences.PinWalked.class, fences::onPinFenced)
                .onCommand(PartitionFences.RegistrationWalked.class, registrations::onFenced)
                .build();
    }

    /** An operator's cycle: the conductor numbers a partition entity's ({@link RunPartitionCycle}), never itself. */
    private ReplyEffect<Event, State> onRunCycleNow(State s, RunCycleNow c) {
        if (!hosting.isPartition()) return cycles.run(s, c.dryRun(), c.replyTo());
        ctx.getLog().warn("ignored {}: {} runs the conductor's cycles only (ask the singleton)", c, hosting.describe());
        return Effect().noReply();
    }

    private ReplyEffect<Event, State> onRunPartitionCycle(State s, RunPartitionCycle c) {
        if (hosting.isPartition()) return cycles.runPartition(s, hosting.partition(), c, links::flush);
        ctx.getLog().warn("ignored {}: this coordinator hosts every partition and runs its own cycles", c);
        return Effect().noReply();
    }

    private void publish(Decision d) {
        if (decisions != null) decisions.tell(Topic.publish(d));
    }

    private Summary summary(PartitionedLedger l) {
        String self = clustered ? Cluster.get(ctx.getSystem()).selfMember().address().toString()
                : ctx.getSystem().address().toString();
        return Summaries.of(l, self, settings.dryRun(), cycles.lastCycleMs(), sweeper.status(), localNow());
    }

    // =====================================================================================================
    // Events
    // =====================================================================================================

    @Override
    public EventHandler<State, Event> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent((s, e) -> {
            State st = s == empty ? new State(firstLedger(e)) : s; // the empty state stays empty
            CoordinatorCore.apply(st.ledger, e);
            return st;
        });
    }

    /**
     * The ledger a journal's first event starts, with the number of partitions the journal was written with: what
     * that event, a takeover, recorded (none recorded, or another first event: one), and hosting the partition it
     * recorded alone (an entity's journal) or every partition (none recorded). A journal's number and partition are
     * fixed by its first takeover, and the instance it was replayed into refuses to go on when they are not its own.
     */
    private PartitionedLedger firstLedger(Event first) {
        int recorded = first instanceof TookOver t ? t.partitions() : 0;
        Integer partition = first instanceof TookOver t ? t.partition() : null;
        if (partition == null) return JournalPartitions.wholeLedger(settings.ledger(), 1024, recorded);
        try {
            Partitioning partitioning = Partitioning.of(JournalPartitions.written(recorded));
            return hosting.entityLedger(PartitionedLedger.hosting(settings.ledger(), 1024, partitioning, partition));
        } catch (IllegalArgumentException foreign) { // no number of partitions, or no partition of it: refused later
            return JournalPartitions.wholeLedger(settings.ledger(), 1024, 0);
        }
    }
}
