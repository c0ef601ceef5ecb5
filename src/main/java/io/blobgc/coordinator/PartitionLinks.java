package io.blobgc.coordinator;

import io.blobgc.coordinator.Coordinator.Event;
import io.blobgc.coordinator.Coordinator.ExportResend;
import io.blobgc.coordinator.Coordinator.PartitionExport;
import io.blobgc.coordinator.Coordinator.PartitionsSettled;
import io.blobgc.coordinator.Coordinator.State;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

import java.time.Duration;
import java.util.List;

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
 *
 * <p>The decisions are {@link LinksCore}'s (plain Java, so the simulation can drive them): this is the actor's glue,
 * which hands it the ledger and the message, and sends, logs, starts the flush timer and answers as it says.
 */
final class PartitionLinks {
    private final ActorContext<ToCoordinator> ctx;
    private final TimerScheduler<ToCoordinator> timers;
    private final Hosting hosting;
    private final DecisionEffects effects;
    /** How long asks for a FULL are gathered before the flush that answers them all. */
    private final Duration flushDelay;
    /** The decisions: this is the glue that performs them. */
    private final LinksCore core;

    /** The flush that answers the asks for a FULL of the last {@link #flushDelay}. */
    enum FlushExports implements Coordinator.Command { INSTANCE }

    PartitionLinks(ActorContext<ToCoordinator> ctx, TimerScheduler<ToCoordinator> timers, Hosting hosting,
                   DecisionEffects effects, Duration flushDelay) {
        this.ctx = ctx;
        this.timers = timers;
        this.hosting = hosting;
        this.effects = effects;
        this.flushDelay = flushDelay;
        this.core = new LinksCore(hosting.link());
    }

    /** This entity took over (its warm-up began): every other partition is asked for a FULL echoing its generation. */
    void tookOver(PartitionedLedger l) {
        send(core.tookOver(l));
    }

    /**
     * Flushes this partition's exports, each to its target's entity: after each cycle's write (live only), and at once
     * when a partition asked for a FULL.
     */
    void flush(PartitionedLedger l) {
        send(core.flush(l, Coordinator.localNow()));
    }

    /** Another partition's exports arrived: applied (S8 orders them); a gap, or a FULL not echoing, asks for a FULL. */
    ReplyEffect<Event, State> onExport(State s, PartitionExport m) {
        return perform(core.onExport(s.ledger, m, Coordinator.localNow()));
    }

    /**
     * A partition asked for a FULL of what this one exports to it, echoing its generation: it goes with the flush a
     * moment later ({@link FlushExports}), which answers every ask that came meanwhile.
     */
    ReplyEffect<Event, State> onExportResend(State s, ExportResend m) {
        return perform(core.onExportResend(s.ledger, m));
    }

    /** The flush that answers the asks for a FULL gathered since the first of them. */
    ReplyEffect<Event, State> onFlushExports(State s) {
        flush(s.ledger);
        return effects.noReply();
    }

    /** The settle round's end: this partition ends its warm-up if the round was of its generation. */
    ReplyEffect<Event, State> onSettled(State s, PartitionsSettled m) {
        return perform(core.onSettled(s.ledger, m));
    }

    /**
     * The conductor's settle poll: a partition that warms up, or has something to send, flushes its exports first (so
     * its answer counts what its views hold now), then answers its status.
     */
    ReplyEffect<Event, State> onSettleQuery(State s, Coordinator.SettleQuery m) {
        LinksCore.Outcome o = core.onSettleQuery(s.ledger, m, m.replyTo() != null, m.cut(), Coordinator.localNow());
        ReplyEffect<Event, State> noReply = perform(o);
        return o.answer() == null ? noReply : effects.effect().reply(m.replyTo(), o.answer());
    }

    /** Does what the core decided, but the answer: logs, sends, starts the flush timer. */
    private ReplyEffect<Event, State> perform(LinksCore.Outcome o) {
        for (LinksCore.Log line : o.logs()) log(line);
        send(o.sends());
        if (o.flushSoon() && !timers.isTimerActive(FlushExports.INSTANCE)) {
            timers.startSingleTimer(FlushExports.INSTANCE, flushDelay);
        }
        return effects.noReply();
    }

    private void send(List<LinksCore.Send> sends) {
        for (LinksCore.Send m : sends) hosting.peers().tell(m.to(), m.message());
    }

    private void log(LinksCore.Log line) {
        DecisionEffects.log(ctx.getLog(), line);
    }
}
