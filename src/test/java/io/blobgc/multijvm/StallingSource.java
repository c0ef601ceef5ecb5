package io.blobgc.multijvm;

import io.blobgc.BlobHash;
import io.blobgc.node.ActiveSetSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * An active-set source ({@code blob-gc.reporter.active-set-source}) whose {@link #activeBlobs} hangs while the file
 * named by the environment variable {@value #FILE} exists, as a VM's callback that hangs: the reporter samples it from
 * its actor every heartbeat, so it stalls and sends nothing, while its node stays in the cluster. Otherwise no blob is
 * active through it (leases and holders still work: they are the reporter's own). A JVM that is stopping does not
 * wait for it.
 */
public final class StallingSource implements ActiveSetSource {

    /** The environment variable naming the file: unset or empty, the source never stalls. */
    public static final String FILE = "BLOB_GC_TEST_STALL_FILE";

    private final Path file;
    private volatile boolean stopping;

    public StallingSource() {
        String f = System.getenv(FILE);
        this.file = f == null || f.isEmpty() ? null : Path.of(f);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stopping = true, "stalling-source-release"));
    }

    @Override
    public Set<BlobHash> activeBlobs() {
        while (file != null && !stopping && Files.exists(file)) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return Set.of();
    }
}
