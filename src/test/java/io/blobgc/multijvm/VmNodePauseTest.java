package io.blobgc.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import io.blobgc.Postgres;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 26, item 2, on real JVMs: a VM node's JVM is stopped (SIGSTOP) for longer than
 * {@code stale-report-threshold} (4 s here) while it holds a blob through a lease. Late is not dead: while it is
 * stale and still a member, its blob stays held (policy retain, S4) and collection goes on around it; resumed, it is
 * live again and still holds it. Stopped a second time until the cluster downs and removes it
 * ({@code split-brain-resolver.stable-after} = 20 s), its blob is collected only after the removal; resumed then, the
 * removed node's JVM exits.
 */
class VmNodePauseTest {

    private static final String STABLE_AFTER = "20s";

    @Test
    void aPausedVmNodesBlobsStayHeldWhileItIsStaleAndAreCollectedOnlyOnceItIsRemoved() throws Exception {
        Postgres.assume();
        Postgres.clean();
        String common = Postgres.nodeConfig() + "\npekko.cluster.split-brain-resolver.stable-after = " + STABLE_AFTER;
        try (Scenario s = Scenario.start("vm-pause", 3, common)) {
            int coordinator = s.coordinator();
            int vm = coordinator == 3 ? 2 : 3; // never node 1, which the scenario asks; never the coordinator's
            String held = s.upload("held by a VM whose JVM is paused");
            s.lease(vm, "vm", held);
            Scenario.await("the VM node reports its lease", () -> s.blob(held).path("referencedBy").size() == 1);
            Process p = s.nodes.process(vm);
            String vmAddress = null;
            for (JsonNode n : s.nodes.summary().path("nodes")) {
                if (s.nodes.indexOf(n.path("node").asText()) == vm) vmAddress = n.path("node").asText();
            }
            String address = vmAddress;

            NodeProcesses.signal(p, "STOP");
            long stoppedAt = System.nanoTime();
            Scenario.await("the paused VM node STALE", () -> "STALE".equals(state(s, address)));
            String other = s.upload("unused, collected while the VM node is paused");
            s.awaitStatus(other, "COLLECTED");
            assertEquals("ACTIVE", s.status(held), "a stale member's lease still holds its blob");
            assertTrue(s.onDisk(held));
            assertTrue(System.nanoTime() - stoppedAt < TimeUnit.SECONDS.toNanos(15),
                    "still within stable-after: not downed yet (a slow machine; raise " + STABLE_AFTER + ")");
            NodeProcesses.signal(p, "CONT");
            Scenario.await("the resumed VM node LIVE again", () -> "LIVE".equals(state(s, address)));
            assertEquals("ACTIVE", s.status(held), "resumed, it still holds the blob");

            NodeProcesses.signal(p, "STOP");
            try {
                Scenario.await("the paused VM node removed from the cluster, its blob collected", () -> {
                    boolean member = state(s, address) != null;
                    boolean onDisk = s.onDisk(held);
                    if (member && !onDisk) throw new AssertionError("collected while its node was still a member");
                    return !member && s.status(held).equals("COLLECTED") && !onDisk;
                });
            } finally {
                NodeProcesses.signal(p, "CONT");
            }
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the removed node's JVM exits once resumed");
        }
    }

    /** The node's state in the coordinator's summary (LIVE, STALE…), or null when it is not listed. */
    private static String state(Scenario s, String address) {
        for (JsonNode n : s.nodes.summary().path("nodes")) {
            if (n.path("node").asText().equals(address)) return n.path("state").asText();
        }
        return null;
    }
}
