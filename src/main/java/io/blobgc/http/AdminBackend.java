package io.blobgc.http;

import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator;
import io.blobgc.ledger.Registration;
import io.blobgc.node.NodeReporter;
import io.blobgc.protocol.ReporterProtocol.Registered;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.store.BlobStore;
import org.apache.pekko.actor.typed.ActorRef;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * What the admin API ({@link AdminServer}, {@link AdminRoutes}) and blob-gc's Management health checks
 * ({@link Management.Ready}, {@link Management.Alive}) need from this node's blob-gc: its settings and store, whether it
 * has started, the coordinator's proxy and this node's reporter, and the few calls the routes make through the
 * library. The library adapts its façade to it where it starts the server (and registers it with
 * {@link AdminBackends} for the health checks), so that this package names nothing of the façade.
 */
public interface AdminBackend {

    /** The settings this node's blob-gc runs with (the admin API's host, port, token and limits among them). */
    BlobGcSettings settings();

    /** The blob store uploads are written to (the upload gate checks its free space). */
    BlobStore store();

    /** Whether this node's blob-gc has started; the admin API answers 503 "starting" until it has. */
    boolean started();

    /** The coordinator singleton's proxy. */
    ActorRef<ToCoordinator> coordinator();

    /** This node's reporter, or null on a member that does not report. */
    ActorRef<NodeReporter.Message> reporter();

    /** False once this node's reporter has stopped (an Error escaped it), and when it runs none. */
    boolean reporterRunning();

    /** The coordinator's summary (asked with {@code coordinator.ask-timeout}). */
    CompletionStage<Coordinator.Summary> summary();

    /** Registers blobs whose content is in the store already; throws when the registration carries too many items. */
    CompletionStage<Registered> register(List<Registration> registrations);

    /** Uploads a blob from a file: hashed and checked against {@code hash}, copied into the store, then registered. */
    CompletionStage<Registered> upload(BlobHash hash, Path content, List<BlobHash> dependencies);

    /** An operator pin; {@code ttl} null for none. A refusal is in the result. */
    CompletionStage<Coordinator.OpResult> pin(BlobHash hash, String owner, String reason, Duration ttl);

    /** Removes an operator pin; a refusal is in the result. */
    CompletionStage<Coordinator.OpResult> unpin(BlobHash hash, String owner);

    /** blob-gc's meters in the Prometheus text exposition ({@code GET /metrics}). */
    CompletionStage<String> metricsText();
}
