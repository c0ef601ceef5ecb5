package io.blobgc.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import io.blobgc.Postgres;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 25's multi-JVM target at {@code partition-hosting = sharded}: three node JVMs on PostgreSQL, P = 16 partition
 * entities spread over the members under the conductor singleton. Each node holds blobs of many partitions, one blob
 * is pinned. kill -9, alternately, of the conductor's member and of another member hosting partitions: every
 * partition starts on a survivor, recovers its journal and cycles again; nothing held or pinned leaves the store
 * (watched every 20 ms), an unused blob uploaded after the kill is collected, and the killed member, started again,
 * joins and takes partitions over. Prints, per kill, the seconds from the kill to every partition answering a cycle
 * that started after it, and their median.
 */
class ShardedFailoverTest {

    private static final int PARTITIONS = 16;

    @Test
    void killingMembersThatHostPartitionsOrTheConductorLosesNothingAndEveryPartitionCyclesAgain() throws Exception {
        Postgres.assume();
        Postgres.clean();
        String common = Postgres.nodeConfig() + """

                blob-gc.partitions = 16
                blob-gc.partition-hosting = sharded
                pekko.cluster.sharding.rebalance-interval = 2s
                """;
        int kills = Math.max(1, Integer.getInteger(CoordinatorKillTest.KILLS, 5));
        try (Scenario s = Scenario.start("sharded-p16", 3, common)) {
            Map<String, String> watched = new ConcurrentHashMap<>();
            Set<String> violations = ConcurrentHashMap.newKeySet();
            Map<Integer, List<String>> held = new TreeMap<>();
            for (int node = 1; node <= 3; node++) held.put(node, holdSix(s, node, 0));
            held.forEach((node, hs) -> hs.forEach(h -> watched.put(h, "node" + node)));
            String pinned = s.upload("pinned");
            s.pin(pinned, "ops");
            watched.put(pinned, "pin");
            String unused = s.upload("unused");
            s.awaitStatus(unused, "COLLECTED");
            Map<Integer, Set<Integer>> spread = hosting(s);
            System.out.printf(Locale.ROOT, "sharded-p16: partitions by node at the start %s%n", spread);
            assertTrue(spread.values().stream().filter(ps -> !ps.isEmpty()).count() >= 2, "spread: " + spread);

            Thread watchdog = s.watchStore(watched, violations);
            List<Double> times = new ArrayList<>();
            try {
                for (int k = 1; k <= kills; k++) {
                    JsonNode before = s.nodes.summary();
                    int conductor = s.nodes.indexOf(before.path("coordinatorNode").asText());
                    Map<Integer, Set<Integer>> hosted = hosting(s);
                    int victim = k % 2 == 1 ? conductor : otherHost(hosted, conductor);
                    long cycleAtKill = before.path("cycle").asLong();
                    held.get(victim).forEach(watched::remove); // its VM dies with it: its blobs may go
                    long killedAt = System.currentTimeMillis();
                    s.nodes.kill(victim);
                    long[] allCyclingAt = new long[1];
                    Scenario.await("every partition cycling after the kill of node" + victim, () -> {
                        JsonNode now = s.nodes.summary(Scenario.POLL);
                        if (now == null || !allCycledSince(now, cycleAtKill)) return false;
                        allCyclingAt[0] = System.currentTimeMillis();
                        return true;
                    });
                    double t = (allCyclingAt[0] - killedAt) / 1000.0;
                    times.add(t);
                    System.out.printf(Locale.ROOT, "sharded-p16: kill %d of node%d (%s, hosting partitions %s): "
                                    + "every partition cycling again after %.1f s%n", k, victim,
                            victim == conductor ? "the conductor's member" : "not the conductor's",
                            hosted.get(victim), t);
                    s.restartInBackground(victim);

                    // nothing lost: the pin, the survivors' blobs; cycles go on: an unused blob is collected
                    assertEquals("PINNED", s.status(pinned));
                    for (var e : held.entrySet()) {
                        if (e.getKey() == victim) continue;
                        for (String h : e.getValue()) assertEquals("ACTIVE", s.status(h), "held on node" + e.getKey());
                    }
                    String later = s.upload("unused after kill " + k);
                    s.awaitStatus(later, "COLLECTED");
                    assertTrue(!s.onDisk(later), "collected and deleted: " + later);

                    // the killed member comes back, its VM holds its blobs again, and it takes partitions over
                    s.awaitRestarted(victim);
                    held.put(victim, holdSix(s, victim, k));
                    held.get(victim).forEach(h -> watched.put(h, "node" + victim));
                    s.awaitReporting(3);
                    Scenario.await("node" + victim + " hosting partitions again", () -> {
                        Map<Integer, Set<Integer>> now = hosting(s);
                        return !now.getOrDefault(victim, Set.of()).isEmpty();
                    });
                }
            } finally {
                watchdog.interrupt();
            }
            assertEquals(Set.of(), violations, "nothing held or pinned left the store");
            System.out.printf(Locale.ROOT, "sharded-p16: kill -9 -> every partition cycling again: median %.1f s, "
                            + "range %.1f-%.1f s over %d kills (%d partitions, 3 members); at the end %s%n",
                    Scenario.median(times), times.stream().mapToDouble(Double::doubleValue).min().orElseThrow(),
                    times.stream().mapToDouble(Double::doubleValue).max().orElseThrow(), times.size(), PARTITIONS,
                    hosting(s));
        }
    }

    /**
     * Node {@code node}'s VM holds six blobs (uploaded, or uploaded again after its restart: the same content) named
     * by the node and {@code round}, each in whichever partition its hash falls.
     */
    private static List<String> holdSix(Scenario s, int node, int round) throws Exception {
        List<String> hs = new ArrayList<>();
        for (int i = 0; i < 6; i++) hs.add(s.upload("held on node " + node + ", blob " + i + ", round " + round));
        s.lease(node, "vm", hs.toArray(String[]::new));
        return hs;
    }

    /** Whether every partition answered the summary and ran a cycle the conductor started after {@code cycle}. */
    private static boolean allCycledSince(JsonNode summary, long cycle) {
        JsonNode ps = summary.path("partitions");
        if (ps.size() != PARTITIONS) return false;
        for (JsonNode p : ps) {
            if (!p.path("answered").asBoolean() || p.path("cycle").asLong() <= cycle) return false;
        }
        return true;
    }

    /** The partitions each node hosts, by the summary's list (partitions that did not answer left out). */
    private static Map<Integer, Set<Integer>> hosting(Scenario s) {
        JsonNode summary = s.nodes.summary();
        Map<Integer, Set<Integer>> out = new TreeMap<>();
        if (summary == null) return out;
        for (JsonNode p : summary.path("partitions")) {
            if (!p.path("answered").asBoolean()) continue;
            out.computeIfAbsent(s.nodes.indexOf(p.path("member").asText()), i -> new TreeSet<>())
                    .add(p.path("partition").asInt());
        }
        return out;
    }

    /** A member other than the conductor's that hosts partitions. */
    private static int otherHost(Map<Integer, Set<Integer>> hosted, int conductor) {
        for (var e : hosted.entrySet()) {
            if (e.getKey() != conductor && !e.getValue().isEmpty()) return e.getKey();
        }
        throw new AssertionError("no member but the conductor's hosts partitions: " + hosted);
    }
}
