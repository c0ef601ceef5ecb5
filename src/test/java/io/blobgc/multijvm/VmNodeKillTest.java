package io.blobgc.multijvm;

import io.blobgc.Postgres;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Scenario c: kill -9 of a VM node (not the coordinator's). The split brain resolver downs it, membership removes
 * it, its references are dropped: blobs only it used are collected after grace; blobs also used elsewhere stay.
 */
class VmNodeKillTest {

    @Test
    void aCrashedNodesBlobsAreCollectedUnlessUsedElsewhere() throws Exception {
        Postgres.assume();
        Postgres.clean();
        try (Scenario s = Scenario.start("c-postgres", 3, Postgres.nodeConfig())) {
            String onlyNode3 = s.upload("used only on node 3"), shared = s.upload("used on nodes 2 and 3");
            s.lease(3, "vm", onlyNode3, shared);
            s.lease(2, "vm", shared);
            assertEquals(1, s.coordinator(), "node1, not node3, hosts the coordinator");
            s.nodes.kill(3);
            Scenario.await("node3 removed from the coordinator's view",
                    () -> s.nodes.summary().path("nodes").size() == 2);
            s.awaitStatus(onlyNode3, "COLLECTED");
            assertTrue(!s.onDisk(onlyNode3));
            String marker = s.upload("unused, to see a few more cycles pass");
            s.awaitStatus(marker, "COLLECTED");
            assertEquals("ACTIVE", s.status(shared));
            assertTrue(s.onDisk(shared));
        }
    }
}
