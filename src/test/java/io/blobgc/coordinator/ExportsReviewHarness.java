package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.Partitioning;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The fixture of the review of S1.4 (rev14): two {@link LinkedPartitions}, the set-up of {@link PartitionExportsTest}.
 * Partition A (0) owns x, B (1) owns c and d; x calls c.
 */
final class ExportsReviewHarness extends LinkedPartitions {

    static final Partitioning TWO = Partitioning.of(2);

    final BlobHash x, c, d;

    ExportsReviewHarness(String name, Path storeRoot) throws IOException {
        this(name, storeRoot, "");
    }

    /** With {@code blobGc} settings after {@code partitions = 2}. */
    ExportsReviewHarness(String name, Path storeRoot, String blobGc) throws IOException {
        super(name, "partitions = 2\n" + blobGc, storeRoot);
        x = stored(0, "x");
        c = stored(1, "c");
        d = stored(1, "d");
        seed(0, new Coordinator.BlobsRegistered(List.of(new Registration(x, List.of(c)))));
        seed(1, new Coordinator.BlobsRegistered(List.of(Registration.of(c), Registration.of(d))));
    }

    static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    boolean heldByA(BlobHash h) {
        return heldFor(h, 0);
    }

    boolean collected(BlobHash h) {
        return info(h).status() == BlobStatus.COLLECTED && !kit.store.exists(h);
    }

    /** The last export A told B so far, or null. */
    Coordinator.PartitionExport lastFromA() {
        Coordinator.PartitionExport last = null;
        for (ToCoordinator m : told) if (m instanceof Coordinator.PartitionExport e && e.from() == 0 && e.to() == 1) last = e;
        return last;
    }

    long asksBy(int asker) {
        return told.stream().filter(m -> m instanceof Coordinator.ExportResend r && r.asker() == asker).count();
    }

    /** A and B started, n1 holds x, c held in B for A, both warmed up: the steady state. */
    void steadyWithXHeld() {
        start(0);
        start(1);
        full(x);
        cycle();
        eventually("B holds c for A", () -> heldByA(c), () -> String.valueOf(info(c)));
        settled();
        cycle();
    }
}
