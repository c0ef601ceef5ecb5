package io.blobgc.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The checker's reading of a VM's use log: holds end where the node left the cluster, by a kill or a long pause. */
class UseLogTest {

    private static final String H = "00".repeat(32);

    @Test
    void holdsEndAtAKillAndTheNextIncarnationsBeginAfresh(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("vm.log");
        Files.writeString(log, "100 acquire 1 " + H + "\n150 acquire 2 " + H + "\n160 release 2 " + H + "\n"
                + "300 acquire 1 " + H + "\n");
        Map<Integer, List<long[]>> holds = new HashMap<>();
        UseLog.Totals t = UseLog.read(log, List.of(200L), 1000, holds);
        assertEquals(3, t.acquires());
        assertEquals(2, holds.get(1).size());
        assertArrayEquals(new long[]{100, 200}, holds.get(1).get(0), "open at the kill: ends there");
        assertArrayEquals(new long[]{300, 1000}, holds.get(1).get(1), "the next incarnation's: ends at the end");
        assertArrayEquals(new long[]{150, 160}, holds.get(2).get(0));
    }

    /**
     * A node paused at 200 and downed meanwhile logs an acquire when it is resumed (an answer granted before its
     * removal), and a release, before its JVM exits at 260: neither counts, and the hold from 100 ends at 200.
     */
    @Test
    void whatANodeLogsBetweenItsPauseAndItsExitIsNotAHold(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("vm.log");
        Files.writeString(log, "100 acquire 1 " + H + "\n240 acquire 2 " + H + "\n250 release 1 " + H + "\n"
                + "300 acquire 3 " + H + "\n");
        Map<Integer, List<long[]>> holds = new HashMap<>();
        UseLog.Totals t = UseLog.readAround(log, List.of(new long[]{200, 260}), 1000, holds);
        assertEquals(2, t.acquires());
        assertEquals(0, t.releases());
        assertEquals(1, holds.get(1).size());
        assertArrayEquals(new long[]{100, 200}, holds.get(1).get(0));
        assertEquals(null, holds.get(2), "acquired while out of the cluster: no hold");
        assertArrayEquals(new long[]{300, 1000}, holds.get(3).get(0));
    }
}
