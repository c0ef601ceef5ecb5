package io.blobgc.coordinator;

import io.blobgc.CborSerializable;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Partitioning;
import io.blobgc.protocol.ReporterProtocol;
import io.blobgc.protocol.ReporterProtocol.Heartbeat;
import io.blobgc.protocol.ReporterProtocol.PartitionsHosted;
import io.blobgc.protocol.ReporterProtocol.Report;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.protocol.ReporterProtocol.ToPartitionInbox;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A member's partition inbox (issue 25, step 2): the partition entities running on this member tell it so
 * ({@link Hosted}) when they start, and it delivers a reporter's {@link Heartbeat} to each of them, its share, as if the
 * reporter had sent it — one message per member and heartbeat instead of one per partition. It answers the reporter
 * which partitions it hosts ({@link PartitionsHosted}), so the reporter sends the partitions no inbox hosts their share
 * itself. A partition that moves is hosted by the inbox of the member it starts on; a heartbeat lost in between is a
 * gap its next report shows, and the partition asks that node for a FULL report (S8).
 */
final class PartitionInbox {

    private PartitionInbox() {
    }

    /** Partition {@code partition}'s entity runs on this member (a local message). */
    record Hosted(int partition, ActorRef<ToCoordinator> entity) implements ToPartitionInbox, CborSerializable {
    }

    private record Stopped(int partition, ActorRef<ToCoordinator> entity) implements ToPartitionInbox {
    }

    static Behavior<ToPartitionInbox> create(Partitioning partitioning) {
        return Behaviors.setup(ctx -> {
            ctx.getSystem().receptionist().tell(Receptionist.register(ReporterProtocol.PARTITION_INBOXES,
                    ctx.getSelf()));
            Map<Integer, ActorRef<ToCoordinator>> hosted = new TreeMap<>();
            return Behaviors.receive(ToPartitionInbox.class)
                    .onMessage(Hosted.class, h -> {
                        hosted.put(h.partition(), h.entity());
                        ctx.watchWith(h.entity(), new Stopped(h.partition(), h.entity()));
                        return Behaviors.same();
                    })
                    .onMessage(Stopped.class, s -> {
                        hosted.remove(s.partition(), s.entity());
                        return Behaviors.same();
                    })
                    .onMessage(Heartbeat.class, h -> {
                        deliver(h, hosted, partitioning);
                        return Behaviors.same();
                    })
                    .build();
        });
    }

    private static void deliver(Heartbeat h, Map<Integer, ActorRef<ToCoordinator>> hosted, Partitioning partitioning) {
        NodeReport r = h.report();
        // nothing to deliver (or no share to split off), nobody to answer
        if (r == null || h.replyTo() == null || !CoordinatorCore.noNullHash(r)) return;
        Set<Integer> skip = h.skip() == null ? Set.of() : new HashSet<>(h.skip());
        List<NodeReport> shares = r.shares(partitioning);
        for (Map.Entry<Integer, ActorRef<ToCoordinator>> e : hosted.entrySet()) {
            if (!skip.contains(e.getKey())) e.getValue().tell(new Report(shares.get(e.getKey()), h.replyTo()));
        }
        h.replyTo().tell(new PartitionsHosted(r.incarnation(), r.seq(), new ArrayList<>(hosted.keySet())));
    }
}
