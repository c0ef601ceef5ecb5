package io.blobgc.multijvm;

import io.blobgc.Postgres;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Scenario e: the journal database becomes unavailable during cycles (the role may not log in and its sessions
 * are terminated). Nothing is deleted meanwhile; the coordinator backs off and resumes when the database is back.
 */
class JournalOutageTest {

    @Test
    void nothingIsDeletedWhileTheJournalIsDownAndCollectionResumesAfter() throws Exception {
        Postgres.assume();
        Postgres.clean();
        try (Scenario s = Scenario.start("e-postgres", 3, Postgres.nodeConfig())) {
            String warmUp = s.upload("collected before the outage");
            s.awaitStatus(warmUp, "COLLECTED");
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
            String after = s.upload("uploaded after the outage");
            s.awaitStatus(after, "COLLECTED");
        }
    }
}
