package io.blobgc.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import io.blobgc.Postgres;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 26, item 3, on real JVMs and PostgreSQL: node JVMs whose wall clocks disagree by minutes, the coordinator
 * moved between them by kill -9 twice. node1's clock is right, node2's runs 10 min behind, node3's 10 min ahead
 * (libfaketime: {@code FAKETIME=±10m}, {@code FAKETIME_DONT_FAKE_MONOTONIC=1}, so only the wall clock shifts and
 * {@code System.nanoTime} stays real; no clock hook in production code). The nodes start one by one, so the singleton
 * goes node1 (0) → node2 (−10 min) → node3 (+10 min).
 *
 * <p>What grace does under skew (design.md, "Clocks disagree"): a blob's grace counts from the {@code since} that the
 * coordinator of the time wrote with its own wall clock ({@code CyclePlanner}: {@code now - since >= grace}), and a
 * later coordinator compares it with its own wall clock. Move 1 goes 10 min back: a blob that became unreferenced just
 * before it has its grace stretched by 10 min (seen: it stays UNREFERENCED under node2 for many graces while blobs
 * unused after the move are collected). Move 2 goes 20 min forward: the grace of every blob node2 made unreferenced is
 * over at once by node3's clock (shrunk by 20 min: were grace 5 min, it would be gone), and node3 marks and deletes
 * them at its first cycles after the warm-up. The design does not promise grace under skew; it promises safety
 * without timing: S5 (nothing marked before every member's FULL report), S2/S3 (a marked blob held again is rescued;
 * marks and deletions wait for complete views after the decision, counted in ticks) and the acquire fence S6 (a VM
 * holds a blob only through an acquire, refused once the blob is DELETING or COLLECTED). So the test asserts: no blob
 * a VM holds through a lease is ever missing from the store (a watchdog polls the store every 20 ms); a blob leased on
 * node1 just before move 2, while node2 still counted its grace, stays (its use was persisted with node2's time and
 * is held again by node1's FULL report in node3's warm-up); and while node3 sweeps the shrunk blobs (2 deletions a
 * second), a VM that leases one it sees MARKED or DELETING either holds it (it stays) or is answered 409 gone; every
 * blob gone from the store is DELETING or COLLECTED; unused blobs are collected after each move.
 */
class ClockSkewTest {

    private static final String[] SKEW = {null, null, "-10m", "+10m"};
    private static final long GRACE_MS = 2_000;
    private static final long MINUTE = 60_000;
    private static final Set<String> FENCED = Set.of("DELETING", "COLLECTED");

    @Test
    void theCoordinatorMovingBetweenNodesWhoseClocksAreMinutesApartDeletesNothingInUseAndStillCollects()
            throws Exception {
        Postgres.assume();
        String lib = FakeClock.library();
        Assumptions.assumeTrue(lib != null, "libfaketime not installed (Debian: apt-get install faketime): "
                + "the clock-skew test needs it to shift the node JVMs' wall clocks");
        Postgres.clean();
        Map<Integer, Map<String, String>> env = new LinkedHashMap<>();
        for (int i = 2; i <= 3; i++) env.put(i, FakeClock.environment(lib, SKEW[i])); // what `faketime -f ±10m` sets
        String common = Postgres.nodeConfig() + "\nblob-gc.sweeper.max-deletes-per-second = 2";
        Map<String, String> held = new ConcurrentHashMap<>(); // hash -> who holds it: must be in the store
        Set<String> violations = ConcurrentHashMap.newKeySet();
        List<String> seen = new ArrayList<>();
        long t0 = System.nanoTime();
        try (Scenario s = Scenario.start("clock-skew", 3, common, Map.of(), env, true)) {
            seen.add(String.format(Locale.ROOT, "3 nodes up in %.1f s", secondsSince(t0)));
            Thread watchdog = s.watchStore(held, violations);
            try {
                assertEquals(1, s.coordinator());
                String keptA = s.upload("kept: leased on node3 through both moves");
                s.lease(3, "vm", keptA);
                held.put(keptA, "leased on node3");
                String fresh0 = s.upload("unused before the moves");
                s.awaitStatus(fresh0, "COLLECTED");

                // ---- a blob unreferenced by node1 (clock right) just before move 1
                String stretched = s.upload("unreferenced just before move 1");
                s.lease(3, "pre", stretched);
                s.awaitStatus(stretched, "ACTIVE");
                s.dropLease(3, "pre");
                s.awaitStatus(stretched, "UNREFERENCED");
                long stretchedSince = s.blob(stretched).path("unreferencedSince").asLong();
                assertTrue(Math.abs(stretchedSince - System.currentTimeMillis()) < MINUTE, "node1's clock is right");

                // ---- move 1: node1 (0) -> node2 (-10 min), a step 10 min back
                seen.add(String.format(Locale.ROOT, "move 1 (kill -9 node1 -> node2): warm in %.1f s",
                        move(s, 1, 2)));
                long warm1 = System.nanoTime();
                long offset2 = coordinatorClockOffset(s);
                assertTrue(offset2 < -9 * MINUTE && offset2 > -11 * MINUTE, "node2's clock 10 min behind: " + offset2);
                String fresh1 = s.upload("unused after move 1");
                long fresh1At = System.nanoTime();
                s.restart(1); // the youngest member now: move 2 goes to node3
                s.awaitReporting(3);
                String keptB = s.upload("kept: leased on node1 through move 2");
                s.lease(1, "vm", keptB);
                held.put(keptB, "leased on node1");

                // ---- blobs unreferenced by node2 (10 min behind) just before move 2
                List<String> shrunk = new ArrayList<>();
                for (int i = 0; i < 6; i++) shrunk.add(s.upload("unreferenced by node2, " + i));
                s.lease(3, "batch", shrunk.toArray(String[]::new));
                for (String h : shrunk) s.awaitStatus(h, "ACTIVE");
                s.dropLease(3, "batch");
                for (String h : shrunk) s.awaitStatus(h, "UNREFERENCED");
                long shrunkSince = s.blob(shrunk.get(5)).path("unreferencedSince").asLong();
                assertTrue(shrunkSince < System.currentTimeMillis() - 9 * MINUTE, "since written by node2's clock");
                String lateUse = shrunk.get(0); // used again while node2 still counted its grace
                s.lease(1, "late", lateUse);
                held.put(lateUse, "leased on node1 in its grace, just before move 2");
                while (System.nanoTime() - fresh1At < 3 * GRACE_MS * 1_000_000) Thread.sleep(100);
                // queued behind the stretched blob, whose grace node2's clock puts 10 min ahead: found by this test,
                // collection stalled behind it until CyclePlanner skipped graces not over when the queue's times go back
                s.awaitStatus(fresh1, "COLLECTED");
                assertFalse(s.onDisk(fresh1));
                seen.add(String.format(Locale.ROOT, "under node2: a blob unused %.1f s after the warm-up, queued behind "
                        + "the stretched one, collected %.1f s after that (grace %d s)", (fresh1At - warm1) / 1e9,
                        secondsSince(fresh1At), GRACE_MS / 1000));
                assertEquals("UNREFERENCED", s.status(stretched), "grace stretched by 10 min: not marked");
                seen.add(String.format(Locale.ROOT, "stretched: still UNREFERENCED %.1f s after node2's warm-up "
                        + "(grace %d s)", (System.nanoTime() - warm1) / 1e9, GRACE_MS / 1000));

                // ---- move 2: node2 (-10 min) -> node3 (+10 min), a step 20 min forward
                long unreferencedAt = System.nanoTime();
                seen.add(String.format(Locale.ROOT, "move 2 (kill -9 node2 -> node3): warm in %.1f s",
                        move(s, 2, 3)));
                long warm2 = System.nanoTime();
                long offset3 = coordinatorClockOffset(s);
                assertTrue(offset3 > 9 * MINUTE && offset3 < 11 * MINUTE, "node3's clock 10 min ahead: " + offset3);
                // leased by a VM when first seen MARKED or DELETING (1, 2), only when seen DELETING (3, 4), never (5)
                List<String> raced = shrunk.subList(1, 5), atDeleting = shrunk.subList(3, 5);
                List<String> unraced = List.of(shrunk.get(5));
                Map<String, String> races = new LinkedHashMap<>();
                Scenario.await("the shrunk blobs swept under node3, the held ones kept", () -> {
                    if (!violations.isEmpty()) throw new AssertionError("held blobs deleted: " + violations);
                    boolean done = true;
                    for (String h : shrunk) {
                        boolean onDisk = s.onDisk(h); // before the status: a deletion cannot be undone
                        String status = s.status(h);
                        if (!onDisk) assertTrue(FENCED.contains(status), h + " gone from the store but " + status);
                        if (raced.contains(h) && !races.containsKey(h) && (status.equals("DELETING")
                                || status.equals("MARKED_FOR_COLLECTION") && !atDeleting.contains(h))) {
                            int code = s.nodes.json(1, "PUT", "/v1/node/holders/racer-" + h.substring(0, 8),
                                    "{\"hashes\":[\"" + h + "\"],\"ttl\":\"10m\"}").status();
                            if (code == 200) held.put(h, "leased on node1 when seen " + status);
                            else assertEquals(409, code, "a lease of a blob seen " + status);
                            races.put(h, status + " -> " + (code == 200 ? "held" : "409 gone"));
                        }
                        boolean keep = h.equals(lateUse) || held.containsKey(h);
                        done &= keep ? onDisk : status.equals("COLLECTED") && !onDisk;
                    }
                    return done; // a raced blob not seen in time is collected unraced
                });
                assertTrue(races.values().stream().anyMatch(r -> r.startsWith("DELETING")),
                        "no lease raced a deletion (the sweep was too fast to see): " + races);
                double swept = secondsSince(unreferencedAt);
                JsonNode u = s.blob(unraced.get(0));
                double recordedGraceMin = (u.path("collectedAt").asLong() - shrunkSince) / (double) MINUTE;
                assertTrue(recordedGraceMin > 19, "by the journal's times, 20 min passed: " + recordedGraceMin);
                seen.add(String.format(Locale.ROOT, "shrunk: unreferenced under node2, collected by node3 %.1f s "
                        + "later (%.1f s after its warm-up); by the journal's wall times %.1f min later", swept,
                        secondsSince(warm2), recordedGraceMin));
                seen.add("leases raced against node3's sweep: " + races.values());
                assertEquals("ACTIVE", s.status(lateUse), "used in its grace just before move 2: held");
                for (String h : raced) {
                    if (held.containsKey(h)) s.awaitStatus(h, "ACTIVE"); // a marked blob held again is rescued
                }
                Scenario.await("the stretched blob collected under node3", () ->
                        s.status(stretched).equals("COLLECTED") && !s.onDisk(stretched));
                String fresh2 = s.upload("unused after move 2");
                long up2 = System.nanoTime();
                s.awaitStatus(fresh2, "COLLECTED");
                seen.add(String.format(Locale.ROOT, "under node3: unused blob collected %.1f s after upload",
                        secondsSince(up2)));
                for (String h : List.of(keptA, keptB, lateUse)) {
                    assertEquals("ACTIVE", s.status(h));
                    assertTrue(s.onDisk(h));
                }
            } finally {
                watchdog.interrupt();
                watchdog.join(5_000);
            }
            assertEquals(Set.of(), violations, "blobs held through a lease deleted from the store");
        } finally {
            seen.add(String.format(Locale.ROOT, "total %.1f s", secondsSince(t0)));
            seen.forEach(line -> System.out.println("clock-skew: " + line));
        }
    }

    /**
     * kill -9 of node {@code victim}, the coordinator's; waits for a warm coordinator on node {@code next} that
     * completed a cycle. Seconds by this JVM's monotonic clock (the nodes' wall clocks disagree).
     */
    private static double move(Scenario s, int victim, int next) throws Exception {
        assertEquals(victim, s.coordinator());
        long cycle = s.nodes.summary().path("cycle").asLong();
        long t = System.nanoTime();
        s.nodes.kill(victim);
        Scenario.await("a warm coordinator on node" + next, () -> {
            JsonNode sum = s.nodes.summary(Scenario.POLL);
            if (sum == null) return false;
            int at = s.nodes.indexOf(sum.path("coordinatorNode").asText());
            if (at > 0 && at != victim && at != next) throw new AssertionError("the coordinator moved to node" + at);
            return at == next && !sum.path("warmingUp").asBoolean() && sum.path("cycle").asLong() > cycle;
        });
        return secondsSince(t);
    }

    /** The coordinator's wall clock less this JVM's, from the history's latest cycle (a warm coordinator's own). */
    private static long coordinatorClockOffset(Scenario s) throws Exception {
        Map<Long, JsonNode> history = s.history();
        long last = history.keySet().stream().mapToLong(Long::longValue).max().orElseThrow();
        return history.get(last).path("at").asLong() - System.currentTimeMillis();
    }

    private static double secondsSince(long nanos) {
        return (System.nanoTime() - nanos) / 1e9;
    }
}
