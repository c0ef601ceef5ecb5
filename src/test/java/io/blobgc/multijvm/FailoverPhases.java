package io.blobgc.multijvm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where a failover's seconds went, read from the survivors' logs (their lines' times of day, same machine and time
 * zone as this JVM): the kill, the failure detector's verdict, the split brain resolver's downing, the leader's
 * removal, the singleton's start on the new oldest member (after the removal margin), the coordinator's recovery and
 * takeover write, the end of its warm-up, and its first cycle after it (the history's time). For the test's output
 * only: nothing is asserted on it (a phase missing from the logs prints as "?").
 */
final class FailoverPhases {

    private FailoverPhases() {
    }

    /** One line: each phase's end, seconds after the kill, and in brackets how long the phase took. */
    static String describe(NodeProcesses nodes, Scenario.Failover f) {
        String victim = "127.0.0.1:" + nodes.remotePort(f.victim());
        List<String> lines = new ArrayList<>();
        for (int i = 1; i <= nodes.size(); i++) {
            if (i == f.victim()) continue;
            try {
                lines.addAll(Files.readAllLines(nodes.dir.resolve("node" + i + ".log")));
            } catch (IOException e) {
                // a node's log unreadable: its phases print as "?"
            }
        }
        String[][] phases = {
                {"unreachable", "Marking node as UNREACHABLE [Member(pekko://blobgc@" + victim + ","},
                {"downed", "Marking unreachable node [pekko://blobgc@" + victim + "] as [Down]"},
                {"removed", "Leader is removing unreachable node [pekko://blobgc@" + victim + "]"},
                {"singleton started", "Singleton manager starting singleton actor"},
                {"recovered", "blob-gc coordinator recovered"},
                {"took over", "took over (its first write)"},
                {"warm", "warm-up complete"},
        };
        StringBuilder out = new StringBuilder();
        long previous = f.killedAt();
        for (String[] phase : phases) {
            long at = first(lines, phase[1], f.killedAt());
            out.append(phase[0]).append(' ');
            if (at < 0) {
                out.append("?, ");
                continue;
            }
            out.append(String.format(Locale.ROOT, "%.2f (%.2f), ", (at - f.killedAt()) / 1000.0,
                    (at - previous) / 1000.0));
            previous = at;
        }
        out.append(String.format(Locale.ROOT, "first cycle %.2f (%.2f) s after the kill", f.seconds(),
                (f.firstWarmCycleAt() - previous) / 1000.0));
        return out.toString();
    }

    /** The epoch millis of the first line containing {@code text} logged at or after {@code after}; -1 if none. */
    private static long first(List<String> lines, String text, long after) {
        long best = -1;
        for (String line : lines) {
            if (!line.contains(text) || line.length() < 12) continue;
            long at = epochMillis(line.substring(0, 12), after);
            if (at >= after && (best < 0 || at < best)) best = at;
        }
        return best;
    }

    /** A log line's time of day (HH:mm:ss.SSS) on the day of {@code near}, or the next day past midnight; -1 if none. */
    private static long epochMillis(String timeOfDay, long near) {
        try {
            ZoneId zone = ZoneId.systemDefault();
            LocalDate day = Instant.ofEpochMilli(near).atZone(zone).toLocalDate();
            long at = LocalTime.parse(timeOfDay).atDate(day).atZone(zone).toInstant().toEpochMilli();
            return at < near - 12 * 3_600_000L ? at + 24 * 3_600_000L : at;
        } catch (DateTimeParseException notALogLine) {
            return -1;
        }
    }
}
