package io.blobgc.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A logback turbo filter that rate-limits repeated lines (issue 20, item 4): at most {@code burst} lines of one kind
 * (one logger and one message template, whatever its arguments) per {@code windowSeconds}; the rest of the window's
 * lines of that kind are dropped, and counted in one line of {@code io.blobgc.log} when the kind shows up again in a
 * later window. A flood of client faults (5,000 bad requests a second) then costs a few lines, not megabytes.
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

    private static final class Window {
        long start;
        int seen;
        long suppressed;
    }

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
        long dropped;
        synchronized (kinds) {
            Window w = kinds.computeIfAbsent(logger.getName() + '\u0000' + format, k -> new Window());
            if (w.seen == 0 || now - w.start >= windowSeconds * 1_000_000_000L) {
                dropped = w.suppressed;
                w.start = now;
                w.seen = 1;
                w.suppressed = 0;
            } else if (w.seen < burst) {
                w.seen++;
                return FilterReply.NEUTRAL;
            } else {
                w.suppressed++;
                return FilterReply.DENY;
            }
        }
        if (dropped > 0) {
            logger.getLoggerContext().getLogger(SUMMARY_LOGGER).warn("{} more lines like \"{}\" from {} were dropped "
                    + "(more than {} in {} s)", dropped, format, logger.getName(), burst, windowSeconds);
        }
        return FilterReply.NEUTRAL;
    }
}
