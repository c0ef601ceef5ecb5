package io.blobgc.cluster;

import io.blobgc.BlobHash;

import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalTime;

/**
 * A {@link io.blobgc.store.FileBlobStore} whose deletions are slow: each takes {@link #DELAY_MS}, the file going
 * only at its end, as a store's delete request that reaches the store late would (plugged in through
 * {@code blob-gc.store.class}). The fence (S10) allows for that: a deletion sent before its batch's deadline may
 * land up to one more deadline later (the successor waits out twice the deadline), so a delay below the batch
 * deadline is a store the fence must withstand, and a sweeper cut off mid-batch goes on landing deletions after its
 * successor took over. Each deletion is printed (the node's {@code .out}) when sent and when it landed.
 */
public final class SlowDeleteStore extends FileStoreWrapper {

    /** Below the batch deadline of the tests that use it (NetworkPartitionTest: 5 s). */
    public static final long DELAY_MS = 4_000;

    public SlowDeleteStore(Path root) {
        super(root);
    }

    @Override
    public long delete(BlobHash hash) throws IOException {
        String sent = LocalTime.now().toString();
        try {
            Thread.sleep(DELAY_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted before the deletion landed", e);
        }
        long freed = files.delete(hash);
        System.out.println("slow delete of " + hash.toHex().substring(0, 12) + ": sent " + sent + ", landed "
                + LocalTime.now() + (freed > 0 ? "" : " (already gone)"));
        return freed;
    }
}
