package io.blobgc.cli;

import io.blobgc.api.SummaryBody;

import java.util.ArrayDeque;
import java.util.Locale;
import java.util.Map;

/**
 * A sweep's progress from successive {@code /v1/summary} answers: done / total since the backlog (blobs marked or
 * being deleted) last was empty, the deletion rate over the last {@code window} milliseconds, and the time left at
 * that rate. The dashboard computes the same in the browser.
 */
final class SweepProgress {

    record Sample(long atMs, long collected) {
    }

    /** One reading. {@code rate} is blobs per second; {@code secondsLeft} is -1 when unknown. */
    record Reading(long cycle, long done, long total, long marked, long deleting, long failed, double rate,
                   double secondsLeft) {
        boolean idle() {
            return marked + deleting == 0;
        }
    }

    private final long windowMs;
    private final ArrayDeque<Sample> samples = new ArrayDeque<>();
    private Long base;

    SweepProgress(long windowMs) {
        this.windowMs = windowMs;
    }

    Reading add(long nowMs, SummaryBody summary) {
        Map<String, Long> counts = summary.counts() == null ? Map.of() : summary.counts();
        long collected = summary.collected();
        long marked = counts.getOrDefault("MARKED_FOR_COLLECTION", 0L);
        long deleting = counts.getOrDefault("DELETING", 0L);
        samples.addLast(new Sample(nowMs, collected));
        while (samples.size() > 2 && nowMs - samples.peekFirst().atMs() > windowMs) samples.removeFirst();
        long left = marked + deleting;
        if (left == 0) base = null;
        else if (base == null) base = collected;
        long done = base == null ? 0 : collected - base;
        Sample first = samples.peekFirst();
        double rate = nowMs > first.atMs() ? (collected - first.collected()) * 1000.0 / (nowMs - first.atMs()) : 0;
        double secondsLeft = left == 0 ? 0 : rate > 0 ? left / rate : -1;
        return new Reading(summary.cycle(), done, done + left, marked, deleting,
                summary.failedDeletions(), rate, secondsLeft);
    }

    /** One terminal line: a bar, done / total, rate, time left, and what is waiting. */
    static String line(Reading r) {
        if (r.idle()) {
            return String.format(Locale.ROOT, "cycle %d  nothing to delete  (%d failed deletions)", r.cycle(), r.failed());
        }
        int width = 24;
        int filled = r.total() == 0 ? 0 : (int) Math.round(width * (double) r.done() / r.total());
        return String.format(Locale.ROOT, "cycle %d  [%s%s] %,d / %,d deleted  %s  %s  (%,d marked, %,d deleting, %,d failed)",
                r.cycle(), "#".repeat(filled), "-".repeat(width - filled), r.done(), r.total(),
                r.rate() > 0 ? String.format(Locale.ROOT, "%.1f/s", r.rate()) : "0/s",
                r.secondsLeft() < 0 ? "time left unknown" : duration(r.secondsLeft()) + " left",
                r.marked(), r.deleting(), r.failed());
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) return s + " s";
        if (s < 3600) return s / 60 + " min " + s % 60 + " s";
        return s / 3600 + " h " + s % 3600 / 60 + " min";
    }
}
