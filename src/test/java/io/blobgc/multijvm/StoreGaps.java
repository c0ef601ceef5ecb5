package io.blobgc.multijvm;

import io.blobgc.BlobHash;
import io.blobgc.store.BlobStore;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Watches a store for the moments blobs leave it: every 20 ms it asks the store for each of a fixed set of blobs, and
 * records each time one that was there is missing as a gap {@code {lastSeen, firstMissing}} (this JVM's wall clock):
 * the deletion happened inside it. A checker that knows when a blob was held then needs no clock finer than the
 * polls: a hold that covers a whole gap was held when the blob went, whatever went on between two polls. A watcher,
 * since a deletion is over in milliseconds and its journal event may never be written (a fenced coordinator's
 * deletions that land late are in no journal).
 */
final class StoreGaps implements AutoCloseable {

    private static final long POLL_MS = 20;

    private final BlobStore store;
    private final List<BlobHash> blobs;
    private final Map<BlobHash, List<long[]>> gaps = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile IOException failure;

    private StoreGaps(BlobStore store, List<BlobHash> blobs) {
        this.store = store;
        this.blobs = List.copyOf(blobs);
        thread = new Thread(this::watch, "store-gaps");
        thread.setDaemon(true);
    }

    /** Starts watching {@code blobs} in {@code store} until closed. */
    static StoreGaps start(BlobStore store, List<BlobHash> blobs) {
        StoreGaps g = new StoreGaps(store, blobs);
        g.thread.start();
        return g;
    }

    private void watch() {
        long[] lastSeen = new long[blobs.size()]; // 0: not there at the last poll
        while (!Thread.currentThread().isInterrupted()) {
            for (int i = 0; i < blobs.size(); i++) {
                boolean there;
                try {
                    there = store.exists(blobs.get(i));
                } catch (IOException e) {
                    failure = e;
                    return;
                }
                long now = System.currentTimeMillis();
                if (there) {
                    lastSeen[i] = now;
                } else if (lastSeen[i] != 0) {
                    gaps.computeIfAbsent(blobs.get(i), b -> new ArrayList<>()).add(new long[]{lastSeen[i], now});
                    lastSeen[i] = 0;
                }
            }
            try {
                Thread.sleep(POLL_MS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Stops watching; then {@link #of} is final. */
    @Override
    public void close() throws InterruptedException, IOException {
        thread.interrupt();
        thread.join(5_000);
        if (failure != null) throw new IOException("the store watcher could not ask the store", failure);
    }

    /** The gaps of {@code blob} so far, {@code {lastSeen, firstMissing}} in order. */
    List<long[]> of(BlobHash blob) {
        return List.copyOf(gaps.getOrDefault(blob, List.of()));
    }

    /** How many times a watched blob left the store. */
    int count() {
        return gaps.values().stream().mapToInt(List::size).sum();
    }
}
