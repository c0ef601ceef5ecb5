package io.blobgc.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads the use logs {@link DemoVm} writes ({@code <millis> acquire|release|reupload <index> <hash>}). */
public final class UseLog {

    private UseLog() {
    }

    public record Totals(long acquires, long releases, long reuploads) {
        public Totals plus(Totals o) {
            return new Totals(acquires + o.acquires, releases + o.releases, reuploads + o.reuploads);
        }
    }

    /**
     * Adds one VM's hold intervals {@code {from, to}} to {@code holds}, by blob index. The VM's JVM may have been
     * killed at {@code killTimes} (ascending; a new incarnation may go on writing the same log): holds open at a
     * kill end there. Holds still open when the log ends, end at the next kill, or at {@code end}.
     */
    public static Totals read(Path log, List<Long> killTimes, long end, Map<Integer, List<long[]>> holds)
            throws IOException {
        List<long[]> down = new ArrayList<>();
        for (long t : killTimes) down.add(new long[]{t, t});
        return readAround(log, down, end, holds);
    }

    /**
     * As {@link #read}, for a VM whose node was out of the cluster during {@code down} ({@code {from, to}}, ascending):
     * killed at {@code from = to}, or paused at {@code from} until it was downed, and left once resumed at {@code to}.
     * Holds open at {@code from} end there, and what it logged until {@code to} is not counted: the node was no
     * member, so nothing it used then was safe from collection (its own next incarnation starts after {@code to}).
     */
    public static Totals readAround(Path log, List<long[]> down, long end, Map<Integer, List<long[]>> holds)
            throws IOException {
        long acquires = 0, releases = 0, reuploads = 0;
        if (!Files.exists(log)) return new Totals(0, 0, 0);
        List<long[]> outs = new ArrayList<>(down);
        Map<Integer, Long> open = new LinkedHashMap<>();
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            String[] f = line.split(" ");
            long at = Long.parseLong(f[0]);
            while (!outs.isEmpty() && at > outs.get(0)[0]) {
                close(open, outs.get(0)[0], holds);
                if (at <= outs.get(0)[1]) break; // logged while out of the cluster
                outs.remove(0);
            }
            if (!outs.isEmpty() && at > outs.get(0)[0]) continue;
            int index = Integer.parseInt(f[2]);
            switch (f[1]) {
                case "acquire" -> {
                    acquires++;
                    open.put(index, at);
                }
                case "release" -> {
                    releases++;
                    Long from = open.remove(index);
                    if (from != null) holds.computeIfAbsent(index, x -> new ArrayList<>()).add(new long[]{from, at});
                }
                case "reupload" -> reuploads++;
                default -> throw new IllegalStateException("unknown line in " + log + ": " + line);
            }
        }
        close(open, outs.isEmpty() ? end : outs.get(0)[0], holds);
        return new Totals(acquires, releases, reuploads);
    }

    private static void close(Map<Integer, Long> open, long at, Map<Integer, List<long[]>> holds) {
        open.forEach((index, from) -> holds.computeIfAbsent(index, x -> new ArrayList<>()).add(new long[]{from, at}));
        open.clear();
    }
}
