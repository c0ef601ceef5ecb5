package io.blobgc.protocol;

import io.blobgc.BlobHash;
import io.blobgc.CborSerializable;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Registration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

import java.util.List;

/**
 * The messages a node's reporter ({@code io.blobgc.node}) and the coordinator ({@code io.blobgc.coordinator}) exchange,
 * defined once here so that neither package imports the other. Everything here crosses the wire between members of
 * one version (Jackson CBOR under its class name) and nothing here is persisted: the journal holds only the
 * coordinator's events and the ledger's snapshots.
 */
public final class ReporterProtocol {

    private ReporterProtocol() {
    }

    // =====================================================================================================
    // Reporter -> coordinator (through the singleton proxy)
    // =====================================================================================================

    /**
     * What the coordinator takes: the messages below and the coordinator's own commands ({@code Coordinator.Command}
     * extends it).
     */
    public interface ToCoordinator extends CborSerializable {
    }

    /** A reporter's report; answered with {@link ReportAck}, {@link ResendFull} or {@link ReportRejected}. */
    public record Report(NodeReport report, ActorRef<ToReporter> replyTo) implements ToCoordinator {
    }

    /** The acquire fence (S6): {@code afterSeq} is the seq of the last report the reporter sent. */
    public record Acquire(String node, long incarnation, long afterSeq, BlobHash hash,
                          ActorRef<AcquireReply> replyTo) implements ToCoordinator {
    }

    /** A registration: from a node's reporter, which forwards its embedder's, or straight from the embedder. */
    public record Register(List<Registration> registrations, ActorRef<Registered> replyTo) implements ToCoordinator {
    }

    // =====================================================================================================
    // Reporter -> partition inboxes (partition-hosting = sharded)
    // =====================================================================================================

    /**
     * What a member's partition inbox takes: one message from a reporter for every partition entity that member hosts
     * (issue 25, step 2: a heartbeat costs a message per member, not one per partition).
     */
    public interface ToPartitionInbox {
    }

    /** The partition inboxes, as the receptionist lists them: one on each member that can host partitions. */
    public static final ServiceKey<ToPartitionInbox> PARTITION_INBOXES =
            ServiceKey.create(ToPartitionInbox.class, "blob-gc-partition-inbox");

    /**
     * A report (a heartbeat: an empty DELTA) for each partition the receiving member hosts, but those in {@code skip}
     * (the reporter sent them their share itself): each is told its share, as if the reporter had sent it, and answers
     * {@code replyTo}; the inbox answers {@link PartitionsHosted}.
     */
    public record Heartbeat(NodeReport report, List<Integer> skip, ActorRef<ToReporter> replyTo)
            implements ToPartitionInbox, CborSerializable {
    }

    // =====================================================================================================
    // Coordinator -> reporter
    // =====================================================================================================

    /**
     * What a node's reporter takes: the coordinator's answers below and the reporter's local messages
     * ({@code NodeReporter.Message} extends it).
     */
    public interface ToReporter {
    }

    /** The reporters, as the receptionist lists them: the coordinator subscribes to it. */
    public static final ServiceKey<ToReporter> REPORTERS = ServiceKey.create(ToReporter.class, "blob-gc-reporter");

    public record ReportAck(long incarnation, long seq) implements ToReporter, CborSerializable {
    }

    /**
     * A partition inbox's answer to a {@link Heartbeat} of {@code (incarnation, seq)}: the partitions its member hosts
     * (delivered, or skipped as the heartbeat asked).
     */
    public record PartitionsHosted(long incarnation, long seq, List<Integer> partitions)
            implements ToReporter, CborSerializable {
    }

    /** Send a FULL report: the coordinator's view of this node cannot take {@code seq}, or it is new. */
    public record ResendFull(long incarnation, long seq, String reason) implements ToReporter, CborSerializable {
    }

    public record ReportRejected(long incarnation, long seq, String reason) implements ToReporter, CborSerializable {
    }

    public record AcquireReply(BlobHash hash, AcquireResult result, List<BlobHash> gone, String message)
            implements CborSerializable {
    }

    public enum AcquireResult {
        /** Recorded: the blob will not be deleted while this node holds it. */
        ACQUIRED,
        /** The blob or one of its callees (listed in {@code gone}) is being deleted or was collected: upload again. */
        GONE,
        /** The node was removed from the cluster. */
        REFUSED,
        /** The coordinator did not answer within {@code reporter.acquire-timeout} (failover under way?): retry. */
        UNAVAILABLE
    }

    /**
     * @param rejected  hashes being deleted right now (upload again once they are collected), whose content is not in
     *                  the store, whose declared callees have no content (upload the callees first), or {@code retry}
     * @param noContent those of {@code rejected} whose own content is not in the store: write it first, then register
     * @param retry     those of {@code rejected} refused for now: a predecessor coordinator may still be deleting them
     *                  (S10); upload again in a while
     * @param goneCallees the blobs below declared callees that made registrations of {@code rejected} fall: being
     *                  deleted, collected or unknown (never uploaded, or a pruned tombstone). Upload them again
     *                  (callees first), then register again. Without them a caller whose callee was collected after
     *                  the caller's own tombstone was pruned is named by nothing: its acquire names the caller alone
     *                  (review 31). Across partitions, what the registration's partition knows (a gone callee of
     *                  another partition is named by the walk's first gone hop; the next refusal names what is below)
     */
    public record Registered(List<BlobHash> accepted, List<BlobHash> rejected, List<BlobHash> noContent,
                             List<BlobHash> retry, List<BlobHash> goneCallees) implements CborSerializable {
        public Registered {
            retry = retry == null ? List.of() : retry;
            goneCallees = goneCallees == null ? List.of() : goneCallees;
        }

        public Registered(List<BlobHash> accepted, List<BlobHash> rejected, List<BlobHash> noContent) {
            this(accepted, rejected, noContent, List.of(), List.of());
        }

        public Registered(List<BlobHash> accepted, List<BlobHash> rejected, List<BlobHash> noContent,
                          List<BlobHash> retry) {
            this(accepted, rejected, noContent, retry, List.of());
        }
    }
}
