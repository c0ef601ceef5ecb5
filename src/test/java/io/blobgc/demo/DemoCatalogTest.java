package io.blobgc.demo;

import io.blobgc.BlobHash;
import io.blobgc.ledger.Partitioning;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The demo's catalog: every blob its own hash, and at eight partitions most functions call a library another partition
 * owns — what the randomized run at {@code -Dblobgc.safety.partitions=8} puts through the cross-partition protocol.
 */
class DemoCatalogTest {

    @Test
    void everyBlobIsItsOwnHashAndAtEightPartitionsFunctionsCallLibrariesOfOtherPartitions() {
        DemoCatalog catalog = new DemoCatalog(), again = new DemoCatalog();
        Partitioning eight = Partitioning.of(8);
        int calls = 0, crossing = 0;
        Set<BlobHash> distinct = new HashSet<>();
        for (int i = 0; i < catalog.size(); i++) {
            assertEquals(catalog.hash(i), again.hash(i));
            assertEquals(catalog.hash(i), BlobHash.sha256(catalog.content(i)));
            distinct.add(catalog.hash(i));
            for (BlobHash d : catalog.dependencies(i)) {
                calls++;
                if (eight.partitionOf(d) != eight.partitionOf(catalog.hash(i))) crossing++;
            }
        }
        assertEquals(catalog.size(), distinct.size(), "every blob its own hash");
        assertTrue(calls > 0 && crossing > calls / 2, crossing + " of " + calls + " calls cross partitions");
    }
}
