package io.blobgc;

import io.blobgc.coordinator.Coordinator;
import io.blobgc.http.AdminBackend;
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

/** {@link BlobGc} as the admin API sees it: every method hands over to the façade's, unchanged. */
final class BlobGcBackend implements AdminBackend {

    private final BlobGc gc;

    BlobGcBackend(BlobGc gc) {
        this.gc = gc;
    }

    @Override
    public BlobGcSettings settings() {
        return gc.settings();
    }

    @Override
    public BlobStore store() {
        return gc.store();
    }

    @Override
    public boolean started() {
        return gc.started();
    }

    @Override
    public ActorRef<ToCoordinator> coordinator() {
        return gc.coordinator();
    }

    @Override
    public ActorRef<NodeReporter.Message> reporter() {
        return gc.reporter();
    }

    @Override
    public boolean reporterRunning() {
        return gc.reporterRunning();
    }

    @Override
    public CompletionStage<Coordinator.Summary> summary() {
        return gc.summary();
    }

    @Override
    public CompletionStage<Registered> register(List<Registration> registrations) {
        return gc.register(registrations);
    }

    @Override
    public CompletionStage<Registered> upload(BlobHash hash, Path content, List<BlobHash> dependencies) {
        return gc.upload(hash, content, dependencies);
    }

    @Override
    public CompletionStage<Coordinator.OpResult> pin(BlobHash hash, String owner, String reason, Duration ttl) {
        return gc.pin(hash, owner, reason, ttl);
    }

    @Override
    public CompletionStage<Coordinator.OpResult> unpin(BlobHash hash, String owner) {
        return gc.unpin(hash, owner);
    }

    @Override
    public CompletionStage<String> metricsText() {
        return gc.metrics().scrape();
    }
}
