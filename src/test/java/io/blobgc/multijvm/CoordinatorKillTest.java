package io.blobgc.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import io.blobgc.Postgres;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Scenario a: kill -9 of the JVM that hosts the coordinator during steady cycles. The singleton starts on a
 * survivor, recovers from the journal, warms up, and cycles resume; no pin, status or history entry is lost.
 * Measures the failover time (kill -> next completed cycle) over several kills.
 */
class CoordinatorKillTest {

    @Test
    void killingTheCoordinatorLosesNothingOnPostgres() throws Exception {
        Postgres.assume();
        Postgres.clean();
        run("a-postgres", Postgres.nodeConfig(), 3);
    }

    @Test
    void killingTheCoordinatorLosesNothingOnH2InServerMode() throws Exception {
        run("a-h2", "", 1);
    }

    private void run(String name, String journal, int kills) throws Exception {
        try (Scenario s = Scenario.start(name, 3, journal)) {
            String held2 = s.upload("held on node 2"), held3 = s.upload("held on node 3");
            String pinned = s.upload("pinned"), unused = s.upload("unused");
            s.lease(2, "vm", held2);
            s.lease(3, "vm", held3);
            s.pin(pinned, "ops");
            s.awaitStatus(unused, "COLLECTED");
            List<Double> times = new ArrayList<>();
            for (int k = 1; k <= kills; k++) {
                Map<Long, JsonNode> historyBefore = s.history();
                long lastCycleBefore = historyBefore.keySet().stream().mapToLong(Long::longValue).max().orElseThrow();
                int victim = s.coordinator();
                double t = s.killCoordinator();
                times.add(t);
                System.out.printf(Locale.ROOT, "%s: kill %d of the coordinator (node%d): failover %.1f s%n", name, k,
                        victim, t);

                // nothing lost: pins, statuses, history
                JsonNode p = s.blob(pinned);
                assertEquals("PINNED", p.path("status").asText());
                assertEquals("ops", p.path("pins").get(0).path("owner").asText());
                assertEquals("COLLECTED", s.status(unused));
                for (String h : List.of(held2, held3)) {
                    if (victim == 2 && h.equals(held2) || victim == 3 && h.equals(held3)) continue; // its holder died
                    assertEquals("ACTIVE", s.status(h));
                    assertTrue(s.onDisk(h));
                }
                Map<Long, JsonNode> historyAfter = s.history();
                assertTrue(historyAfter.containsKey(lastCycleBefore), "cycle " + lastCycleBefore + " is in the history");
                for (var e : historyBefore.entrySet()) {
                    if (historyAfter.containsKey(e.getKey())) {
                        assertEquals(e.getValue(), historyAfter.get(e.getKey()), "history of cycle " + e.getKey());
                    }
                }
                // cycles resume: an unused blob uploaded now is collected
                String later = s.upload("unused after kill " + k + " of " + name);
                s.awaitStatus(later, "COLLECTED");
                if (k < kills) {
                    s.restart(victim); // a new incarnation on the same host:port
                    if (victim == 2 || victim == 3) { // its VM comes back: it uploads its blob again and holds it
                        String h = victim == 2 ? held2 : held3;
                        s.upload(victim == 2 ? "held on node 2" : "held on node 3");
                        s.lease(victim, "vm", h);
                    }
                    s.awaitReporting(3);
                }
            }
            assertNotEquals(0, times.size());
            System.out.printf(Locale.ROOT, "%s: failover after kill -9 of the coordinator: median %.1f s, range %.1f-%.1f s"
                            + " over %d kills%n", name, Scenario.median(times),
                    times.stream().mapToDouble(Double::doubleValue).min().orElseThrow(),
                    times.stream().mapToDouble(Double::doubleValue).max().orElseThrow(), times.size());
        }
    }
}
