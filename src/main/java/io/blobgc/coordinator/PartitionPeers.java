package io.blobgc.coordinator;

import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * How the conductor reaches the partition entities (partitions-part2-plan §2): by partition number, wherever Cluster
 * Sharding runs each one ({@link #sharded}), or actors a test spawned ({@link #local}). A message may be lost (an
 * entity moving or stopping) and an ask may time out: the conductor's cycles and queries count such a partition as
 * not answering, and the next ones ask again.
 */
public interface PartitionPeers {

    /** Partition {@code p}'s entity: a message to it starts the entity where it is not running. */
    RecipientRef<ToCoordinator> ref(int p);

    /** Tells partition {@code p}'s entity {@code message} (starting the entity where it is not running). */
    default void tell(int p, ToCoordinator message) {
        ref(p).tell(message);
    }

    /** Asks partition {@code p}'s entity: the answer, or a failed stage after {@code timeout}. */
    <R> CompletionStage<R> ask(int p, Function<ActorRef<R>, ToCoordinator> message, Duration timeout);

    /** The entities Cluster Sharding hosts ({@link PartitionHosts}): partition {@code p} is entity {@code "p"}. */
    static PartitionPeers sharded(ClusterSharding sharding) {
        return new PartitionPeers() {
            @Override
            public RecipientRef<ToCoordinator> ref(int p) {
                return sharding.entityRefFor(PartitionHosts.TYPE_KEY, String.valueOf(p));
            }

            @Override
            public <R> CompletionStage<R> ask(int p, Function<ActorRef<R>, ToCoordinator> message, Duration timeout) {
                return sharding.entityRefFor(PartitionHosts.TYPE_KEY, String.valueOf(p)).ask(message::apply, timeout);
            }
        };
    }

    /** Actors of one system, by partition: for tests that spawn the entities themselves. */
    static PartitionPeers local(Map<Integer, ActorRef<ToCoordinator>> entities, Scheduler scheduler) {
        return new PartitionPeers() {
            @Override
            public RecipientRef<ToCoordinator> ref(int p) {
                return entities.get(p);
            }

            @Override
            public <R> CompletionStage<R> ask(int p, Function<ActorRef<R>, ToCoordinator> message, Duration timeout) {
                return AskPattern.ask(entities.get(p), message::apply, timeout, scheduler);
            }
        };
    }
}
