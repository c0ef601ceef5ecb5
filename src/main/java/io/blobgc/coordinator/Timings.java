package io.blobgc.coordinator;

/**
 * Where the coordinator and its sweeper say how long their work took: {@link io.blobgc.BlobGcMetrics} records each
 * into a histogram. Called in the JVM that runs the coordinator singleton, on its actors' threads: cheap, never blocks.
 */
public interface Timings {

    /** Records nothing: for a coordinator started without a {@link io.blobgc.BlobGc} extension (tests, tools). */
    Timings NONE = new Timings() {
        @Override
        public void cyclePlanned(long nanos) {
        }

        @Override
        public void storeDeletion(long nanos, boolean deleted) {
        }
    };

    /** A GC cycle's planning (deciding what to mark) took {@code nanos}. */
    void cyclePlanned(long nanos);

    /**
     * One store deletion took {@code nanos}; {@code deleted}: false when it failed. Deleted in a batch
     * ({@code BlobStore.deleteEach}, one request for many), each deletion is recorded with its share of the request's
     * time.
     */
    void storeDeletion(long nanos, boolean deleted);
}
