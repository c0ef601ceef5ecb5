package io.blobgc.coordinator;

import io.blobgc.coordinator.Coordinator.Event;
import io.blobgc.coordinator.Coordinator.ExportResend;
import io.blobgc.coordinator.Coordinator.PartitionExport;
import io.blobgc.coordinator.Coordinator.PartitionsSettled;
import io.blobgc.coordinator.Coordinator.State;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.ReportOutcome;
import io.blobgc.ledger.SettleRound;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

import java.time.Duration;

/**
 * A linked partition entity's messages to and from the other partitions' (partitions-part2-plan S1.4; partitions.md
 * §1): its exports, flushed after each of its cycles and each told to its target's entity; a target that needs a FULL
 * asks its sender for one ({@link ExportResend}, naming its generation, which the FULL echoes: a warming partition
 * takes no other, {@link PartitionedLedger#deliverExport}); after its takeover an entity asks every other partition
 * for a FULL at once; the settle round's end ({@link PartitionsSettled}). Exports are soft state: a lost one is a gap,
 * found by the next one, which asks for a FULL.
 *
 * <p>Nothing of it runs for the whole, nor for an isolated entity ({@link Hosting#partition}): it views no other
 * partition, and a message from one is logged and dropped.
 */
final class PartitionLinks {
    private final ActorContext<ToCoordinator> ctx;
    private final TimerScheduler<ToCoordinator> timers;
    private final Hosting hosting;
    private final DecisionEffects effects;
    /** How long asks for a FULL are gathered before the flush that answers them all. */
    private final Duration flushDelay;

    /** The flush that answers the asks for a FULL of the last {@link #flushDelay}. */
    enum FlushExports implements Coordinator.Command { INSTANCE }

    PartitionLinks(ActorContext<ToCoordinator> ctx, TimerScheduler<ToCoordinator> timers, Hosting hosting,
                   DecisionEffects effects, Duration flushDelay) {
        this.ctx = ctx;
        this.timers = timers;
        this.hosting = hosting;
        this.effects = effects;
        this.flushDelay = flushDelay;
    }

    /**
     * Whether {@code command} comes from the other partitions or their conductor's settle round: what an entity drops
     * before its takeover (each is sent again: see {@code Coordinator.commandHandler}).
     */
    static boolean fromPeers(ToCoordinator command) {
        return command instanceof PartitionExport || command instanceof ExportResend
                || command instanceof PartitionsSettled || command instanceof Coordinator.SettleQuery
                || command instanceof Coordinator.Protect || command instanceof Coordinator.Protected;
    }

    /** This entity took over (its warm-up began): every other partition is asked for a FULL echoing its generation. */
    void tookOver(PartitionedLedger l) {
        if (!hosting.isLinked()) return;
        for (int q = 0; q < hosting.partitioning().count(); q++) {
            if (q != hosting.partition()) hosting.peers().tell(q, new ExportResend(hosting.partition(), l.generation()));
        }
    }

    /**
     * Flushes this partition's exports, each to its target's entity: after each cycle's write (live only), and at once
     * when a partition asked for a FULL.
     */
    void flush(PartitionedLedger l) {
        if (!hosting.isLinked()) return;
        for (PartitionedLedger.Export e : l.flushExports(hosting.partition(), Coordinator.localNow())) {
            hosting.peers().tell(e.to(), new PartitionExport(e.from(), e.to(), e.echo(), e.report(), e.fenced()));
        }
    }

    /** Another partition's exports arrived: applied (S8 orders them); a gap, or a FULL not echoing, asks for a FULL. */
    ReplyEffect<Event, State> onExport(State s, PartitionExport m) {
        if (!takes(m, m.from()) || m.to() != hosting.partition() || !wellFormed(m)) return effects.noReply();
        PartitionedLedger l = s.ledger;
        var export = new PartitionedLedger.Export(m.from(), m.to(), m.report(), m.echo(), m.fenced());
        if (l.deliverExport(export, Coordinator.localNow()) == ReportOutcome.NEED_FULL) {
            hosting.peers().tell(m.from(), new ExportResend(hosting.partition(), l.generation()));
        }
        return effects.noReply();
    }

    /**
     * A partition asked for a FULL of what this one exports to it, echoing its generation: it goes with the flush a
     * moment later, which answers every ask that came meanwhile — a flush goes to every other partition, so one per
     * ask would multiply the messages of many partitions warming up together (each gap asks, each flush makes more).
     */
    ReplyEffect<Event, State> onExportResend(State s, ExportResend m) {
        if (!takes(m, m.asker())) return effects.noReply();
        s.ledger.resendExportsFull(hosting.partition(), m.asker(), m.generation());
        if (!timers.isTimerActive(FlushExports.INSTANCE)) timers.startSingleTimer(FlushExports.INSTANCE, flushDelay);
        return effects.noReply();
    }

    /** The flush that answers the asks for a FULL gathered since the first of them. */
    ReplyEffect<Event, State> onFlushExports(State s) {
        flush(s.ledger);
        return effects.noReply();
    }

    /** The settle round's end: this partition ends its warm-up if the round was of its generation. */
    ReplyEffect<Event, State> onSettled(State s, PartitionsSettled m) {
        if (!hosting.isLinked() || m.generations() == null
                || m.generations().size() != hosting.partitioning().count()) {
            ctx.getLog().warn("ignored {}: {}", m, hosting.isLinked() ? "not one generation per partition"
                    : hosting.describe() + " is linked to no other partition");
            return effects.noReply();
        }
        if (!SettleRound.appliesTo(m.generations(), hosting.partition(), s.ledger.generation())
                || !s.ledger.warmingUp()) {
            ctx.getLog().debug("ignored {}: generation {}, warming up {}", m, s.ledger.generation(),
                    s.ledger.warmingUp());
            return effects.noReply();
        }
        s.ledger.partitionsSettled();
        ctx.getLog().info("blob-gc {}: the partitions settled; warming up {} (waiting for {})", hosting.describe(),
                s.ledger.warmingUp(), s.ledger.warmUpBlockers());
        return effects.noReply();
    }

    /**
     * The conductor's settle poll: a partition that warms up, or has something to send, flushes its exports first (so
     * its answer counts what its views hold now), then answers its status.
     */
    ReplyEffect<Event, State> onSettleQuery(State s, Coordinator.SettleQuery m) {
        if (!hosting.isLinked() || m.replyTo() == null) {
            ctx.getLog().warn("ignored {}: {}", m, hosting.isLinked() ? "no one to answer"
                    : hosting.describe() + " is linked to no other partition");
            return effects.noReply();
        }
        // a partition that is not warming up flushes too when it has something to send: dirty, its answer would hold
        // the round until its next cycle, and in a busy cluster every poll could find it so (review of S1.6)
        if (s.ledger.warmingUp() || s.ledger.settleStatus(hosting.partition()).dirty()) flush(s.ledger);
        return effects.effect().reply(m.replyTo(), s.ledger.settleStatus(hosting.partition()));
    }

    /** Whether a message of partition {@code from} is for this entity: linked, and from another partition. */
    private boolean takes(Object m, int from) {
        if (!hosting.isLinked()) {
            ctx.getLog().warn("ignored {}: {} is linked to no other partition", m, hosting.describe());
            return false;
        }
        if (from < 0 || from >= hosting.partitioning().count() || from == hosting.partition()) {
            ctx.getLog().warn("ignored {}: no other partition {} of {}", m, from, hosting.partitioning().count());
            return false;
        }
        return true;
    }

    /** An export of the sender's reporter id, with a kind and no null hash (the coordinator's checks on reports). */
    private boolean wellFormed(PartitionExport m) {
        NodeReport r = m.report();
        boolean ok = r != null && PartitionedLedger.reporterOf(m.from()).equals(r.node()) && r.kind() != null
                && CoordinatorCore.noNullHash(r);
        if (!ok) ctx.getLog().warn("ignored a malformed export to {}: {}", hosting.describe(), m);
        return ok;
    }
}
