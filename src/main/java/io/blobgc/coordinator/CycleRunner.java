package io.blobgc.coordinator;

import io.blobgc.coordinator.Coordinator.Event;
import io.blobgc.coordinator.Coordinator.State;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

import java.time.Clock;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A GC cycle in the {@link Coordinator}: planned by the {@link CoordinatorCore} (and timed), persisted, logged, what it
 * marked published, and the sweeper told to delete and to walk on through the store.
 */
final class CycleRunner {
    private final ActorContext<ToCoordinator> ctx;
    private final Clock clock;
    private final Timings timings;
    private final CoordinatorCore core;
    private final DecisionEffects effects;
    private final SweeperLink sweeper;
    private final Consumer<Decision> publish;
    private double lastCycleMs = -1;

    CycleRunner(ActorContext<ToCoordinator> ctx, Clock clock, Timings timings, CoordinatorCore core,
                DecisionEffects effects, SweeperLink sweeper, Consumer<Decision> publish) {
        this.ctx = ctx;
        this.clock = clock;
        this.timings = timings;
        this.core = core;
        this.effects = effects;
        this.sweeper = sweeper;
        this.publish = publish;
    }

    /** How long the last cycle's planning took on this coordinator (-1: none yet). */
    double lastCycleMs() {
        return lastCycleMs;
    }

    /** Runs a cycle; {@code replyTo} null for a timer's cycle (no answer). */
    ReplyEffect<Event, State> run(State s, boolean dryRun, ActorRef<CycleOutcome> replyTo) {
        CoordinatorCore.Decision<CycleOutcome> d = timed(() -> core.cycle(s.ledger, dryRun, clock.millis(),
                Coordinator.localNow()));
        CycleOutcome o = d.reply().apply(s.ledger);
        long localNow = Coordinator.localNow();
        var effect = persist(d.events(), o, st -> core.cycled(st.ledger, localNow));
        return replyTo == null ? effect.thenNoReply() : effect.thenReply(replyTo, st -> o);
    }

    /**
     * Runs the conductor's cycle {@code c.cycle()} on the entity of {@code partition}, once: a cycle it ran already is
     * answered without an outcome and persists nothing. Once a cycle is written, {@code flush} sends its exports
     * (partitions.md §1, "When A flushes": after every cycle's apply, live only).
     */
    ReplyEffect<Event, State> runPartition(State s, int partition, Coordinator.RunPartitionCycle c,
                                           Consumer<PartitionedLedger> flush) {
        CoordinatorCore.Decision<Coordinator.PartitionCycled> d = timed(() -> core.partitionCycled(s.ledger, partition,
                c.cycle(), c.dryRun(), clock.millis(), Coordinator.localNow()));
        Coordinator.PartitionCycled answer = d.reply().apply(s.ledger);
        if (answer.outcome() == null) {
            return c.replyTo() == null ? effects.noReply() : effects.effect().reply(c.replyTo(), answer);
        }
        var effect = persist(d.events(), answer.outcome(), st -> flush.accept(st.ledger));
        return c.replyTo() == null ? effect.thenNoReply() : effect.thenReply(c.replyTo(), st -> answer);
    }

    /** Plans a cycle, timed when it plans one (a cycle ran already is not). */
    private <R> CoordinatorCore.Decision<R> timed(Supplier<CoordinatorCore.Decision<R>> plan) {
        long t0 = System.nanoTime();
        CoordinatorCore.Decision<R> d = plan.get();
        long planned = System.nanoTime() - t0;
        if (d.events().isEmpty()) return d;
        lastCycleMs = planned / 1e6;
        timings.cyclePlanned(planned);
        return d;
    }

    /**
     * Persists a cycle's events; then {@code applied} (live only), and the cycle logged, what it marked published, and
     * the sweeper told.
     */
    private EffectBuilder<Event, State> persist(List<Event> events, CycleOutcome o, Consumer<State> applied) {
        return effects.effect().persist(events).thenRun(st -> {
            applied.accept(st);
            log(st.ledger, o); // the counts after the cycle it reports
            if (!o.dryRun() && !o.marked().isEmpty()) {
                publish.accept(new Decision.Marked(o.cycle(),
                        o.marked().stream().map(CycleOutcome.MarkedBlob::hash).toList()));
            }
            sweeper.cycled(o);
        });
    }

    private void log(PartitionedLedger l, CycleOutcome o) {
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
}
