package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator.Event;
import io.blobgc.coordinator.Coordinator.FenceTick;
import io.blobgc.coordinator.Coordinator.Protect;
import io.blobgc.coordinator.Coordinator.Protected;
import io.blobgc.coordinator.Coordinator.State;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.Refusal;
import io.blobgc.ledger.Registration;
import io.blobgc.ledger.ReportOutcome;
import io.blobgc.protocol.ReporterProtocol.Acquire;
import io.blobgc.protocol.ReporterProtocol.Registered;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A linked partition entity's fences across partitions (partitions.md §2; partitions-part2-plan S1.6): the actor's glue
 * around {@link FenceCore}, which decides — the acquire, pin and report walks it drives over messages, and its answers
 * to the other partitions' walks — while this carries its decisions out: persists their events, then sends, answers,
 * logs, and tells the entity the second half of a pin or a registration ({@link #carry}), and starts the resends
 * ({@link FenceTick}); and the same for what an acquire answered GONE names across partitions ({@link GoneNamesCore}).
 * Registrations go through {@link LinkedRegistrations}, on the same core.
 */
final class PartitionFences {
    private final ActorContext<ToCoordinator> ctx;
    private final Hosting hosting;
    private final DecisionEffects effects;
    private final Clock clock;
    private final FenceCore<ActorRef<?>> core;
    /** What an acquire answered GONE names across partitions. */
    private final GoneNamesCore<ActorRef<?>> goneNames;

    PartitionFences(ActorContext<ToCoordinator> ctx, Hosting hosting, DecisionEffects effects, Clock clock,
                    Duration acquireTimeout) {
        this.ctx = ctx;
        this.hosting = hosting;
        this.effects = effects;
        this.clock = clock;
        // walk ids at random per instance: an earlier instance's walks are answered to nobody
        this.core = new FenceCore<>(hosting.link(), acquireTimeout.toMillis(), ThreadLocalRandom.current().nextLong());
        this.goneNames = new GoneNamesCore<>(hosting.link(), acquireTimeout.toMillis(),
                ThreadLocalRandom.current().nextLong());
    }

    /** The core, for the registrations that walk with it. */
    FenceCore<ActorRef<?>> core() {
        return core;
    }

    /** A recovery: the walks of the instance before are forgotten, and the resends run (a linked entity's only). */
    void recovered(TimerScheduler<ToCoordinator> timers) {
        core.recovered();
        goneNames.recovered();
        if (core.linked()) timers.startTimerWithFixedDelay(FenceTick.INSTANCE, Duration.ofMillis(core.resendEveryMs()));
    }

    /** An acquire ({@link FenceCore#acquire}). */
    ReplyEffect<Event, State> acquire(State s, Acquire c, CoordinatorCore coordinatorCore) {
        return run(s, core.acquire(s.ledger, coordinatorCore, c.node(), c.incarnation(), c.afterSeq(), c.hash(),
                c.replyTo(), clock.millis(), Coordinator.localNow()));
    }

    /** An operator's pin ({@link FenceCore#pin}). */
    ReplyEffect<Event, State> pin(State s, Coordinator.PinBlob c, CoordinatorCore coordinatorCore) {
        return run(s, core.pin(s.ledger, coordinatorCore, new FenceCore.PinRequest<>(c.hash(), c.owner(), c.reason(),
                c.ttlMs(), c.replyTo()), clock.millis(), Coordinator.localNow()));
    }

    /** A pin's walk ended ({@link FenceCore#pinFenced}). */
    ReplyEffect<Event, State> onPinFenced(State s, PinWalked m) {
        var pin = new FenceCore.PinRequest<ActorRef<?>>(m.hash(), m.owner(), m.reason(), m.ttlMs(), m.replyTo());
        return run(s, core.pinFenced(s.ledger, new FenceCore.PinFenced<>(pin, m.reserved(), m.refusal()), clock.millis(),
                Coordinator.localNow()));
    }

    /** {@link FenceCore.PinFenced} as a command: typed, so it survives its serializer (review 32). */
    record PinWalked(BlobHash hash, String owner, String reason, Long ttlMs, ActorRef<Coordinator.OpResult> replyTo,
                     PartitionedLedger.Reservation reserved, Refusal refusal) implements Coordinator.Command {
    }

    /** {@link FenceCore.RegistrationFenced} as a command: typed, so it survives its serializer (review 32). */
    record RegistrationWalked(ActorRef<Registered> replyTo, List<Registration> registrations, Registered first,
                              List<PartitionedLedger.Reservation> reservations, Set<BlobHash> fallen,
                              Set<BlobHash> retry, Set<BlobHash> goneCallees) implements Coordinator.Command {

        FenceCore.RegistrationFenced<ActorRef<?>> fenced() {
            return new FenceCore.RegistrationFenced<>(replyTo, registrations, first, reservations, fallen, retry,
                    goneCallees);
        }
    }

    /** The command that carries {@code m} through the mailbox. */
    @SuppressWarnings("unchecked")
    private static Coordinator.Command command(FenceCore.SelfMessage<ActorRef<?>> m) {
        if (m instanceof FenceCore.PinFenced<ActorRef<?>> p) {
            var c = p.pin();
            return new PinWalked(c.hash(), c.owner(), c.reason(), c.ttlMs(),
                    (ActorRef<Coordinator.OpResult>) c.replyTo(), p.reserved(), p.refusal());
        }
        var r = (FenceCore.RegistrationFenced<ActorRef<?>>) m;
        return new RegistrationWalked((ActorRef<Registered>) r.replyTo(), r.registrations(), r.first(),
                r.reservations(), r.fallen(), r.retry(), r.goneCallees());
    }

    /** A node's report applied to this entity's share, with {@code outcome} ({@link FenceCore#reportApplied}). */
    void reportApplied(PartitionedLedger l, NodeReport r, ReportOutcome outcome) {
        carry(core.reportApplied(l, r, outcome, Coordinator.localNow()));
    }

    /** Another partition's walk asks ({@link FenceCore#protect}). */
    ReplyEffect<Event, State> onProtect(State s, Protect m) {
        return run(s, core.protect(s.ledger, m, clock.millis(), Coordinator.localNow()));
    }

    /** An answer to one of this entity's walks ({@link FenceCore#answered}). */
    ReplyEffect<Event, State> onProtected(State s, Protected m) {
        carry(core.answered(s.ledger, m));
        return effects.noReply();
    }

    /**
     * The walks' outstanding asks sent again; those past their deadline given up ({@link FenceCore#tick},
     * {@link GoneNamesCore#tick}).
     */
    ReplyEffect<Event, State> onTick(State s) {
        long now = Coordinator.localNow();
        carry(core.tick(s.ledger, now));
        carry(goneNames.tick(now));
        return effects.noReply();
    }

    /** Another partition's walk of a gone closure asks ({@link GoneNamesCore#onFindGone}). */
    ReplyEffect<Event, State> onFindGone(State s, Coordinator.FindGone m) {
        carry(goneNames.onFindGone(s.ledger, m));
        return effects.noReply();
    }

    /** An answer to one of this entity's walks of a gone closure ({@link GoneNamesCore#onGoneFound}). */
    ReplyEffect<Event, State> onGoneFound(State s, Coordinator.GoneFound m) {
        carry(goneNames.onGoneFound(m));
        return effects.noReply();
    }

    /** Carries out a core's decision: its events persisted, then what it decided ({@link #carry}). */
    ReplyEffect<Event, State> run(State s, CoordinatorCore.Decision<LinkOut<ActorRef<?>>> d) {
        return effects.runOut(s, d, this::carry);
    }

    /**
     * Does what a core decided, in order: logs; sends to the other partitions; answers; names gone closures before an
     * acquire's GONE; tells the entity the second half of a pin or a registration (through its mailbox).
     */
    private void carry(LinkOut<ActorRef<?>> out) {
        for (LinksCore.Log line : out.logs()) DecisionEffects.log(ctx.getLog(), line);
        for (LinksCore.Send m : out.send()) hosting.peers().tell(m.to(), m.message());
        for (LinkOut.Answer<ActorRef<?>> a : out.answers()) tell(a.to(), a.reply());
        for (LinkOut.NameGone<ActorRef<?>> n : out.names()) carry(goneNames.name(n, Coordinator.localNow()));
        for (FenceCore.SelfMessage<ActorRef<?>> m : out.toSelf()) ctx.getSelf().tell(command(m));
    }

    @SuppressWarnings("unchecked")
    private static void tell(ActorRef<?> to, Object reply) {
        ((ActorRef<Object>) to).tell(reply);
    }
}
