package io.blobgc.coordinator;

import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The sweeper's decisions, without actors, I/O or a clock of its own: every method that needs the time takes
 * {@code nowNanos} (a monotonic clock: {@code System.nanoTime()} in the actor, a simulated one in tests).
 * <p>
 * One round: {@link #wake} says whether to ask the coordinator for a batch; {@link #batch} takes the hashes it
 * handed over (already DELETING, S6); {@link #due} says which of them may be deleted now under the rate limit; the
 * caller deletes exactly those and reports each with {@link #deleted} or {@link #failed}; while
 * {@link #batchDone} is false it comes back after {@link #nanosUntilNextDeletion}; then {@link #finishBatch} gives the
 * confirmation to send and {@link #nextWakeDelayMs} when to wake again (backing off while batches fail).
 * <p>
 * <b>Throttling</b> (the store answers "slow down": S3's 503 SlowDown, a 429, a connection reset): the caller reports
 * each throttled hash with {@link #throttled} (it goes back to the end of the queue, up to
 * {@link #THROTTLED_RETRIES} times, and is only then counted as failed) and, once per store request, whether the
 * store pushed back ({@link #storeAnswered}). The rate is AIMD within the configured limit: each request that was
 * pushed back halves it (down to {@link #minRate}) and pauses deleting for a jittered, doubling delay; each request
 * that was not adds {@link #ADDITIVE_INCREASE} of the limit back. Throttling lowers the pace, never the limit, and
 * never fails a blob that the store merely asked us to retry later.
 * <p>
 * Not thread-safe: one owner (the actor, or the simulation) calls it.
 */
public final class SweeperCore {

    /** The deletions of a finished batch: sent to the coordinator as {@code ConfirmDeleted(hashes, bytes)}. */
    public record Confirmation(List<BlobHash> hashes, long bytes) {
        public Confirmation {
            hashes = List.copyOf(hashes);
        }
    }

    /**
     * Figures of the sweep under way: a sweep runs from the first non-empty batch to the empty batch that ends it.
     *
     * @param total        hashes handed over so far
     * @param deleted      of those, deleted
     * @param failed       deletions that failed (a hash failing twice counts twice)
     * @param elapsedNanos since the sweep started
     */
    public record Progress(long total, long deleted, long failed, long elapsedNanos) {
    }

    /** Delay before asking for the next batch after one without failures. */
    public static final long NEXT_BATCH_DELAY_MS = 100;
    /** One token of the rate limit's bucket, in the bucket's unit (nano-tokens: a token per 10^9). */
    private static final long TOKEN = 1_000_000_000L;
    /** The burst is what the rate earns in this long (but at least one deletion). */
    private static final long BURST_WINDOW_NANOS = 100_000_000L;

    /** How often one hash may be throttled in a batch before it counts as a failed deletion. */
    public static final int THROTTLED_RETRIES = 8;
    /** The share of the rate limit each request the store did not push back adds to the rate (AIMD's increase). */
    public static final double ADDITIVE_INCREASE = 0.02;
    /** The first pause after a push-back; it doubles with each push-back in a row, up to {@link #MAX_PAUSE_NANOS}. */
    public static final long FIRST_PAUSE_NANOS = 100_000_000L;
    public static final long MAX_PAUSE_NANOS = 5_000_000_000L;

    private enum State { IDLE, ASKING, DELETING }

    private final double maxDeletesPerSecond;
    /** The floor of the rate under throttling: 1% of the limit, or one a second (the limit if lower). */
    private final double minRate;
    /** The rate deletions go at now: {@link #maxDeletesPerSecond} until the store pushes back (AIMD). */
    private double rate;
    /** The bucket's capacity in nano-tokens at the current rate: max(1, rate × 0.1 s) deletions. */
    private long burst;
    private final java.util.random.RandomGenerator random;
    /** Nothing is due before this while the store pushes back (monotonic nanos); meaningful when pushBacks > 0. */
    private long pausedUntilNanos;
    /** Store requests in a row the store pushed back: the pause doubles with each. */
    private int pushBacks;
    /** Store requests the store pushed back since this core was made (its sweeper's life). */
    private long throttledRequests;
    /** How often each hash of the batch was throttled. */
    private final java.util.Map<BlobHash, Integer> throttledTimes = new java.util.HashMap<>();
    private final long retryMinMs;
    private final long retryMaxMs;
    private final long progressIntervalNanos;

    private State state = State.IDLE;
    private final ArrayDeque<BlobHash> queue = new ArrayDeque<>();
    /** Returned by {@link #due}, result not reported yet. */
    private final Set<BlobHash> outstanding = new LinkedHashSet<>();
    private final List<BlobHash> done = new ArrayList<>();
    /** Of the batch, what its deadline left undeleted: handed back to the coordinator ({@link #takeExpired}). */
    private final List<BlobHash> expired = new ArrayList<>();
    /** The batch's deadline (monotonic nanos): nothing of it is deleted from then on (S10). */
    private long deadlineNanos;
    private boolean hasDeadline;
    private long doneBytes;
    private int batchFailures;
    private int consecutiveFailures;
    private long backoffUntilNanos;

    /** The rate limit: a token bucket in nano-tokens, earning {@code maxDeletesPerSecond} tokens a second. */
    private boolean bucketStarted;
    private long credit;
    private long creditAtNanos;

    private boolean sweeping;
    private long sweepStartedAt;
    private long lastProgressAt;
    private long sweepTotal;
    private long sweepDeleted;
    private long sweepFailed;

    /**
     * @param maxDeletesPerSecond   the rate limit on deletions (> 0, may be fractional)
     * @param retryMinMs            the delay before the next ask after a batch that deleted nothing because deletions
     *                              failed; it doubles with each such batch in a row
     * @param retryMaxMs            the cap of that delay
     * @param progressIntervalNanos how often {@link #progressDue} reports a sweep under way
     */
    public SweeperCore(double maxDeletesPerSecond, long retryMinMs, long retryMaxMs, long progressIntervalNanos) {
        this(maxDeletesPerSecond, retryMinMs, retryMaxMs, progressIntervalNanos, new java.util.SplittableRandom());
    }

    /** @param random the jitter of the pauses after the store pushed back (seeded in tests) */
    public SweeperCore(double maxDeletesPerSecond, long retryMinMs, long retryMaxMs, long progressIntervalNanos,
                       java.util.random.RandomGenerator random) {
        if (!(maxDeletesPerSecond > 0) || Double.isInfinite(maxDeletesPerSecond)) {
            throw new IllegalArgumentException("max deletes per second must be positive and finite, not "
                    + maxDeletesPerSecond);
        }
        if (retryMinMs < 0 || retryMaxMs < retryMinMs) {
            throw new IllegalArgumentException("retry backoff must satisfy 0 <= min <= max, not " + retryMinMs
                    + " ms .. " + retryMaxMs + " ms");
        }
        this.maxDeletesPerSecond = maxDeletesPerSecond;
        this.retryMinMs = retryMinMs;
        this.retryMaxMs = retryMaxMs;
        this.progressIntervalNanos = progressIntervalNanos;
        this.minRate = Math.max(maxDeletesPerSecond / 100, Math.min(maxDeletesPerSecond, 1.0));
        this.random = java.util.Objects.requireNonNull(random, "random");
        setRate(maxDeletesPerSecond);
    }

    private void setRate(double r) {
        rate = r;
        burst = Math.max(TOKEN, (long) Math.floor(r * BURST_WINDOW_NANOS));
        credit = Math.min(credit, burst);
    }

    /** The rate deletions go at now, in deletions per second: the limit, or less while the store pushes back. */
    public double rate() {
        return rate;
    }

    /** The rate limit: what {@link #rate} is until the store pushes back, and climbs back to. */
    public double limit() {
        return maxDeletesPerSecond;
    }

    /** How many store requests were pushed back ({@link #storeAnswered} with {@code pushedBack}) so far. */
    public long throttledRequests() {
        return throttledRequests;
    }

    /** The lowest {@link #rate} throttling brings it down to. */
    public double minRate() {
        return minRate;
    }

    /**
     * {@code hash} (returned by {@link #due}) was not deleted because the store pushed back. True: it goes back to
     * the end of the queue, to be retried after the pause; false: it was throttled {@link #THROTTLED_RETRIES} times
     * in this batch and counts as failed, like {@link #failed} (the caller reports it to the coordinator).
     */
    public boolean throttled(BlobHash hash) {
        int times = throttledTimes.merge(hash, 1, Integer::sum);
        if (times > THROTTLED_RETRIES) {
            failed(hash);
            return false;
        }
        if (!outstanding.remove(hash)) throw new IllegalStateException(hash + " was not due for deletion");
        queue.addLast(hash);
        return true;
    }

    /**
     * Hashes returned by {@link #due} that the caller did not send to the store (it stopped after a push-back): back
     * to the front of the queue in their order, not counted as anything.
     */
    public void notSent(List<BlobHash> hashes) {
        for (int i = hashes.size() - 1; i >= 0; i--) {
            if (!outstanding.remove(hashes.get(i))) {
                throw new IllegalStateException(hashes.get(i) + " was not due for deletion");
            }
            queue.addFirst(hashes.get(i));
        }
    }

    /**
     * One store request came back ({@code pushedBack}: it or any of its keys was throttled). A push-back halves the
     * rate (not below {@link #minRate}), empties the bucket and pauses deleting for a jittered delay that doubles with
     * each push-back in a row ({@link #FIRST_PAUSE_NANOS} up to {@link #MAX_PAUSE_NANOS}, half of it fixed, half
     * random, so that sweepers throttled together do not come back together); a request without one raises the rate
     * by {@link #ADDITIVE_INCREASE} of the limit, up to the limit.
     *
     * @return the pause in nanos (0 when not pushed back)
     */
    public long storeAnswered(long nowNanos, boolean pushedBack) {
        credit = creditAt(nowNanos); // settle the bucket at the old rate before changing it
        if (nowNanos - creditAtNanos > 0) creditAtNanos = nowNanos;
        if (!pushedBack) {
            pushBacks = 0;
            setRate(Math.min(maxDeletesPerSecond, rate + ADDITIVE_INCREASE * maxDeletesPerSecond));
            return 0;
        }
        pushBacks++;
        throttledRequests++;
        setRate(Math.max(minRate, rate / 2));
        credit = 0;
        long cap = Math.min(MAX_PAUSE_NANOS, FIRST_PAUSE_NANOS << Math.min(20, pushBacks - 1));
        long pause = cap / 2 + random.nextLong(cap / 2 + 1);
        pausedUntilNanos = nowNanos + pause;
        return pause;
    }

    private boolean paused(long nowNanos) {
        return pushBacks > 0 && nowNanos - pausedUntilNanos < 0;
    }

    /** The core configured by {@code blob-gc.sweeper { … }}. */
    public static SweeperCore from(BlobGcSettings s) {
        return new SweeperCore(s.maxDeletesPerSecond(), s.sweepRetryMin().toMillis(), s.sweepRetryMax().toMillis(),
                s.sweepProgressInterval().toNanos());
    }

    /**
     * Something may be waiting to be deleted. True: ask the coordinator for a batch now (the core then waits for
     * {@link #batch}). False while a batch is asked for or under way, and while backing off after failed batches
     * (the wake after {@link #nextWakeDelayMs} is the one that ends the backoff).
     */
    public boolean wake(long nowNanos) {
        if (state != State.IDLE) return false;
        if (consecutiveFailures > 0 && nowNanos - backoffUntilNanos < 0) return false;
        state = State.ASKING;
        return true;
    }

    /**
     * The coordinator's answer to the ask: hashes that are DELETING, for us to delete. An empty batch means no work:
     * the core goes idle, and when that ends a sweep its final figures are returned (to log).
     */
    public Optional<Progress> batch(List<BlobHash> hashes, long nowNanos) {
        hasDeadline = false;
        return start(hashes, nowNanos);
    }

    /**
     * {@link #batch(List, long)} with a deadline (S10): the coordinator wrote the batch before {@code deadlineNanos}
     * minus the configured batch deadline, on this same monotonic clock. From the deadline on, nothing of the batch is
     * returned by {@link #due} (nor should the caller delete what it got, see {@link #inTime}): a sweeper whose
     * coordinator was fenced out by a successor deletes nothing once the successor may let those hashes take new
     * content.
     */
    public Optional<Progress> batch(List<BlobHash> hashes, long nowNanos, long deadlineNanos) {
        hasDeadline = true;
        this.deadlineNanos = deadlineNanos;
        return start(hashes, nowNanos);
    }

    /** Whether the batch under way may still delete at {@code nowNanos}: its deadline has not come. */
    public boolean inTime(long nowNanos) {
        return !hasDeadline || nowNanos - deadlineNanos < 0;
    }

    /** {@code hash} (returned by {@link #due}) was not deleted: the batch's deadline came first ({@link #inTime}). */
    public void lapsed(BlobHash hash) {
        if (!outstanding.remove(hash)) throw new IllegalStateException(hash + " was not due for deletion");
        expired.add(hash);
    }

    /** What deadlines left undeleted since the last call: to hand back to the coordinator (they stay DELETING). */
    public List<BlobHash> takeExpired() {
        List<BlobHash> out = List.copyOf(expired);
        expired.clear();
        return out;
    }

    private Optional<Progress> start(List<BlobHash> hashes, long nowNanos) {
        if (hashes.isEmpty()) {
            if (state == State.DELETING) return Optional.empty(); // a stray empty answer: the batch under way goes on
            state = State.IDLE;
            if (!sweeping) return Optional.empty();
            Progress last = progress(nowNanos);
            sweeping = false;
            sweepTotal = sweepDeleted = sweepFailed = 0;
            return Optional.of(last);
        }
        if (!sweeping) {
            sweeping = true;
            sweepStartedAt = nowNanos;
            lastProgressAt = nowNanos;
        }
        if (!bucketStarted) { // the bucket starts full, as if it had been filling while idle
            bucketStarted = true;
            credit = burst;
            creditAtNanos = nowNanos;
        }
        state = State.DELETING;
        sweepTotal += hashes.size();
        queue.addAll(hashes);
        return Optional.empty();
    }

    /**
     * The hashes to delete now, within the rate limit: none while paused after a push-back ({@link #storeAnswered}),
     * else one per whole token in the bucket (tokens accrue at the current {@link #rate} per second of {@code nowNanos}, up to a burst of max(1, rate × 0.1 s)). They leave
     * the queue: the caller deletes each and reports it with {@link #deleted} or {@link #failed}.
     */
    public List<BlobHash> due(long nowNanos) {
        if (queue.isEmpty()) return List.of();
        if (!inTime(nowNanos)) { // the deadline came: the rest of the batch goes back undeleted
            expired.addAll(queue);
            queue.clear();
            return List.of();
        }
        if (paused(nowNanos)) return List.of();
        credit = creditAt(nowNanos);
        if (nowNanos - creditAtNanos > 0) creditAtNanos = nowNanos;
        int n = (int) Math.min(queue.size(), credit / TOKEN);
        credit -= n * TOKEN;
        List<BlobHash> now = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            BlobHash h = queue.poll();
            outstanding.add(h);
            now.add(h);
        }
        return now;
    }

    /** {@code hash} (returned by {@link #due}) was deleted from the store, freeing {@code bytes}. */
    public void deleted(BlobHash hash, long bytes) {
        if (!outstanding.remove(hash)) throw new IllegalStateException(hash + " was not due for deletion");
        done.add(hash);
        doneBytes += bytes;
        sweepDeleted++;
    }

    /**
     * Deleting {@code hash} (returned by {@link #due}) failed. The caller reports it to the coordinator at once
     * ({@code ReportDeletionFailed}); the hash stays DELETING there and comes back in a later batch.
     */
    public void failed(BlobHash hash) {
        if (!outstanding.remove(hash)) throw new IllegalStateException(hash + " was not due for deletion");
        batchFailures++;
        sweepFailed++;
    }

    /** True when a batch is under way and every hash of it was deleted or failed: time for {@link #finishBatch}. */
    public boolean batchDone() {
        return state == State.DELETING && queue.isEmpty() && outstanding.isEmpty();
    }

    /** Whether a batch is under way with hashes not deleted (or given up) yet. */
    public boolean holdsAny() {
        return state == State.DELETING && !(queue.isEmpty() && outstanding.isEmpty());
    }

    /** Whether {@code hash} is in the batch under way and not deleted (or given up) yet. */
    public boolean pending(BlobHash hash) {
        return queue.contains(hash) || outstanding.contains(hash);
    }

    /** Hashes of the batch not yet returned by {@link #due}. */
    public int queued() {
        return queue.size();
    }

    /**
     * How long until {@link #due} has a full round to return: until the bucket holds min(burst, queued) whole tokens
     * (so at a high rate the deletions come in bursts of 0.1 s, not one timer per deletion). 0 when that is the case
     * already, {@link Long#MAX_VALUE} when nothing is queued. Calling {@link #due} earlier is allowed (it returns what
     * the bucket allows then, perhaps nothing).
     */
    public long nanosUntilNextDeletion(long nowNanos) {
        if (queue.isEmpty()) return Long.MAX_VALUE;
        if (paused(nowNanos)) return Math.max(1, pausedUntilNanos - nowNanos); // then: what the pause earned at the lowered rate
        long need = Math.min(queue.size(), burst / TOKEN) * TOKEN;
        long have = creditAt(nowNanos);
        if (have >= need) return 0;
        long wait = (long) Math.ceil((need - have) / rate);
        while (creditAt(nowNanos + wait) < need) wait++; // against rounding: never wake a hair too early
        return wait;
    }

    /** The bucket's content at {@code nowNanos} (a clock that steps back earns nothing). */
    private long creditAt(long nowNanos) {
        long elapsed = nowNanos - creditAtNanos;
        if (elapsed <= 0) return credit;
        double earned = elapsed * rate; // nano-tokens: rate per second × nanoseconds
        return (long) Math.min((double) burst, credit + earned);
    }

    /**
     * Ends the batch once {@link #batchDone}: the confirmation of what it deleted (empty when nothing was), and the
     * failure streak is updated — a batch that deleted nothing because deletions failed lengthens the backoff, a batch
     * that deleted something ends it. The core goes idle; wake it again after {@link #nextWakeDelayMs}.
     *
     * @throws IllegalStateException while the batch is not done
     */
    public Optional<Confirmation> finishBatch(long nowNanos) {
        if (!batchDone()) {
            throw new IllegalStateException("batch not done: " + queue.size() + " queued, " + outstanding.size()
                    + " awaiting a result");
        }
        if (done.isEmpty() && batchFailures > 0) consecutiveFailures++;
        else consecutiveFailures = 0;
        batchFailures = 0;
        throttledTimes.clear();
        state = State.IDLE;
        backoffUntilNanos = nowNanos + nextWakeDelayMs() * 1_000_000L;
        if (done.isEmpty()) return Optional.empty();
        Confirmation c = new Confirmation(done, doneBytes);
        done.clear();
        doneBytes = 0;
        return Optional.of(c);
    }

    /**
     * When to wake after the last batch: {@link #NEXT_BATCH_DELAY_MS} after a batch that deleted something; after
     * failing batches in a row, the minimum retry delay doubled per further failing batch, capped at the maximum.
     */
    public long nextWakeDelayMs() {
        if (consecutiveFailures == 0) return NEXT_BATCH_DELAY_MS;
        return Math.min(retryMaxMs, retryMinMs << Math.min(20, consecutiveFailures - 1));
    }

    /** Batches in a row that deleted nothing because deletions failed. */
    public int consecutiveFailures() {
        return consecutiveFailures;
    }

    /**
     * The sweep's figures when one is under way and the progress interval passed since the last report (which this
     * call then counts as made); empty otherwise.
     */
    public Optional<Progress> progressDue(long nowNanos) {
        if (!sweeping || nowNanos - lastProgressAt < progressIntervalNanos) return Optional.empty();
        lastProgressAt = nowNanos;
        return Optional.of(progress(nowNanos));
    }

    private Progress progress(long nowNanos) {
        return new Progress(sweepTotal, sweepDeleted, sweepFailed, nowNanos - sweepStartedAt);
    }
}
