package io.blobgc;

import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Settings in code: each {@code with…} gives new settings, checked as the configuration is. */
class BlobGcSettingsTest {

    private final BlobGcSettings defaults = BlobGcSettings.from(ConfigFactory.load());

    @Test
    void theWithMethodsChangeWhatTheyName() {
        BlobGcSettings s = defaults.withGracePeriod(Duration.ofSeconds(5))
                .withCycleInterval(Duration.ofMillis(300))
                .withHeartbeatInterval(Duration.ofMillis(200))
                .withStaleReportThreshold(Duration.ofSeconds(7))
                .withDryRun(true)
                .withNodeRole("vm")
                .withCoordinatorRole("control")
                .withStoreRoot(Path.of("/srv/blobs"))
                .withMaxDeletesPerSecond(7)
                .withHttp(true, "127.0.0.1", 0)
                .withValue("sweeper.batch-size", 17);
        assertEquals(5_000, s.ledger().gracePeriodMs());
        assertEquals(Duration.ofMillis(300), s.cycleInterval());
        assertEquals(Duration.ofMillis(200), s.heartbeatInterval());
        assertEquals(7_000, s.ledger().staleThresholdMs());
        assertTrue(s.dryRun());
        assertEquals("vm", s.nodeRole());
        assertEquals("control", s.coordinatorRole());
        assertEquals(Path.of("/srv/blobs"), s.storeRoot());
        assertEquals(7, s.maxDeletesPerSecond());
        assertTrue(s.httpEnabled());
        assertEquals(0, s.httpPort());
        assertEquals(17, s.sweepBatchSize());
        assertNotEquals(defaults, s);
        assertEquals(defaults, BlobGcSettings.from(ConfigFactory.load()), "the originals are unchanged");
    }

    @Test
    void aBadValueIsRefusedWhereItIsSet() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> defaults.withHeartbeatInterval(defaults.heartbeatInterval().plusDays(1)));
        assertTrue(e.getMessage().contains("heartbeat-interval"), e.getMessage());
        var unknown = assertThrows(IllegalArgumentException.class, () -> defaults.withValue("grace-periods", "1s"));
        assertTrue(unknown.getMessage().contains("no setting blob-gc.grace-periods"), unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> defaults.withMaxDeletesPerSecond(0));
    }

    @Test
    void theSweepersAskFitsItsDeadlineAtTheRateItGoesNow() {
        BlobGcSettings s = defaults.withValue("sweeper.max-deletes-per-second", 1000)
                .withValue("sweeper.batch-deadline", "30s").withValue("sweeper.batch-size", 500);
        assertEquals(500, s.sweepAskSize(), "at the limit: the batch size");
        assertEquals(500, s.sweepAskSize(5_000), "never above the limit");
        assertEquals(150, s.sweepAskSize(10), "throttled to 10/s: what 15 s deletes");
        assertEquals(1, s.sweepAskSize(0.01), "at least one");
    }

    @Test
    void partitionsAreOneAndANumberThatIsNotAPowerOfTwoIsRefusedNamingTheSetting() {
        assertEquals(1, defaults.partitions());
        assertEquals(1, defaults.partitioning().count());
        for (int p : new int[]{3, 0, -1, 512}) {
            var e = assertThrows(IllegalArgumentException.class, () -> BlobGcSettings.from(
                    ConfigFactory.parseString("blob-gc.partitions = " + p).withFallback(ConfigFactory.load())));
            assertTrue(e.getMessage().startsWith("blob-gc.partitions = " + p + ": ")
                    && e.getMessage().contains("power of two from 1 to 256"), e.getMessage());
        }
    }

    @Test
    void partitionHostingIsAutoWhichIsTheCoordinatorOutsideAClusterAndAnotherWordIsRefusedNamingTheSettingAndItsValues() {
        assertEquals("auto", defaults.config().getString("blob-gc.partition-hosting"));
        assertEquals(BlobGcSettings.PartitionHosting.COORDINATOR, defaults.partitionHosting(), "provider local");
        assertTrue(defaults.partitionHostingNote().isEmpty(), "nothing to say");
        assertEquals(BlobGcSettings.PartitionHosting.COORDINATOR,
                defaults.withValue("partitions", 4).partitionHosting(), "provider local, at P = 4 too");
        assertEquals(BlobGcSettings.PartitionHosting.SHARDED,
                defaults.withValue("partition-hosting", "sharded").partitionHosting());
        for (String bad : new String[]{"shard", "Sharded", "Auto", ""}) {
            var e = assertThrows(IllegalArgumentException.class, () -> defaults.withValue("partition-hosting", bad));
            assertEquals("blob-gc.partition-hosting must be 'auto', 'coordinator' or 'sharded', not '" + bad + "'",
                    e.getMessage());
        }
    }

    /** S1.9, "one setting": in a cluster, blob-gc.partitions above 1 alone makes the partitions sharded entities. */
    @Test
    void inAClusterTheDefaultShardsMoreThanOnePartitionAndSaysSo() {
        BlobGcSettings cluster = BlobGcSettings.from(ConfigFactory.parseString("pekko.actor.provider = cluster")
                .withFallback(ConfigFactory.load()));
        assertEquals(BlobGcSettings.PartitionHosting.COORDINATOR, cluster.partitionHosting(), "one partition");
        assertFalse(cluster.partitionsSharded());
        assertTrue(cluster.partitionHostingNote().isEmpty(), "nothing to say at one partition");
        BlobGcSettings sixteen = cluster.withValue("partitions", 16);
        assertEquals(BlobGcSettings.PartitionHosting.SHARDED, sixteen.partitionHosting());
        assertTrue(sixteen.partitionsSharded());
        String note = sixteen.partitionHostingNote().orElseThrow();
        assertTrue(note.startsWith("blob-gc.partition-hosting = auto (the default) makes them sharded in a cluster: "
                + "it is EXPERIMENTAL") && note.contains("the 16 partitions are Cluster Sharding entities"), note);
        assertFalse(sixteen.withValue("partition-hosting", "coordinator").partitionsSharded(), "coordinator kept");
    }

    @Test
    void shardedAtMoreThanOnePartitionNeedsTheClusterProvider() {
        var local = assertThrows(IllegalArgumentException.class, () -> BlobGcSettings.from(ConfigFactory.parseString(
                "blob-gc { partitions = 4, partition-hosting = sharded }").withFallback(ConfigFactory.load())));
        assertTrue(local.getMessage().startsWith("blob-gc.partition-hosting = sharded needs pekko.actor.provider = "
                + "cluster") && local.getMessage().contains("it is 'local'"), local.getMessage());
        BlobGcSettings clustered = BlobGcSettings.from(ConfigFactory.parseString(
                "pekko.actor.provider = cluster\nblob-gc { partitions = 4, partition-hosting = sharded }")
                .withFallback(ConfigFactory.load()));
        assertEquals(BlobGcSettings.PartitionHosting.SHARDED, clustered.partitionHosting());
        String note = clustered.partitionHostingNote().orElseThrow();
        assertTrue(clustered.partitionsSharded());
        assertTrue(note.contains("EXPERIMENTAL") && note.contains("the 4 partitions are Cluster Sharding entities")
                && note.contains("with messages lost its warm-ups can stall"), note);
        assertFalse(clustered.withValue("partition-hosting", "coordinator").partitionsSharded());
        assertTrue(clustered.withValue("partition-hosting", "coordinator").partitionHostingNote().isEmpty());
    }

    @Test
    void shardedAtOnePartitionIsIgnoredWithANoteWhateverTheProvider() {
        BlobGcSettings s = defaults.withValue("partition-hosting", "sharded"); // provider local, partitions = 1
        String note = s.partitionHostingNote().orElseThrow();
        assertTrue(note.startsWith("blob-gc.partition-hosting = sharded is ignored: with blob-gc.partitions = 1"), note);
        assertFalse(s.partitionsSharded(), "one partition: the coordinator");
        var e = assertThrows(IllegalArgumentException.class, () -> s.withValue("partitions", 2));
        assertTrue(e.getMessage().contains("needs pekko.actor.provider = cluster"), e.getMessage());
    }

    @Test
    void everyPowerOfTwoUpTo256IsTaken() {
        for (int p : new int[]{2, 4, 256}) {
            assertEquals(p, defaults.withValue("partitions", p).partitioning().count());
        }
    }

    // ---- blob-gc.store.s3

    private static BlobGcSettings parse(String hocon) {
        return BlobGcSettings.from(ConfigFactory.parseString(hocon).withFallback(ConfigFactory.load()));
    }

    @Test
    void theS3SettingsDefaultToTheFileStoreAndAnSdkChosenAwsEndpoint() {
        assertEquals("io.blobgc.store.FileBlobStore", defaults.storeClass());
        assertFalse(defaults.s3Store());
        assertEquals(new BlobGcSettings.S3("", "blobs/", "", "", false, "", "", 64L << 20, 16L << 20), defaults.s3());
        assertFalse(defaults.s3().staticCredentials());
    }

    @Test
    void choosingTheS3StoreReadsItsBucketAndClient() {
        BlobGcSettings s = parse("""
                blob-gc.store.class = "io.blobgc.store.S3BlobStore"
                blob-gc.store.s3 { bucket = "gc-blobs", prefix = "", endpoint = "http://127.0.0.1:9000"
                  region = "eu-west-1", path-style-access = on, access-key-id = "AK", secret-access-key = "SK" }
                """);
        assertTrue(s.s3Store());
        assertEquals(new BlobGcSettings.S3("gc-blobs", "", "http://127.0.0.1:9000", "eu-west-1", true, "AK", "SK",
                        64L << 20, 16L << 20),
                s.s3());
        assertTrue(s.s3().staticCredentials());
        assertFalse(s.s3().toString().contains("SK"), "the secret is not shown: " + s.s3());
        assertEquals("other", s.withValue("store.s3.bucket", "other").s3().bucket());
    }

    @Test
    void theS3StoreWithoutABucketIsRefusedNamingTheSetting() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> parse("blob-gc.store.class = \"io.blobgc.store.S3BlobStore\""));
        assertTrue(e.getMessage().contains("blob-gc.store.s3.bucket is not set"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> parse("""
                blob-gc.store.class = "io.blobgc.store.S3BlobStore"
                blob-gc.store.s3.bucket = "  "
                """));
        // a bucket is not needed while the file store is chosen
        assertEquals("", parse("blob-gc.store.s3.endpoint = \"https://s3.example.com\"").s3().bucket());
    }

    @Test
    void anEndpointThatIsNotAnHttpUriIsRefused() {
        for (String bad : new String[]{"127.0.0.1:9000", "http://", "not a uri", "ftp://host/", "localhost"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> parse("""
                    blob-gc.store.class = "io.blobgc.store.S3BlobStore"
                    blob-gc.store.s3 { bucket = "b", endpoint = "%s" }
                    """.formatted(bad)), bad);
            assertTrue(e.getMessage().startsWith("blob-gc.store.s3.endpoint must be")
                    && e.getMessage().contains(bad), e.getMessage());
        }
        assertEquals("https://minio.internal:9000", parse("""
                blob-gc.store.class = "io.blobgc.store.S3BlobStore"
                blob-gc.store.s3 { bucket = "b", endpoint = "https://minio.internal:9000" }
                """).s3().endpoint());
    }

    @Test
    void halfOfTheStaticCredentialsIsRefused() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> parse("blob-gc.store.s3.access-key-id = \"AK\""));
        assertTrue(e.getMessage().contains("access-key-id and secret-access-key are set both or neither"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> parse("blob-gc.store.s3.secret-access-key = \"SK\""));
    }

    @Test
    void theMultipartKnobsAreReadAndOutOfRangeValuesAreRefusedNamingTheSetting() {
        BlobGcSettings s = parse("""
                blob-gc.store.s3 { multipart-threshold = 100MiB, multipart-part-size = 8MiB }
                """);
        assertEquals(100L << 20, s.s3().multipartThreshold());
        assertEquals(8L << 20, s.s3().multipartPartSize());
        for (String bad : new String[]{"multipart-threshold = 4MiB", "multipart-threshold = 6GiB"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> parse("blob-gc.store.s3." + bad), bad);
            assertTrue(e.getMessage().startsWith("blob-gc.store.s3.multipart-threshold must be 5 MiB to 5 GiB"),
                    e.getMessage());
        }
        for (String bad : new String[]{"multipart-part-size = 5242879", "multipart-part-size = 2GiB"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> parse("blob-gc.store.s3." + bad), bad);
            assertTrue(e.getMessage().startsWith("blob-gc.store.s3.multipart-part-size must be 5 MiB"),
                    e.getMessage());
        }
        // the bounds themselves are taken
        assertEquals(5L << 20, parse("blob-gc.store.s3 { multipart-threshold = 5MiB, multipart-part-size = 5MiB }")
                .s3().multipartPartSize());
        assertEquals(5L << 30, parse("blob-gc.store.s3 { multipart-threshold = 5GiB, multipart-part-size = 1GiB }")
                .s3().multipartThreshold());
    }
}
