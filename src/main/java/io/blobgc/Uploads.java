package io.blobgc;

import io.blobgc.coordinator.Coordinator;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.Registered;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * {@link BlobGc#upload}: the content checked against its address, written to the store, and only then registered
 * (through {@link BlobGc#register}) — content first, so that a registered (ACTIVE) blob always has its content in the
 * store.
 */
final class Uploads {

    private final ActorSystem<?> system;
    private final BlobGc gc;

    Uploads(ActorSystem<?> system, BlobGc gc) {
        this.system = system;
        this.gc = gc;
    }

    /** {@link BlobGc#upload(BlobHash, byte[], List)}: a content that does not hash to {@code hash} throws here. */
    CompletionStage<Registered> upload(BlobHash hash, byte[] content, List<BlobHash> dependencies) {
        BlobHash actual = BlobHash.sha256(content);
        if (!actual.equals(hash)) {
            throw new IllegalArgumentException("content does not match its address: the SHA-256 of the "
                    + content.length + " bytes is " + actual + ", not " + hash);
        }
        return writeThenRegister(hash, dependencies, () -> gc.store().put(hash, content));
    }

    /** {@link BlobGc#upload(BlobHash, Path, List)}: the file is hashed (on the blocking dispatcher), then copied. */
    CompletionStage<Registered> upload(BlobHash hash, Path content, List<BlobHash> dependencies) {
        return writeThenRegister(hash, dependencies, () -> {
            long size = java.nio.file.Files.size(content);
            BlobHash actual = sha256(content);
            if (!actual.equals(hash)) {
                throw new IllegalArgumentException("content does not match its address: the SHA-256 of the "
                        + size + " bytes is " + actual + ", not " + hash);
            }
            gc.store().putFile(hash, content);
        });
    }

    private interface StoreWrite {
        void run() throws IOException;
    }

    /**
     * A blob being deleted right now is refused before anything is written (the sweeper would race the write); the
     * check is advisory — the coordinator's check at registration is what keeps the registry and the store agreeing.
     */
    private CompletionStage<Registered> writeThenRegister(BlobHash hash, List<BlobHash> dependencies,
                                                          StoreWrite write) {
        Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
        CompletionStage<Coordinator.BlobReply> known = AskPattern.<ToCoordinator, Coordinator.BlobReply>ask(
                gc.coordinator(), r -> new Coordinator.GetBlob(hash, r), gc.settings().askTimeout(),
                system.scheduler());
        return known.thenCompose(b -> {
            if (b.info() != null && b.info().status() == BlobStatus.DELETING) {
                return CompletableFuture.completedFuture(new Registered(List.of(), List.of(hash), List.of()));
            }
            return CompletableFuture.runAsync(() -> {
                try {
                    write.run();
                } catch (IOException e) {
                    throw new CompletionException(e);
                }
            }, blocking).thenCompose(v -> gc.register(List.of(new Registration(hash, dependencies))));
        });
    }

    private static BlobHash sha256(Path file) throws IOException {
        java.security.MessageDigest md = BlobHash.sha256Digest();
        byte[] buf = new byte[64 * 1024];
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return BlobHash.of(md.digest());
    }
}
