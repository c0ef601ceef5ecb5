package io.blobgc.protocol;

import io.blobgc.BlobHash;
import io.blobgc.CborSerializable;

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
     */
    public record Registered(List<BlobHash> accepted, List<BlobHash> rejected, List<BlobHash> noContent,
                             List<BlobHash> retry) implements CborSerializable {
        public Registered {
            retry = retry == null ? List.of() : retry;
        }

        public Registered(List<BlobHash> accepted, List<BlobHash> rejected, List<BlobHash> noContent) {
            this(accepted, rejected, noContent, List.of());
        }
    }
}
