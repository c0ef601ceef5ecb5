package io.blobgc.bench;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The threads the benchmark runs P partitions' steps on: the caller and {@code threads - 1} workers, each taking the
 * partitions {@code i, i + threads, …}. The workers spin while they wait for a step instead of parking: on this
 * project's 2-core VM a parked thread took 1–2 ms to wake (the time of a whole step), which measured the machine's
 * wake-up instead of the partitions' work. Sharded entities under load do not wait for a wake-up between reports;
 * the cost is a core kept busy while the benchmark makes its workload. After {@link #SPIN_NANOS} without a step a
 * worker parks in 1 ms naps (the snapshot phase, after the cycles, runs on the caller alone).
 */
final class SpinningCrew implements AutoCloseable {

    private static final long SPIN_NANOS = 500_000_000L;

    private final int partitions;
    private final Thread[] workers;
    private volatile IntConsumer step;
    private volatile long generation;
    private volatile boolean closed;
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    SpinningCrew(int partitions, int threads) {
        this.partitions = partitions;
        this.workers = new Thread[Math.max(0, Math.min(threads, partitions) - 1)];
        for (int w = 0; w < workers.length; w++) {
            int first = w + 1;
            workers[w] = new Thread(() -> work(first), "bench-partition-worker-" + first);
            workers[w].setDaemon(true);
            workers[w].start();
        }
    }

    /** Runs {@code step} for every partition and returns once all are done; rethrows the first failure. */
    void forEach(IntConsumer step) {
        failure.set(null);
        this.step = step;
        running.set(workers.length);
        generation++; // publishes the step (volatile write after it)
        runShare(0, step);
        while (running.get() > 0) Thread.onSpinWait();
        Throwable t = failure.get();
        if (t != null) throw new IllegalStateException("a partition failed", t);
    }

    private void work(int first) {
        long seen = 0;
        long idleSince = System.nanoTime();
        while (!closed) {
            if (generation == seen) {
                if (System.nanoTime() - idleSince < SPIN_NANOS) Thread.onSpinWait();
                else LockSupport.parkNanos(1_000_000L);
                continue;
            }
            seen = generation;
            runShare(first, step);
            running.decrementAndGet();
            idleSince = System.nanoTime();
        }
    }

    private void runShare(int first, IntConsumer step) {
        try {
            for (int p = first; p < partitions; p += workers.length + 1) step.accept(p);
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        }
    }

    @Override
    public void close() {
        closed = true;
    }
}
