package io.blobgc.multijvm;

import io.blobgc.Postgres;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * S10 on real JVMs (issue 22, step d): the coordinator's JVM is stopped (SIGSTOP) while its sweeper works through a
 * batch it was handed (2 deletions a second), a successor on another member takes over and finishes the batch, a VM
 * on a third member uploads all of the batch's blobs again and holds them through a lease, and then the old JVM is
 * resumed (SIGCONT). Nothing a VM holds is missing from the store afterwards: the old instance's writes are refused
 * (the successor's takeover took their sequence numbers), and its sweeper's batch deadline passed while it was
 * stopped; the successor refused the re-uploads (503, retry) until that deadline was surely over.
 */
class CoordinatorPauseTest {

    /** A blob's status as {@code node} answers it (the stopped JVM answers nothing). */
    private static String status(Scenario s, int node, String hex) throws Exception {
        var r = s.nodes.get(node, "/v1/blobs/" + hex);
        if (r.status() != 200) throw new IllegalStateException("GET blob: " + r.status() + " " + r.json());
        return r.json().path("status").asText();
    }

    @Test
    void aResumedCoordinatorDeletesNothingAVmHoldsAgain() throws Exception {
        Postgres.assume();
        Postgres.clean();
        String common = Postgres.nodeConfig() + """

                blob-gc.sweeper.max-deletes-per-second = 2
                blob-gc.sweeper.batch-deadline = 8s
                """;
        try (Scenario s = Scenario.start("s10-pause", 3, common)) {
            List<String> blobs = new ArrayList<>();
            for (int i = 0; i < 30; i++) blobs.add(s.upload("paused coordinator's batch " + i));
            int victim = s.coordinator();
            int vm = victim == 3 ? 2 : 3;
            // held while uploaded, then let go at once: marked and handed to the sweeper together
            s.lease(vm, "uploader", blobs.toArray(String[]::new));
            for (String h : blobs) s.awaitStatus(h, "ACTIVE");
            s.dropLease(vm, "uploader");
            Scenario.await("the sweeper deleting (some gone, some DELETING)", () -> {
                int gone = 0, deleting = 0;
                for (String h : blobs) {
                    if (!s.onDisk(h)) gone++;
                    else if (s.status(h).equals("DELETING")) deleting++;
                }
                return gone >= 2 && deleting >= 5;
            });
            Process old = s.nodes.process(victim);
            NodeProcesses.signal(old, "STOP");
            try {
                Scenario.await("a warm successor on another member", () -> {
                    var sum = s.nodes.get(vm, "/v1/summary").json();
                    return sum != null && s.nodes.indexOf(sum.path("coordinatorNode").asText()) != victim
                            && !sum.path("warmingUp").asBoolean();
                });
                for (String h : blobs) {
                    Scenario.await(h.substring(0, 12) + " COLLECTED", () -> status(s, vm, h).equals("COLLECTED"));
                }
                // a VM uploads them all again (503 retry while the old sweeper may still delete) and holds each as
                // soon as it is taken (held by nobody, one would be collected again after the 2 s grace while the
                // VM still waits for the others)
                int retried = 0;
                for (int i = 0; i < blobs.size(); i++) {
                    byte[] bytes = ("paused coordinator's batch " + i).getBytes();
                    while (true) {
                        var r = s.nodes.send(vm, "PUT", "/v1/blobs/" + blobs.get(i), bytes, "application/octet-stream");
                        if (r.status() == 201) break;
                        assertEquals(503, r.status(), String.valueOf(r.json()));
                        retried++;
                        Thread.sleep(200); // a poll: each blob held as soon as it is taken (grace is 2 s)
                    }
                    s.lease(vm, "vm", blobs.subList(0, i + 1).toArray(String[]::new));
                }
                for (String h : blobs) assertTrue(s.onDisk(h));
                System.out.println("re-uploads answered 503 (retry) " + retried + " times before they were taken");
            } finally {
                NodeProcesses.signal(old, "CONT");
            }
            // the old JVM runs again: its timers fire, its sweeper looks at the batch it held
            old.waitFor(30, TimeUnit.SECONDS); // downed while stopped: it exits once it learns of it
            Thread.sleep(3_000); // deliberate: time for the resumed JVM to act, to show it deletes nothing
            for (String h : blobs) {
                assertTrue(s.onDisk(h), "a blob the VM holds again was deleted from the store: " + h);
                assertEquals("ACTIVE", status(s, vm, h));
            }
            String log = Files.readString(s.nodes.dir.resolve("node" + victim + ".log"));
            assertTrue(log.contains("Failed to persist") || log.contains("not done within the batch deadline"),
                    "the resumed instance's log says it was fenced: its write refused, or its batch out of time");
        }
    }
}
