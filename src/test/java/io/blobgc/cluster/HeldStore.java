package io.blobgc.cluster;

import io.blobgc.BlobHash;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A {@link io.blobgc.store.FileBlobStore} whose deletions fail ("held") while it is held: the sweeper's deletions of
 * fenced blobs fail, so they stay DELETING with their content on disk, and are retried (with the sweeper's backoff:
 * keep {@code blob-gc.sweeper.retry-backoff.max} short) until it is released. Held in-process through {@link #hold},
 * or, for a node in another JVM ({@code blob-gc.store.class}), while the file {@link #holdFile} of its root exists.
 */
public final class HeldStore extends FileStoreWrapper {

    private final Path holdFile;
    private volatile boolean held;

    public HeldStore(Path root) {
        super(root);
        this.holdFile = holdFile(root);
    }

    /** The file that holds a store rooted at {@code root} while it exists: a sibling of the root, "ROOT.hold". */
    public static Path holdFile(Path root) {
        Path absolute = root.toAbsolutePath();
        return absolute.resolveSibling(absolute.getFileName() + ".hold");
    }

    /** Held: every deletion fails until {@code hold(false)}. */
    public void hold(boolean held) {
        this.held = held;
    }

    /** Where the content of {@code hash} is (or would be) on disk. */
    public Path pathOf(BlobHash hash) {
        return files.pathOf(hash);
    }

    @Override
    public long delete(BlobHash hash) throws IOException {
        if (held || Files.exists(holdFile)) throw new IOException("held");
        return files.delete(hash);
    }
}
