package io.blobgc.cli;

import io.blobgc.api.PartitionRow;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code blob-gc status}'s lines on the partition entities ({@code partition-hosting = sharded}; none otherwise): how
 * many answer, each member with the partitions it hosts, and those that did not answer (moving, recovering).
 */
final class PartitionsTable {
    private PartitionsTable() {
    }

    static List<String> lines(List<PartitionRow> partitions) {
        if (partitions == null || partitions.isEmpty()) return List.of();
        Map<String, List<Integer>> byMember = new TreeMap<>();
        List<Integer> silent = new ArrayList<>();
        long lowest = Long.MAX_VALUE, highest = 0;
        for (PartitionRow p : partitions) {
            if (!p.answered() || p.member() == null) {
                silent.add(p.partition());
                continue;
            }
            byMember.computeIfAbsent(p.member(), m -> new ArrayList<>()).add(p.partition());
            lowest = Math.min(lowest, p.cycle());
            highest = Math.max(highest, p.cycle());
        }
        List<String> out = new ArrayList<>();
        out.add(String.format("partitions: %d on %d member(s), %d answering%s", partitions.size(), byMember.size(),
                partitions.size() - silent.size(), byMember.isEmpty() ? ""
                        : lowest == highest ? ", at cycle " + lowest : ", at cycles " + lowest + "-" + highest));
        out.add(String.format("%-40s %s", "MEMBER", "PARTITIONS"));
        byMember.forEach((member, ps) -> out.add(String.format("%-40s %s", member, join(ps))));
        if (!silent.isEmpty()) out.add(String.format("%-40s %s", "(not answering)", join(silent)));
        return out;
    }

    private static String join(List<Integer> ps) {
        StringBuilder b = new StringBuilder();
        for (int p : ps) b.append(b.length() == 0 ? "" : " ").append(p);
        return b.toString();
    }
}
