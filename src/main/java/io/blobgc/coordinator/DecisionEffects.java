package io.blobgc.coordinator;

import io.blobgc.coordinator.Coordinator.Event;
import io.blobgc.coordinator.Coordinator.State;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

import org.slf4j.Logger;

import java.util.function.Consumer;
import java.util.function.Function;

/**
 * How the {@link Coordinator} carries out a {@link CoordinatorCore.Decision}: its events (if any) persisted, then its
 * answer, computed on the new state, sent. Shared by the parts of the actor that handle commands.
 */
final class DecisionEffects {
    private final EffectFactories<Event, State> effect;

    DecisionEffects(EffectFactories<Event, State> effect) {
        this.effect = effect;
    }

    /** The actor's effect factories (its {@code Effect()}). */
    EffectFactories<Event, State> effect() {
        return effect;
    }

    ReplyEffect<Event, State> noReply() {
        return effect.noReply();
    }

    /** Persists a decision's events (if any), then replies with its answer on the new state. */
    <R> ReplyEffect<Event, State> run(State s, CoordinatorCore.Decision<R> d, ActorRef<R> replyTo) {
        return run(s, d, replyTo, r -> r);
    }

    <R, M> ReplyEffect<Event, State> run(State s, CoordinatorCore.Decision<R> d, ActorRef<M> replyTo,
                                         Function<R, M> message) {
        if (d.events().isEmpty()) return effect.reply(replyTo, message.apply(d.reply().apply(s.ledger)));
        return effect.persist(d.events()).thenReply(replyTo, st -> message.apply(d.reply().apply(st.ledger)));
    }

    /**
     * Carries out a linked entity core's decision (partitions-part2-plan §9.0): with no events, its outcome at once;
     * else its events persisted, then its outcome, computed on the new state, carried out — never before the write (a
     * refused write carries nothing). Answers no command itself: what the outcome answers, {@code carry} sends.
     */
    <T> ReplyEffect<Event, State> runOut(State s, CoordinatorCore.Decision<LinkOut<T>> d, Consumer<LinkOut<T>> carry) {
        if (d.events().isEmpty()) {
            carry.accept(d.reply().apply(s.ledger));
            return effect.noReply();
        }
        return effect.persist(d.events()).thenRun(st -> carry.accept(d.reply().apply(st.ledger))).thenNoReply();
    }

    /** Logs {@code line} at its level. */
    static void log(Logger log, LinksCore.Log line) {
        switch (line.level()) {
            case DEBUG -> log.debug(line.format(), line.args());
            case INFO -> log.info(line.format(), line.args());
            case WARN -> log.warn(line.format(), line.args());
        }
    }

    ReplyEffect<Event, State> runNoReply(CoordinatorCore.Decision<?> d) {
        if (d.events().isEmpty()) return effect.noReply();
        return effect.persist(d.events()).thenNoReply();
    }
}
