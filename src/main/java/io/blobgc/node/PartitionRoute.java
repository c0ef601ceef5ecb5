package io.blobgc.node;

import io.blobgc.BlobHash;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Partitioning;
import io.blobgc.protocol.ReporterProtocol.Heartbeat;
import io.blobgc.protocol.ReporterProtocol.PartitionsHosted;
import io.blobgc.protocol.ReporterProtocol.Report;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.protocol.ReporterProtocol.ToPartitionInbox;
import io.blobgc.protocol.ReporterProtocol.ToReporter;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * A reporter's route to partition entities of their own (issue 25, {@code partition-hosting = sharded}): the singleton
 * (the conductor) is in neither the report nor the acquire path, and a heartbeat costs two messages per member (to
 * its inbox and back), not one per partition, when that is fewer.
 * <ul>
 *   <li>A report is split into one share per partition ({@link NodeReport#shares}: same incarnation, seq, chunk and
 *       chunks, empty shares too), so every partition sees every seq of this node's and orders them alone (S8); a
 *       share goes straight to its partition's entity, with the reporter as {@code replyTo}.</li>
 *   <li>A heartbeat (an empty DELTA) goes to every partition inbox the receptionist lists (when there are more than
 *       twice as many partitions as inboxes: else straight costs fewer messages), once: each member's inbox
 *       tells the partitions it hosts their share and answers which it hosts ({@link #hosted}). The partitions no inbox
 *       claimed at the last heartbeat get theirs straight, and the inboxes skip them: a partition moving or starting
 *       gets its heartbeats either way, a lost one being a gap its next report shows (the partition asks for a
 *       FULL).</li>
 *   <li>A fence ask goes to the hash's partition, registrations to the conductor (which splits them).</li>
 * </ul>
 * Used by one reporter only, from its actor's thread.
 */
final class PartitionRoute implements CoordinatorRoute {

    private final Partitioning partitioning;
    private final IntFunction<RecipientRef<ToCoordinator>> partition;
    private final ActorRef<ToCoordinator> conductor;
    private Set<ActorRef<ToPartitionInbox>> inboxes = Set.of();
    /** The last heartbeat sent through the inboxes, and the partitions they answered they host since. */
    private long roundIncarnation = Long.MIN_VALUE;
    private long roundSeq = Long.MIN_VALUE;
    private Set<Integer> claimed = new HashSet<>();

    PartitionRoute(Partitioning partitioning, IntFunction<RecipientRef<ToCoordinator>> partition,
                   ActorRef<ToCoordinator> conductor) {
        this.partitioning = partitioning;
        this.partition = partition;
        this.conductor = conductor;
    }

    @Override
    public void report(NodeReport report, ActorRef<ToReporter> replyTo) {
        List<NodeReport> shares = report.shares(partitioning);
        boolean heartbeat = report.kind() == NodeReport.Kind.DELTA && report.size() == 0;
        if (!heartbeat || !inboxesPayOff()) {
            for (int p = 0; p < shares.size(); p++) partition.apply(p).tell(new Report(shares.get(p), replyTo));
            return;
        }
        List<Integer> direct = new ArrayList<>();
        for (int p = 0; p < shares.size(); p++) {
            if (!claimed.contains(p)) {
                direct.add(p);
                partition.apply(p).tell(new Report(shares.get(p), replyTo));
            }
        }
        Heartbeat h = new Heartbeat(report, List.copyOf(direct), replyTo);
        for (ActorRef<ToPartitionInbox> inbox : inboxes) inbox.tell(h);
        roundIncarnation = report.incarnation();
        roundSeq = report.seq();
        claimed = new HashSet<>();
    }

    @Override
    public void hosted(PartitionsHosted answer) {
        if (answer.incarnation() != roundIncarnation || answer.seq() != roundSeq || answer.partitions() == null) return;
        for (Integer p : answer.partitions()) {
            if (p != null && p >= 0 && p < partitioning.count()) claimed.add(p);
        }
    }

    /**
     * The inboxes the receptionist lists now. When they change, the claims go, and so do the answers still to come
     * about the last heartbeat: an inbox no longer sent to claims nothing, so its partitions get the next heartbeat
     * straight (and a listing that emptied and filled again starts afresh).
     */
    @Override
    public void inboxesListed(Set<ActorRef<ToPartitionInbox>> listed) {
        if (listed.equals(inboxes)) return;
        inboxes = Set.copyOf(listed);
        claimed = new HashSet<>();
        roundIncarnation = Long.MIN_VALUE;
        roundSeq = Long.MIN_VALUE;
    }

    /**
     * Whether a heartbeat costs fewer messages through the inboxes — one to each and its answer — than straight to
     * every partition: with more than twice as many partitions as inboxes.
     */
    private boolean inboxesPayOff() {
        return !inboxes.isEmpty() && partitioning.count() > 2 * inboxes.size();
    }

    @Override
    public RecipientRef<ToCoordinator> fenceOf(BlobHash hash) {
        return partition.apply(partitioning.partitionOf(hash));
    }

    @Override
    public RecipientRef<ToCoordinator> registrations() {
        return conductor;
    }
}
