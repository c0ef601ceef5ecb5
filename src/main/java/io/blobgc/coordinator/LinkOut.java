package io.blobgc.coordinator;

import io.blobgc.coordinator.LinksCore.Log;
import io.blobgc.coordinator.LinksCore.Send;

import java.util.List;

/**
 * What a linked partition entity's core decided to do once its decision's events are written (partitions-part2-plan
 * §9.0): the reply function of a {@link CoordinatorCore.Decision} gives it, and the glue ({@link DecisionEffects#runOut})
 * or the simulation carries it out — so nothing in it goes out before the write. Its parts are those of
 * {@link LinksCore} (the log keeps its levels); the answers to a caller, of type {@code T} (an {@code ActorRef} in the
 * glue, a token in the simulation), come with the fences' acquires and pins.
 *
 * @param send the messages to the other partitions' entities, in order
 * @param logs the lines to log, in order
 * @param <T>  the reply token of the caller a core answers
 */
public record LinkOut<T>(List<Send> send, List<Log> logs) {

    public LinkOut {
        send = List.copyOf(send);
        logs = List.copyOf(logs);
    }

    /** {@code message} to partition {@code to}, alone. */
    public static <T> LinkOut<T> send(int to, io.blobgc.protocol.ReporterProtocol.ToCoordinator message) {
        return new LinkOut<>(List.of(new Send(to, message)), List.of());
    }

    /** A log line, alone. */
    public static <T> LinkOut<T> logged(Log log) {
        return new LinkOut<>(List.of(), List.of(log));
    }
}
