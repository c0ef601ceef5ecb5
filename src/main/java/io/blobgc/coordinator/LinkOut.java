package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.coordinator.LinksCore.Log;
import io.blobgc.coordinator.LinksCore.Send;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a linked partition entity's core decided to do once its decision's events are written (partitions-part2-plan
 * §9.0): the reply function of a {@link CoordinatorCore.Decision} gives it, and the glue ({@link DecisionEffects#runOut})
 * or the simulation carries it out — so nothing in it goes out before the write. Its parts are those of
 * {@link LinksCore} (the log keeps its levels), the answers to callers, the messages an entity sends itself (through its
 * mailbox, so other commands may come between: a pin's or a registration's second half) and the gone closures to name
 * before an acquire is answered GONE ({@link GoneNamesCore}).
 *
 * @param send   the messages to the other partitions' entities, in order
 * @param logs   the lines to log, in order
 * @param answers the answers to callers, in order
 * @param toSelf the messages the entity sends itself (through its mailbox), in order
 * @param names  the acquires to answer GONE once the gone closure below them is named across partitions
 * @param <T>    the reply token of the caller a core answers (an {@code ActorRef} in the glue, a token in the simulation)
 */
public record LinkOut<T>(List<Send> send, List<Log> logs, List<Answer<T>> answers, List<FenceCore.SelfMessage<T>> toSelf,
                         List<NameGone<T>> names) {

    public LinkOut {
        send = List.copyOf(send);
        logs = List.copyOf(logs);
        answers = List.copyOf(answers);
        toSelf = List.copyOf(toSelf);
        names = List.copyOf(names);
    }

    /** {@code reply} to the caller {@code to}. */
    public record Answer<T>(T to, Object reply) {
    }

    /**
     * A gone closure to name across partitions ({@link GoneNamesCore}): {@code known} gone already, and {@code below},
     * by owner, the blobs whose gone closures are still to look up. Then either the acquire of {@code hash} is
     * answered GONE to {@code replyTo}, or, when {@code registration} is not null, the entity is sent that registration's
     * end with the names ({@link FenceCore.RegistrationFenced#naming}) — by {@code deadline} (monotonic) at the latest:
     * a registration's walks' own, so that naming never keeps its answer past the time its caller waits for it.
     */
    public record NameGone<T>(BlobHash hash, List<BlobHash> known, Map<Integer, List<BlobHash>> below, T replyTo,
                              FenceCore.RegistrationFenced<T> registration, long deadline) {

        /** For the acquire of {@code hash}, answered to {@code replyTo}. */
        public static <T> NameGone<T> acquire(BlobHash hash, List<BlobHash> known, Map<Integer, List<BlobHash>> below,
                                              T replyTo) {
            return new NameGone<>(hash, known, below, replyTo, null, Long.MAX_VALUE);
        }

        /** For a registration whose walks found {@code known} gone, and which ends by {@code deadline}. */
        public static <T> NameGone<T> registration(FenceCore.RegistrationFenced<T> fenced, List<BlobHash> known,
                                                   Map<Integer, List<BlobHash>> below, long deadline) {
            return new NameGone<>(null, known, below, null, fenced, deadline);
        }
    }

    /** Nothing to do. */
    public static <T> LinkOut<T> none() {
        return new Builder<T>().build();
    }

    /** {@code message} to partition {@code to}, alone. */
    public static <T> LinkOut<T> send(int to, io.blobgc.protocol.ReporterProtocol.ToCoordinator message) {
        return new Builder<T>().send(to, message).build();
    }

    /** A log line, alone. */
    public static <T> LinkOut<T> logged(Log log) {
        return new Builder<T>().log(log).build();
    }

    /** An answer, alone. */
    public static <T> LinkOut<T> answer(T to, Object reply) {
        return new Builder<T>().answer(to, reply).build();
    }

    /** Gathers a {@link LinkOut} part by part, in order. */
    public static final class Builder<T> {
        private final List<Send> send = new ArrayList<>();
        private final List<Log> logs = new ArrayList<>();
        private final List<Answer<T>> answers = new ArrayList<>();
        private final List<FenceCore.SelfMessage<T>> toSelf = new ArrayList<>();
        private final List<NameGone<T>> names = new ArrayList<>();

        public Builder<T> send(int to, io.blobgc.protocol.ReporterProtocol.ToCoordinator message) {
            send.add(new Send(to, message));
            return this;
        }

        public Builder<T> log(Log line) {
            logs.add(line);
            return this;
        }

        public Builder<T> answer(T to, Object reply) {
            answers.add(new Answer<>(to, reply));
            return this;
        }

        public Builder<T> toSelf(FenceCore.SelfMessage<T> message) {
            toSelf.add(message);
            return this;
        }

        public Builder<T> name(NameGone<T> gone) {
            names.add(gone);
            return this;
        }

        public LinkOut<T> build() {
            return new LinkOut<>(send, logs, answers, toSelf, names);
        }
    }
}
