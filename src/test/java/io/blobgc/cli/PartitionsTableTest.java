package io.blobgc.cli;

import io.blobgc.api.PartitionRow;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code blob-gc status} on partition entities: each member with its partitions, and those not answering. */
class PartitionsTableTest {

    private static final String A = "pekko://blobgc@127.0.0.1:25521", B = "pekko://blobgc@127.0.0.1:25522";

    @Test
    void membersWithTheirPartitionsThenTheSilentOnesAndNothingWithoutPartitions() {
        List<String> lines = PartitionsTable.lines(List.of(new PartitionRow(0, A, true, false, 41, 3),
                new PartitionRow(1, B, true, false, 42, 0), new PartitionRow(2, null, false, false, 0, 0),
                new PartitionRow(3, A, true, true, 42, 7)));
        assertEquals(List.of("partitions: 4 on 2 member(s), 3 answering, at cycles 41-42",
                String.format("%-40s %s", "MEMBER", "PARTITIONS"),
                String.format("%-40s %s", A, "0 3"),
                String.format("%-40s %s", B, "1"),
                String.format("%-40s %s", "(not answering)", "2")), lines);
        assertEquals(List.of(), PartitionsTable.lines(List.of()), "the coordinator hosting every partition");
        assertEquals(List.of(), PartitionsTable.lines(null), "a summary from a member that predates the list");
    }
}
