package io.blobgc.coordinator;

import io.blobgc.BlobGcSettings;
import io.blobgc.NodeIds;
import io.blobgc.coordinator.Coordinator.Event;
import io.blobgc.coordinator.Coordinator.State;
import io.blobgc.coordinator.Coordinator.WindowOver;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

import java.time.Clock;
import java.time.Duration;

/**
 * The {@link Coordinator}'s fence (S10): each recovery's first write is a {@link Coordinator.TookOver}, persisted
 * before the instance decides anything (until then its commands are stashed), and its re-upload window is closed in
 * the journal once it is over ({@link Coordinator.PredecessorsDone}). An instance configured with another number of
 * partitions than its journal's writes nothing and stops ({@link JournalPartitions}).
 */
final class TakeOverFence {
    private final ActorContext<ToCoordinator> ctx;
    private final TimerScheduler<ToCoordinator> timers;
    private final BlobGcSettings settings;
    private final Clock clock;
    private final CoordinatorCore core;
    private final DecisionEffects effects;
    private final Roster roster;
    private final SweeperLink sweeper;
    private final boolean clustered;
    /** Every partition, or one alone: what the journal must have been written as, and what the takeover records. */
    private final Hosting hosting;
    /** Names this instance in its {@link Coordinator.TookOver} (and the log): member and a random part. */
    private final String instanceId;
    /** A linked entity asks the other partitions for their FULLs once it took over. */
    private final PartitionLinks links;
    /** Whether this recovery's {@link Coordinator.TookOver} is persisted; until then commands are stashed. */
    private boolean takenOver;

    TakeOverFence(ActorContext<ToCoordinator> ctx, TimerScheduler<ToCoordinator> timers, BlobGcSettings settings,
                  Clock clock, CoordinatorCore core, DecisionEffects effects, Roster roster, SweeperLink sweeper,
                  boolean clustered, Hosting hosting, PartitionLinks links) {
        this.ctx = ctx;
        this.timers = timers;
        this.settings = settings;
        this.clock = clock;
        this.core = core;
        this.effects = effects;
        this.roster = roster;
        this.sweeper = sweeper;
        this.clustered = clustered;
        this.hosting = hosting;
        this.links = links;
        this.instanceId = (clustered ? NodeIds.of(Cluster.get(ctx.getSystem()).selfMember().uniqueAddress())
                : ctx.getSystem().name()) + "/" + java.util.UUID.randomUUID().toString().substring(0, 8);
    }

    /** A recovery completed: its takeover is not written yet. */
    void recovered() {
        takenOver = false;
    }

    boolean takenOver() {
        return takenOver;
    }

    ReplyEffect<Event, State> onTakeOver(State s) {
        if (takenOver) return effects.noReply();
        // the singleton hosts every partition itself, whatever partition-hosting says (its sharded form is the
        // conductor, not built yet: the settings' partitionHostingNote); an entity hosts its partition of its P
        int partitions = hosting.partitions(settings.partitions());
        var refusal = JournalPartitions.refusal(s, partitions, hosting.mode(), hosting.partition());
        if (refusal.isPresent()) {
            // nothing written, nothing decided: the commands waiting are dropped and asks time out (not ready)
            ctx.getLog().error(refusal.get());
            return effects.effect().stop().thenNoReply();
        }
        long deadline = settings.sweepBatchDeadline().toMillis();
        String name = instanceId + "." + sweeper.generation(); // one name per recovery: a restart in place is another
        var takeOver = core.takeOver(name, clock.millis(), deadline, partitions, hosting.recordedHosting(),
                hosting.partition());
        return effects.effect().persist(takeOver.events()).thenRun(st -> {
            takenOver = true;
            PartitionedLedger l = st.ledger;
            // the Up members are read now, before any stashed report is handled: the warm-up waits for each (S5)
            core.recoveredAfterOwnTakeOver(l, clustered ? roster.upMembers(Cluster.get(ctx.getSystem()).state().getMembers()) : null,
                    Coordinator.localNow());
            ctx.getLog().info("blob-gc " + hosting.describe() + " recovered: cycle {}, {} known blobs {}; warming up until every "
                    + "member delivered a FULL report (waiting for {})", l.cycle(), l.knownBlobs(), l.counts(),
                    l.warmUpBlockers());
            core.tookOver(st.ledger, Coordinator.localNow(), deadline);
            timers.startSingleTimer(WindowOver.INSTANCE,
                    Duration.ofMillis(core.windowRemaining(Coordinator.localNow())));
            ctx.getLog().info("blob-gc " + hosting.describe() + " {} took over (its first write): an earlier instance can write no more",
                    name);
            links.tookOver(st.ledger);
        }).thenNoReply().thenUnstashAll();
    }

    /** This instance's re-upload window should be over: say so in the journal (or wait for the rest of it). */
    ReplyEffect<Event, State> onWindowOver(State s) {
        long remaining = core.windowRemaining(Coordinator.localNow());
        if (remaining > 0) timers.startSingleTimer(WindowOver.INSTANCE, Duration.ofMillis(remaining));
        return effects.runNoReply(core.windowOver(s.ledger, Coordinator.localNow(), clock.millis()));
    }
}
