package io.blobgc.node;

import io.blobgc.BlobHash;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Partitioning;
import io.blobgc.protocol.ReporterProtocol.PartitionsHosted;
import io.blobgc.protocol.ReporterProtocol.Report;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.protocol.ReporterProtocol.ToPartitionInbox;
import io.blobgc.protocol.ReporterProtocol.ToReporter;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;

import java.util.Set;
import java.util.function.IntFunction;

/**
 * Where a {@link NodeReporter} sends what it sends to the coordinator: reports, fence asks and registrations.
 * {@link #whole}: everything to the coordinator singleton, which holds every partition. {@link #byPartition}: the
 * partitions are entities of their own (issue 25, {@code partition-hosting = sharded}): each report's share goes
 * straight to its partition, and a fence ask to the hash's owner, so the singleton (the conductor) is in neither path
 * and the ingest grows with the partitions; registrations still go to the conductor, which splits them.
 */
public interface CoordinatorRoute {

    /** Sends {@code report} (its shares, by partition); each destination answers {@code replyTo}. */
    void report(NodeReport report, ActorRef<ToReporter> replyTo);

    /** Where the acquire fence of {@code hash} is asked (S6). */
    RecipientRef<ToCoordinator> fenceOf(BlobHash hash);

    /** Where registrations go. */
    RecipientRef<ToCoordinator> registrations();

    /** The partition inboxes the receptionist lists now ({@link PartitionRoute}). */
    default void inboxesListed(Set<ActorRef<ToPartitionInbox>> inboxes) {
    }

    /** A partition inbox answered a heartbeat ({@link PartitionRoute}). */
    default void hosted(PartitionsHosted answer) {
    }

    /** Everything to one coordinator (the singleton's proxy): P = 1, or the coordinator hosting every partition. */
    static CoordinatorRoute whole(ActorRef<ToCoordinator> coordinator) {
        return new CoordinatorRoute() {
            @Override
            public void report(NodeReport report, ActorRef<ToReporter> replyTo) {
                coordinator.tell(new Report(report, replyTo));
            }

            @Override
            public RecipientRef<ToCoordinator> fenceOf(BlobHash hash) {
                return coordinator;
            }

            @Override
            public RecipientRef<ToCoordinator> registrations() {
                return coordinator;
            }
        };
    }

    /**
     * Partition entities of their own, each reached through {@code partition}: see {@link PartitionRoute}; registrations
     * to {@code conductor}.
     */
    static CoordinatorRoute byPartition(Partitioning partitioning, IntFunction<RecipientRef<ToCoordinator>> partition,
                                        ActorRef<ToCoordinator> conductor) {
        return new PartitionRoute(partitioning, partition, conductor);
    }
}
