package io.blobgc.coordinator;

import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import org.apache.pekko.actor.typed.ActorRef;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.IntFunction;

/**
 * One ask of several partition entities, gathered (partitions-part2-plan §2): every answer that came within the
 * timeout, and the partitions that did not answer — moving, recovering, their member gone. The stage never fails: a
 * partition that failed to answer is named in {@link Gathered#missing}.
 */
final class FanIn {
    private FanIn() {
    }

    /** What the partitions answered, by partition, and those that did not (both in partition order). */
    record Gathered<R>(Map<Integer, R> answers, Set<Integer> missing) {
    }

    /** Asks each of {@code partitions} {@code p} its {@code message(p, replyTo)}, each within {@code timeout}. */
    static <R> CompletionStage<Gathered<R>> gather(PartitionPeers peers, Collection<Integer> partitions,
                                                  BiFunction<Integer, ActorRef<R>, ToCoordinator> message,
                                                  Duration timeout) {
        return gatherEach(partitions, p -> peers.<R>ask(p, ref -> message.apply(p, ref), timeout));
    }

    /**
     * The answers of {@code ask(p)} for each of {@code partitions}, however each is got (several asks, in turn): one
     * that fails, or that cannot even be started, names its partition in {@link Gathered#missing}.
     */
    static <R> CompletionStage<Gathered<R>> gatherEach(Collection<Integer> partitions,
                                                      IntFunction<CompletionStage<R>> ask) {
        Map<Integer, CompletableFuture<R>> asks = new TreeMap<>();
        for (int p : partitions) {
            CompletableFuture<R> answer = new CompletableFuture<>();
            try {
                ask.apply(p).whenComplete((r, failure) -> answer.complete(failure == null ? r : null));
            } catch (RuntimeException refused) { // a peer that cannot even be asked (no such partition, stopping)
                answer.complete(null);
            }
            asks.put(p, answer);
        }
        return CompletableFuture.allOf(asks.values().toArray(CompletableFuture[]::new)).thenApply(all -> {
            Map<Integer, R> answers = new TreeMap<>();
            Set<Integer> missing = new TreeSet<>();
            asks.forEach((p, a) -> {
                R r = a.join();
                if (r == null) missing.add(p);
                else answers.put(p, r);
            });
            return new Gathered<>(answers, missing);
        });
    }
}
