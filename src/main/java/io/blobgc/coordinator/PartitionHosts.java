package io.blobgc.coordinator;

import io.blobgc.BlobGcSettings;
import io.blobgc.ledger.Partitioning;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.protocol.ReporterProtocol.ToPartitionInbox;
import io.blobgc.store.BlobStore;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The partition entities on Cluster Sharding (issue 25; partitions-part2-plan §0, decision 1): partition {@code p} of
 * {@code blob-gc.partitions} is the {@link Coordinator} hosting it alone ({@link Hosting#partition}), entity id
 * {@code "p"}, alone in shard {@code "p"} (so each partition moves alone), on the members with the coordinator role.
 * Entities are never passivated — an idle partition still sweeps, walks the store and watches its nodes — and stop on
 * a handoff with {@link Coordinator.PartitionStop}, even before their takeover; a handoff is given up after
 * {@link #HANDOFF_TIMEOUT}. Nothing remembers them: the
 * conductor's keep-alive ({@link Coordinator.KeepAlive}) starts each one, and starts it again on a new member after a
 * move, within a heartbeat interval. Each member that hosts partitions runs a {@link PartitionInbox}, which every
 * entity starting there joins: the reporters' heartbeats reach the partitions through it, one message per member.
 */
public final class PartitionHosts {

    /** The partition entities' type: their journals are {@code blob-gc-partition|p}. */
    public static final EntityTypeKey<ToCoordinator> TYPE_KEY =
            EntityTypeKey.create(ToCoordinator.class, JournalPartitions.ENTITY_TYPE);

    private PartitionHosts() {
    }

    /**
     * Starts sharding the partition entities on this member (a region where it has the coordinator role, a proxy
     * elsewhere) and returns how to reach them. Call it on every member, before the conductor singleton.
     */
    public static PartitionPeers init(ActorSystem<?> system, BlobGcSettings settings, BlobStore store, Clock clock,
                                      ActorRef<Topic.Command<Decision>> decisions, Timings timings) {
        Partitioning partitioning = settings.partitioning();
        boolean hosts = settings.coordinatorRole().isEmpty()
                || Cluster.get(system).selfMember().hasRole(settings.coordinatorRole());
        // resumed after a failure (bad input): a stopped inbox would leave the entities it hosts without heartbeats
        ActorRef<ToPartitionInbox> inbox = hosts ? system.systemActorOf(Behaviors.supervise(
                        PartitionInbox.create(partitioning)).onFailure(SupervisorStrategy.resume()),
                "blob-gc-partition-inbox-" + INBOXES.incrementAndGet(), Props.empty()) : null;
        ClusterSharding clusterSharding = ClusterSharding.get(system);
        PartitionPeers peers = PartitionPeers.sharded(clusterSharding);
        var entity = Entity.of(TYPE_KEY, ctx -> {
                    int p = partition(ctx.getEntityId(), partitioning);
                    Behavior<ToCoordinator> supervised = Behaviors.supervise(Coordinator.create(settings, store, clock,
                                    decisions, timings, Hosting.linked(p, partitioning, peers)))
                            .onFailure(SupervisorStrategy.restartWithBackoff(settings.restartBackoffMin(),
                                    settings.restartBackoffMax(), 0.2));
                    return inbox == null ? supervised : Behaviors.setup(self -> {
                        inbox.tell(new PartitionInbox.Hosted(p, self.getSelf()));
                        return supervised;
                    });
                })
                .withStopMessage(Coordinator.PartitionStop.INSTANCE)
                .withMessageExtractor(new OnePartitionPerShard())
                .withSettings(shardingSettings(system));
        if (!settings.coordinatorRole().isEmpty()) entity = entity.withRole(settings.coordinatorRole());
        clusterSharding.init(entity);
        return peers;
    }

    /** Names this member's partition inbox: a start tried again after a failure makes another. */
    private static final AtomicInteger INBOXES = new AtomicInteger();

    /**
     * How long a handoff may take before sharding gives it up: an entity stops at once on its stop message, so a
     * handoff is quick unless a member dies in the middle of it — then sharding waits this long before the shard is
     * started elsewhere (Pekko's default, 60 s, kept a partition from cycling for a minute in ShardedFailoverTest).
     */
    static final Duration HANDOFF_TIMEOUT = Duration.ofSeconds(10);

    /** The entities' sharding settings: never passivated, a short handoff timeout. */
    static ClusterShardingSettings shardingSettings(ActorSystem<?> system) {
        ClusterShardingSettings defaults = ClusterShardingSettings.create(system);
        return defaults.withNoPassivationStrategy()
                .withTuningParameters(defaults.tuningParameters().withHandOffTimeout(HANDOFF_TIMEOUT));
    }

    /** The partition an entity id names: a number of the partitioning, or the entity refuses to start. */
    static int partition(String entityId, Partitioning partitioning) {
        int p;
        try {
            p = Integer.parseInt(entityId);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("no partition entity '" + entityId + "': ids are 0 to "
                    + (partitioning.count() - 1));
        }
        if (p < 0 || p >= partitioning.count()) {
            throw new IllegalArgumentException("no partition entity " + p + " of " + partitioning.count());
        }
        return p;
    }

    /**
     * The shard of a partition is the partition: each moves alone (the default extractor hashes ids onto a number of
     * shards, and two partitions could share one). Sharding unwraps envelopes itself and asks only for the shard.
     */
    static final class OnePartitionPerShard
            extends ShardingMessageExtractor<ShardingEnvelope<ToCoordinator>, ToCoordinator> {
        @Override
        public String entityId(ShardingEnvelope<ToCoordinator> envelope) {
            return envelope.entityId();
        }

        @Override
        public String shardId(String entityId) {
            return entityId;
        }

        @Override
        public ToCoordinator unwrapMessage(ShardingEnvelope<ToCoordinator> envelope) {
            return envelope.message();
        }
    }
}
