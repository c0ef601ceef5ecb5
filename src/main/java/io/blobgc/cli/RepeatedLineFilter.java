package io.blobgc.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A logback turbo filter that rate-limits repeated lines (issue 20, item 4): at most {@code burst} lines of one kind
 * (one logger and one message template, whatever its arguments) per {@code windowSeconds}; the rest of the window's
 * lines of that kind are dropped, and counted in one line of {@code io.blobgc.log} once the window is over (with the
 * next line anything logs). A line logged without arguments is of the kind its first
 * {@value #PREFORMATTED_KIND_CHARS} characters name (Pekko's classic logging hands over lines it formatted itself). A flood of client faults (5,000 bad requests a second) then costs a few lines, not megabytes.
 * Kinds are remembered in a bounded LRU ({@code maxKinds}), so distinct templates cannot grow it without end. Used by
 * the shipped logback configurations; configured in them as
 * {@code <turboFilter class="io.blobgc.cli.RepeatedLineFilter"><burst>20</burst><windowSeconds>10</windowSeconds></turboFilter>}.
 */
public final class RepeatedLineFilter extends TurboFilter {

    public static final String SUMMARY_LOGGER = "io.blobgc.log";

    private int burst = 20;
    private int windowSeconds = 10;
    private int maxKinds = 1024;
    private final Map<String, Window> kinds = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Window> eldest) {
            return size() > maxKinds;
        }
    };
    /** Windows that dropped lines, oldest first: counted once they end, whatever logs next (or they are evicted). */
    private final ArrayDeque<Window> dropping = new ArrayDeque<>();

    private static final class Window {
        final String logger;
        final String kind;
        long start;
        int seen;
        long suppressed;

        Window(String logger, String kind) {
            this.logger = logger;
            this.kind = kind;
        }
    }

    /** How many leading characters name the kind of a line logged without arguments (Pekko formats its own). */
    static final int PREFORMATTED_KIND_CHARS = 40;

    public void setBurst(int burst) {
        this.burst = burst;
    }

    public void setWindowSeconds(int windowSeconds) {
        this.windowSeconds = windowSeconds;
    }

    public void setMaxKinds(int maxKinds) {
        this.maxKinds = maxKinds;
    }

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        // asked before the level check, and for isEnabled queries (format null): only lines that would be written count
        if (format == null || !isStarted() || SUMMARY_LOGGER.equals(logger.getName())
                || !level.isGreaterOrEqual(logger.getEffectiveLevel())) {
            return FilterReply.NEUTRAL;
        }
        long now = System.nanoTime();
        long windowNanos = windowSeconds * 1_000_000_000L;
        // a line without arguments may have its variable text inside (Pekko's classic logging hands over the
        // formatted message): its first characters name its kind
        String kind = params == null || params.length == 0
                ? format.substring(0, Math.min(format.length(), PREFORMATTED_KIND_CHARS)) : format;
        List<Window> ended = new ArrayList<>();
        FilterReply reply;
        synchronized (kinds) {
            while (!dropping.isEmpty() && now - dropping.peekFirst().start >= windowNanos) {
                Window w = dropping.pollFirst();
                ended.add(w);
            }
            Window w = kinds.computeIfAbsent(logger.getName() + '\u0000' + level + '\u0000' + kind,
                    k -> new Window(logger.getName(), kind));
            if (w.seen == 0 || now - w.start >= windowNanos) {
                if (w.suppressed > 0 && dropping.remove(w)) ended.add(w); // its count goes out before it restarts
                w.start = now;
                w.seen = 1;
                reply = FilterReply.NEUTRAL;
            } else if (w.seen < burst) {
                w.seen++;
                reply = FilterReply.NEUTRAL;
            } else {
                if (w.suppressed++ == 0) dropping.addLast(w);
                reply = FilterReply.DENY;
            }
        }
        Logger summary = logger.getLoggerContext().getLogger(SUMMARY_LOGGER);
        for (Window w : ended) {
            long dropped;
            synchronized (kinds) {
                dropped = w.suppressed;
                w.suppressed = 0;
            }
            summary.warn("{} more lines like \"{}\" from {} were dropped (more than {} in {} s)", dropped, w.kind,
                    w.logger, burst, windowSeconds);
        }
        return reply;
    }
}
