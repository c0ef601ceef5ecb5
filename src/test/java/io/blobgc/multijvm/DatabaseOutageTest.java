package io.blobgc.multijvm;

import io.blobgc.Postgres;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The journal's database goes away, on real JVMs and a real PostgreSQL, three ways in one cluster. Scenario e: the
 * role may not log in and its sessions are terminated for 15 s during cycles: nothing is deleted meanwhile, no cycle
 * completes, and collection resumes when it is back. Issue 26, item 4: the server is restarted ({@code pg_ctlcluster
 * … restart}), and then stopped for longer than the connection pool's timeout (5 s in config/postgres.conf), each in
 * the middle of a sweep (2 deletions a second). Whenever the coordinator answers, a blob gone from the store is DELETING
 * or COLLECTED: nothing is deleted without its persisted fence, before, during or after the outage. Collection resumes
 * by itself: every blob of the sweep is collected, a blob a VM leases stays, and the time from the server's return to
 * the next completed cycle is printed.
 */
class DatabaseOutageTest {

    private static final Set<String> FENCED = Set.of("DELETING", "COLLECTED");

    @Test
    void loginsRefusedARestartAndALongStopOfTheJournalsServerDeleteNothingUnfencedAndCollectionResumes()
            throws Exception {
        Postgres.assume();
        Postgres.server("status"); // skips here, before any node starts, where the server cannot be restarted
        Postgres.clean();
        // The coordinator restarts with backoff while its journal is down (1 s doubling to 30 s by default); the three
        // outages come within the backoff's reset window of each other, so by default the third waits out up to 30 s of
        // backoff after the server is back. This test measures the recovery, not the backoff: at most 2 s of it.
        String common = Postgres.nodeConfig() + "\nblob-gc.sweeper.max-deletes-per-second = 2"
                + "\nblob-gc.coordinator.restart-backoff.max = 2s";
        List<String> resumed = new ArrayList<>();
        try (Scenario s = Scenario.start("db-restart", 3, common)) {
            String kept = s.upload("leased through every outage");
            s.lease(2, "vm", kept);
            s.awaitStatus(kept, "ACTIVE");
            loginRefused(s);
            for (String outage : List.of("restart", "stop for 12 s")) {
                List<String> sweep = new ArrayList<>();
                for (int i = 0; i < 12; i++) sweep.add(s.upload(outage + ": swept " + i));
                // held while uploaded, then let go at once: marked and fenced together, deleted 2 a second
                s.lease(3, "uploader", sweep.toArray(String[]::new));
                for (String h : sweep) s.awaitStatus(h, "ACTIVE");
                s.dropLease(3, "uploader");
                Scenario.await("the sweep under way", () -> {
                    int gone = 0;
                    for (String h : sweep) if (!s.onDisk(h)) gone++;
                    return gone >= 1 && gone <= sweep.size() - 4;
                });
                if (outage.equals("restart")) {
                    Postgres.server("restart");
                } else {
                    Postgres.server("stop");
                    long until = System.nanoTime() + 12_000_000_000L;
                    while (System.nanoTime() < until) {
                        assertTrue(s.onDisk(kept), "a leased blob stays");
                        Thread.sleep(100);
                    }
                    Postgres.server("start");
                }
                long backAt = System.nanoTime();
                long cycleAtReturn = cycle(s);
                double[] firstCycle = {-1};
                Scenario.await("every blob of the sweep collected after the " + outage, () -> {
                    long c = cycle(s);
                    if (firstCycle[0] < 0 && c > cycleAtReturn && cycleAtReturn >= 0) {
                        firstCycle[0] = (System.nanoTime() - backAt) / 1e9;
                    }
                    int collected = 0;
                    for (String h : sweep) {
                        boolean onDisk = s.onDisk(h); // read before the status: a deletion cannot be undone
                        String status = statusOrNull(s, h);
                        if (status == null) return false; // the coordinator is not answering yet
                        if (!onDisk) assertTrue(FENCED.contains(status), h + " is gone from the store but " + status);
                        if (status.equals("COLLECTED") && !onDisk) collected++;
                    }
                    return collected == sweep.size();
                });
                assertEquals("ACTIVE", s.status(kept));
                assertTrue(s.onDisk(kept));
                resumed.add(String.format(Locale.ROOT, "%s: first completed cycle %.1f s after the server was back",
                        outage, firstCycle[0]));
            }
            String after = s.upload("uploaded after every outage");
            s.awaitStatus(after, "COLLECTED");
        } finally {
            Postgres.serverRunning(); // whatever happened, the next tests have their server
            resumed.forEach(System.out::println);
        }
    }

    /** Scenario e: the role may not log in and its sessions are ended, for 15 s of cycles. */
    private static void loginRefused(Scenario s) throws Exception {
        String victim = s.upload("unreferenced when the journal goes down");
        s.awaitStatus(victim, "UNREFERENCED");
        long cycleAtOutage = s.nodes.summary().path("cycle").asLong();
        long downAt = System.nanoTime();
        long lastCycleSeen = cycleAtOutage;
        try {
            Postgres.superuser("ALTER ROLE blobgc NOLOGIN");
            Postgres.superuser("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'blobgc'");
            // grace is 2 s and cycles run every 0.5 s: 15 s of outage is plenty of time to delete, if it could
            while (System.nanoTime() - downAt < 15_000_000_000L) {
                assertTrue(s.onDisk(victim), "nothing may be deleted while the journal is down");
                var summary = s.nodes.summary(); // 503 (null) while the coordinator restarts
                if (summary != null) lastCycleSeen = Math.max(lastCycleSeen, summary.path("cycle").asLong());
                Thread.sleep(100);
            }
        } finally {
            Postgres.superuser("ALTER ROLE blobgc LOGIN");
        }
        assertTrue(lastCycleSeen <= cycleAtOutage + 1,
                "no cycle completes without the journal: " + cycleAtOutage + " -> " + lastCycleSeen);
        s.awaitStatus(victim, "COLLECTED");
        assertTrue(!s.onDisk(victim), "collection resumed once the journal was back");
    }

    /** The coordinator's cycle, or -1 while it does not answer. */
    private static long cycle(Scenario s) {
        var summary = s.nodes.summary();
        return summary == null ? -1 : summary.path("cycle").asLong();
    }

    private static String statusOrNull(Scenario s, String hex) {
        try {
            return s.status(hex);
        } catch (Exception notAnswering) {
            return null;
        }
    }
}
