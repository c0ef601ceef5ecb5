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
        long acquires = 0, releases = 0, reuploads = 0;
        if (!Files.exists(log)) return new Totals(0, 0, 0);
        List<Long> kills = new ArrayList<>(killTimes);
        Map<Integer, Long> open = new LinkedHashMap<>();
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            String[] f = line.split(" ");
            long at = Long.parseLong(f[0]);
            while (!kills.isEmpty() && at > kills.get(0)) close(open, kills.remove(0), holds);
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
        close(open, kills.isEmpty() ? end : kills.get(0), holds);
        return new Totals(acquires, releases, reuploads);
    }

    private static void close(Map<Integer, Long> open, long at, Map<Integer, List<long[]>> holds) {
        open.forEach((index, from) -> holds.computeIfAbsent(index, x -> new ArrayList<>()).add(new long[]{from, at}));
        open.clear();
    }
}
