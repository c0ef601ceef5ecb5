package io.blobgc.demo;

import com.typesafe.config.ConfigFactory;
import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;
import io.blobgc.ledger.Partitioning;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The demo's catalog: the same blobs as always, unless its nodes host their partitions sharded — then every function
 * is in its library's partition, since partition entities refuse cross-partition dependencies for now.
 */
class DemoCatalogTest {

    @Test
    void shardedPartitionsKeepEveryFunctionWithItsLibraryAndTheDemoAsItWasOtherwise() {
        DemoCatalog plain = new DemoCatalog(), again = new DemoCatalog(null);
        Partitioning eight = Partitioning.of(8);
        DemoCatalog together = new DemoCatalog(eight);
        int crossingBefore = 0, changed = 0;
        Set<BlobHash> distinct = new HashSet<>();
        for (int i = 0; i < plain.size(); i++) {
            assertEquals(plain.hash(i), again.hash(i));
            distinct.add(together.hash(i));
            if (!plain.hash(i).equals(together.hash(i))) changed++;
            for (BlobHash d : plain.dependencies(i)) {
                if (eight.partitionOf(d) != eight.partitionOf(plain.hash(i))) crossingBefore++;
            }
            for (BlobHash d : together.dependencies(i)) {
                assertEquals(eight.partitionOf(d), eight.partitionOf(together.hash(i)), together.name(i));
            }
            assertEquals(together.hash(i), BlobHash.sha256(together.content(i)));
        }
        assertEquals(plain.size(), distinct.size(), "every blob its own hash");
        assertTrue(crossingBefore > 0 && changed > 0, "the plain catalog crosses partitions: " + crossingBefore);
        BlobGcSettings sharded = BlobGcSettings.from(ConfigFactory.parseString("""
                pekko.actor.provider = cluster
                blob-gc { partitions = 8, partition-hosting = sharded }
                """).withFallback(ConfigFactory.load()));
        assertEquals(together.hash(DemoCatalog.function(3)), DemoCatalog.of(sharded).hash(DemoCatalog.function(3)));
        assertEquals(plain.hash(DemoCatalog.function(3)),
                DemoCatalog.of(sharded.withValue("partition-hosting", "coordinator")).hash(DemoCatalog.function(3)));
        assertNotEquals(plain.hash(DemoCatalog.function(3)), together.hash(DemoCatalog.function(3)),
                "f3 calls a library of another partition in the plain catalog");
    }
}
