package io.blobgc;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.Partitioning;
import io.blobgc.ledger.StaleNodePolicy;

import org.apache.pekko.actor.typed.ActorSystem;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code blob-gc { … }} read once into an immutable object; every knob is documented in reference.conf. Made from the
 * actor system's configuration ({@link #create}) and changed in code with the {@code with…} methods
 * ({@code config}: the configuration they were read from, with what was set in code).
 */
public record BlobGcSettings(
        LedgerSettings ledger,
        String nodeRole,
        boolean dryRun,
        Duration cycleInterval,
        Duration heartbeatInterval,
        Path dataDir,
        String coordinatorRole,
        int snapshotEvery,
        int keepSnapshots,
        boolean deleteEventsOnSnapshot,
        Duration askTimeout,
        Duration restartBackoffMin,
        Duration restartBackoffMax,
        boolean reporterEnabled,
        int maxReportChunk,
        Duration acquireTimeout,
        String activeSetSource,
        int sweepBatchSize,
        int maxDeletesPerSecond,
        Duration sweepRetryMin,
        Duration sweepRetryMax,
        Duration sweepProgressInterval,
        Duration sweepBatchDeadline,
        String storeClass,
        Path storeRoot,
        S3 s3,
        boolean createSchema,
        String journalPluginId,
        String snapshotPluginId,
        boolean httpEnabled,
        String httpHost,
        int httpPort,
        String httpToken,
        Duration maxLeaseTtl,
        HttpEdge http,
        OrphanSweep orphans,
        int partitions,
        PartitionHosting partitionHosting,
        Config config) {

    /**
     * {@code blob-gc.partition-hosting}: what runs the partitions when there are more than one (experimental, issue 25;
     * src/site/markdown/partitions-part2-plan.md). One partition ignores it: the coordinator is the whole registry.
     */
    public enum PartitionHosting {
        /** Every partition in the coordinator singleton's JVM (partitions.md, part 1): the default, and provider local's. */
        COORDINATOR,
        /** One Cluster Sharding entity a partition, the singleton conducting them; needs provider cluster. */
        SHARDED;

        /** As the setting and a journal's takeovers spell it: {@code coordinator}, {@code sharded}. */
        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * The value of the setting {@code name} for a member of {@code partitions} partitions, {@code clustered} or
         * not: {@code auto} (the default) is {@link #SHARDED} in a cluster at more than one partition and
         * {@link #COORDINATOR} otherwise; any other word than the three is refused naming the setting and its values.
         */
        public static PartitionHosting of(String name, int partitions, boolean clustered) {
            if (AUTO.equals(name)) return partitions > 1 && clustered ? SHARDED : COORDINATOR;
            for (PartitionHosting h : values()) {
                if (h.configName().equals(name)) return h;
            }
            throw new IllegalArgumentException(HOSTING_SETTING + " must be 'auto', 'coordinator' or 'sharded', not '"
                    + name + "'");
        }

        /** The setting's default: the hosting follows the provider and the number of partitions ({@link #of}). */
        public static final String AUTO = "auto";
    }

    public static final String HOSTING_SETTING = "blob-gc.partition-hosting";

    /**
     * How many DELETING blobs the sweeper asks for at a time: the batch size, but no more than it can delete in half
     * its batch deadline at its rate limit (so a slow rate does not make every batch run out of time).
     */
    public int sweepAskSize() {
        return sweepAskSize(maxDeletesPerSecond);
    }

    /**
     * {@link #sweepAskSize()} at {@code deletesPerSecond}: the rate the sweeper goes at now, lower than the limit while
     * the store pushes back (AIMD), so that a throttled store's batches still fit their deadline instead of going back
     * to the coordinator, and into the journal, again and again (review of issue 27 step 3).
     */
    public int sweepAskSize(double deletesPerSecond) {
        double rate = Math.min(maxDeletesPerSecond, deletesPerSecond);
        long inTime = (long) Math.floor(rate * sweepBatchDeadline.toMillis() / 2000.0);
        return (int) Math.max(1, Math.min(sweepBatchSize, inTime));
    }

    /** The scheduler refuses delays beyond about 248 days (2^31 ticks of 10 ms): no lease timer may ask for more. */
    public static final Duration LONGEST_TIMER = Duration.ofDays(200);

    /**
     * The admin API's protections and input bounds ({@code blob-gc.http}); see the README's security model.
     *
     * @param allowedHosts   Host header names accepted besides the bound address (and loopback names when bound there)
     * @param headerTimeout  a connection must deliver a request head within this, from connecting or its last answer
     * @param idleTimeout    a connection with no traffic for this long is closed
     * @param maxConnections connections served at once; more wait in the backlog
     * @param backlog        the listen backlog (the OS caps it at net.core.somaxconn)
     * @param maxBlobSize    largest blob PUT accepts (413 above)
     * @param uploadDir      where uploads stream to before they are stored
     * @param maxJsonBody    largest JSON body (413 above)
     * @param maxHashes      most hashes in one request (all lists of one body together, or one dependsOn)
     * @param maxNameLength  longest pin owner or lease holder name
     * @param maxReasonLength longest pin reason
     * @param minTtl         shortest pin or lease TTL
     * @param maxPinTtl      longest pin TTL (a lease's is reporter.max-lease-ttl)
     * @param maxUploadBytesInFlight the bytes all uploads in progress may hold at once (503 beyond)
     * @param minFreeSpace   the free space uploads leave on the upload directory's and the store's file systems
     * @param minUploadRate  bytes per second an upload must keep up over each window (408 below)
     * @param minUploadRateWindow the window the pace is measured over (and the longest pause in a body)
     */
    public record HttpEdge(List<String> allowedHosts, Duration headerTimeout, Duration idleTimeout, int maxConnections,
                           int backlog, long maxBlobSize, Path uploadDir, long maxJsonBody, int maxHashes,
                           int maxNameLength, int maxReasonLength, Duration minTtl, Duration maxPinTtl,
                           long maxUploadBytesInFlight, long minFreeSpace, long minUploadRate,
                           Duration minUploadRateWindow) {
    }

    /**
     * The store reconciliation ({@code blob-gc.sweeper.orphan-*}): content in the store the registry does not account
     * for is deleted once older than {@code grace} (by its modification time), walking the store {@code pageSize}
     * entries per cycle (0: off).
     */
    public record OrphanSweep(Duration grace, int pageSize) {
    }

    /** {@code blob-gc.store.class} naming the S3 store: the node builds it from {@link #s3()}. */
    public static final String S3_STORE_CLASS = "io.blobgc.store.S3BlobStore";

    /**
     * {@code blob-gc.store.s3}: the bucket of {@code io.blobgc.store.S3BlobStore} when {@code store.class} names it.
     *
     * @param bucket          an existing bucket (required when the S3 store is chosen)
     * @param prefix          put before every blob's hex name ("" for none)
     * @param endpoint        the server's URI; empty: AWS S3
     * @param region          empty: us-east-1 when an endpoint is set, else the SDK's default region chain
     * @param pathStyleAccess bucket in the path rather than the host name (MinIO, S3Proxy)
     * @param accessKeyId     static credentials with {@code secretAccessKey}; both empty: the SDK's default chain
     * @param secretAccessKey never shown by {@link #toString}
     */
    public record S3(String bucket, String prefix, String endpoint, String region, boolean pathStyleAccess,
                     String accessKeyId, String secretAccessKey, long multipartThreshold, long multipartPartSize) {

        /** Whether static credentials are set (else the SDK's default credentials chain). */
        public boolean staticCredentials() {
            return !accessKeyId.isEmpty();
        }

        @Override
        public String toString() {
            return "S3[bucket=" + bucket + ", prefix=" + prefix + ", endpoint=" + endpoint + ", region=" + region
                    + ", pathStyleAccess=" + pathStyleAccess + ", accessKeyId=" + accessKeyId + ", secretAccessKey="
                    + (secretAccessKey.isEmpty() ? "" : "***") + ", multipartThreshold=" + multipartThreshold
                    + ", multipartPartSize=" + multipartPartSize + "]";
        }
    }

    /** Whether {@code store.class} names the S3 store ({@link #s3()} configures it). */
    public boolean s3Store() {
        return S3_STORE_CLASS.equals(storeClass);
    }

    /** The settings in the actor system's configuration ({@code blob-gc { … }}), to start from in code. */
    public static BlobGcSettings create(ActorSystem<?> system) {
        return from(system.settings().config());
    }

    // ---- settings in code: each returns new settings, checked as the configuration is (a bad value throws here)

    /** {@code blob-gc.grace-period}: how long a blob stays unused before it may be marked. */
    public BlobGcSettings withGracePeriod(Duration d) {
        return withValue("grace-period", d);
    }

    /** {@code blob-gc.cycle-interval}: how often the coordinator runs a cycle. */
    public BlobGcSettings withCycleInterval(Duration d) {
        return withValue("cycle-interval", d);
    }

    /** {@code blob-gc.heartbeat-interval}: how often each node reports (at most half the stale threshold). */
    public BlobGcSettings withHeartbeatInterval(Duration d) {
        return withValue("heartbeat-interval", d);
    }

    /** {@code blob-gc.stale-report-threshold}: a node silent this long is STALE (its blobs stay held). */
    public BlobGcSettings withStaleReportThreshold(Duration d) {
        return withValue("stale-report-threshold", d);
    }

    /** {@code blob-gc.dry-run}: compute and record, delete nothing. */
    public BlobGcSettings withDryRun(boolean dryRun) {
        return withValue("dry-run", dryRun);
    }

    /** {@code blob-gc.node-role}: the members that run VMs and report (empty: every member). */
    public BlobGcSettings withNodeRole(String role) {
        return withValue("node-role", role);
    }

    /** {@code blob-gc.coordinator.role}: the members the coordinator may run on (empty: any). */
    public BlobGcSettings withCoordinatorRole(String role) {
        return withValue("coordinator.role", role);
    }

    /** {@code blob-gc.store.root}: the shared directory {@code FileBlobStore} keeps blobs in. */
    public BlobGcSettings withStoreRoot(Path root) {
        return withValue("store.root", root);
    }

    /** {@code blob-gc.sweeper.max-deletes-per-second}: the sweeper's rate limit. */
    public BlobGcSettings withMaxDeletesPerSecond(int n) {
        return withValue("sweeper.max-deletes-per-second", n);
    }

    /** {@code blob-gc.http.enabled}, {@code .host}, {@code .port}: the admin API and dashboard (port 0: any free). */
    public BlobGcSettings withHttp(boolean enabled, String host, int port) {
        return withValue("http.enabled", enabled).withValue("http.host", host).withValue("http.port", port);
    }

    /**
     * Any other setting under {@code blob-gc} by its key as reference.conf names it ({@code "sweeper.batch-size"}), with
     * a {@link Duration}, {@link Path}, number, boolean or string. Values the configuration derived from another when it
     * was loaded stay as they were ({@code data-dir} does not move {@code store.root}, nor the journal, which is the
     * actor system's configuration).
     */
    public BlobGcSettings withValue(String key, Object value) {
        String path = "blob-gc." + key;
        if (!config.hasPath(path)) {
            throw new IllegalArgumentException("no setting " + path + " (reference.conf lists every setting)");
        }
        Object v = value instanceof Duration d ? d.toNanos() + "ns" : value instanceof Path p ? p.toString() : value;
        return from(config.withValue(path, ConfigValueFactory.fromAnyRef(v, "set in code")));
    }

    public static BlobGcSettings from(Config root) {
        Config c = root.getConfig("blob-gc");
        String policy = c.getString("stale-node-policy").toUpperCase(Locale.ROOT);
        StaleNodePolicy stalePolicy;
        try {
            stalePolicy = StaleNodePolicy.valueOf(policy);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("blob-gc.stale-node-policy must be 'retain' or 'drop', not '"
                    + c.getString("stale-node-policy") + "'");
        }
        LedgerSettings ledger = new LedgerSettings(
                c.getDuration("grace-period").toMillis(),
                c.getDuration("stale-report-threshold").toMillis(),
                c.getInt("min-nodes-reporting"),
                stalePolicy,
                c.getDuration("tombstone-ttl").toMillis(),
                c.getInt("history-size"),
                c.getInt("max-transitions-per-cycle"));
        BlobGcSettings s = new BlobGcSettings(
                ledger,
                c.getString("node-role"),
                c.getBoolean("dry-run"),
                c.getDuration("cycle-interval"),
                c.getDuration("heartbeat-interval"),
                Path.of(c.getString("data-dir")),
                c.getString("coordinator.role"),
                c.getInt("coordinator.snapshot-every"),
                c.getInt("coordinator.keep-snapshots"),
                c.getBoolean("coordinator.delete-events-on-snapshot"),
                c.getDuration("coordinator.ask-timeout"),
                c.getDuration("coordinator.restart-backoff.min"),
                c.getDuration("coordinator.restart-backoff.max"),
                c.getBoolean("reporter.enabled"),
                c.getInt("reporter.max-report-chunk"),
                c.getDuration("reporter.acquire-timeout"),
                c.getString("reporter.active-set-source"),
                c.getInt("sweeper.batch-size"),
                c.getInt("sweeper.max-deletes-per-second"),
                c.getDuration("sweeper.retry-backoff.min"),
                c.getDuration("sweeper.retry-backoff.max"),
                c.getDuration("sweeper.progress-interval"),
                c.getDuration("sweeper.batch-deadline"),
                c.getString("store.class"),
                Path.of(c.getString("store.root")),
                new S3(c.getString("store.s3.bucket").strip(), c.getString("store.s3.prefix"),
                        c.getString("store.s3.endpoint").strip(), c.getString("store.s3.region").strip(),
                        c.getBoolean("store.s3.path-style-access"), c.getString("store.s3.access-key-id").strip(),
                        c.getString("store.s3.secret-access-key"), c.getBytes("store.s3.multipart-threshold"),
                        c.getBytes("store.s3.multipart-part-size")),
                c.getBoolean("journal.create-schema"),
                c.getString("journal.journal-plugin"),
                c.getString("journal.snapshot-plugin"),
                c.getBoolean("http.enabled"),
                c.getString("http.host"),
                c.getInt("http.port"),
                c.getString("http.token"),
                c.getDuration("reporter.max-lease-ttl"),
                new HttpEdge(
                        List.copyOf(c.getStringList("http.allowed-hosts")),
                        c.getDuration("http.header-timeout"),
                        c.getDuration("http.idle-timeout"),
                        c.getInt("http.max-connections"),
                        c.getInt("http.backlog"),
                        c.getBytes("http.max-blob-size"),
                        Path.of(c.getString("http.upload-dir")),
                        c.getBytes("http.max-json-body"),
                        c.getInt("http.max-hashes"),
                        c.getInt("http.max-name-length"),
                        c.getInt("http.max-reason-length"),
                        c.getDuration("http.min-ttl"),
                        c.getDuration("http.max-pin-ttl"),
                        c.getBytes("http.max-upload-bytes-in-flight"),
                        c.getBytes("http.min-free-space"),
                        c.getBytes("http.min-upload-rate"),
                        c.getDuration("http.min-upload-rate-window")),
                new OrphanSweep(c.getDuration("sweeper.orphan-grace"), c.getInt("sweeper.orphan-page-size")),
                c.getInt("partitions"),
                PartitionHosting.of(c.getString("partition-hosting"), c.getInt("partitions"),
                        clusterProvider(root)),
                root);
        s.validate();
        return s;
    }

    private void validate() {
        partitioning();
        if (partitions > 1 && partitionHosting == PartitionHosting.SHARDED && !clusterProvider()) {
            throw new IllegalArgumentException(HOSTING_SETTING + " = sharded needs pekko.actor.provider = cluster (the "
                    + "partitions are Cluster Sharding entities), and it is '" + provider() + "': set the provider to "
                    + "cluster, or " + HOSTING_SETTING + " = coordinator");
        }
        positive("cycle-interval", cycleInterval);
        positive("heartbeat-interval", heartbeatInterval);
        positive("coordinator.ask-timeout", askTimeout);
        positive("reporter.acquire-timeout", acquireTimeout);
        if (heartbeatInterval.toMillis() * 2 > ledger.staleThresholdMs()) {
            throw new IllegalArgumentException("blob-gc.heartbeat-interval (" + heartbeatInterval
                    + ") must be at most half of stale-report-threshold (" + Duration.ofMillis(ledger.staleThresholdMs())
                    + "), or live nodes look stale");
        }
        if (snapshotEvery < 1) throw new IllegalArgumentException("blob-gc.coordinator.snapshot-every must be >= 1");
        if (keepSnapshots < 1) throw new IllegalArgumentException("blob-gc.coordinator.keep-snapshots must be >= 1");
        if (maxReportChunk < 1) throw new IllegalArgumentException("blob-gc.reporter.max-report-chunk must be >= 1");
        if (sweepBatchSize < 1) throw new IllegalArgumentException("blob-gc.sweeper.batch-size must be >= 1");
        positive("sweeper.batch-deadline", sweepBatchDeadline);
        if (orphans.grace().isNegative() || orphans.grace().isZero()) {
            // safety does not rest on it (a registration needs its content in the store), but an upload whose write
            // is older than the grace when it registers may lose its content and be refused: keep it long
            throw new IllegalArgumentException("blob-gc.sweeper.orphan-grace must be positive (default 1h)");
        }
        if (orphans.pageSize() < 0 || orphans.pageSize() > 10_000) {
            throw new IllegalArgumentException("blob-gc.sweeper.orphan-page-size must be 0 (off) to 10000");
        }
        if (httpPort < 0 || httpPort > 65535) throw new IllegalArgumentException("blob-gc.http.port must be 0..65535");
        positive("reporter.max-lease-ttl", maxLeaseTtl);
        if (maxLeaseTtl.compareTo(LONGEST_TIMER) > 0) {
            throw new IllegalArgumentException("blob-gc.reporter.max-lease-ttl must be at most " + LONGEST_TIMER.toDays()
                    + " days (the scheduler's limit)");
        }
        positive("http.header-timeout", http.headerTimeout());
        positive("http.idle-timeout", http.idleTimeout());
        positive("http.min-ttl", http.minTtl());
        if (http.minTtl().compareTo(maxLeaseTtl) > 0 || http.minTtl().compareTo(http.maxPinTtl()) > 0) {
            throw new IllegalArgumentException("blob-gc.http.min-ttl must not exceed reporter.max-lease-ttl nor "
                    + "http.max-pin-ttl");
        }
        atLeastOne("http.max-connections", http.maxConnections());
        atLeastOne("http.backlog", http.backlog());
        atLeastOne("http.max-blob-size", http.maxBlobSize());
        atLeastOne("http.max-json-body", http.maxJsonBody());
        if (http.maxUploadBytesInFlight() < http.maxBlobSize()) {
            throw new IllegalArgumentException("blob-gc.http.max-upload-bytes-in-flight must be at least "
                    + "http.max-blob-size, or the largest blob could never be uploaded");
        }
        if (http.minFreeSpace() < 0) throw new IllegalArgumentException("blob-gc.http.min-free-space must be >= 0");
        if (http.minUploadRate() < 0) throw new IllegalArgumentException("blob-gc.http.min-upload-rate must be >= 0");
        positive("http.min-upload-rate-window", http.minUploadRateWindow());
        atLeastOne("http.max-hashes", http.maxHashes());
        atLeastOne("http.max-name-length", http.maxNameLength());
        atLeastOne("http.max-reason-length", http.maxReasonLength());
        if (maxDeletesPerSecond < 1) {
            throw new IllegalArgumentException("blob-gc.sweeper.max-deletes-per-second must be >= 1");
        }
        validateS3();
    }

    /** {@code store.s3}: the endpoint and credentials whenever set; the bucket when the S3 store is chosen. */
    private void validateS3() {
        if (!s3.endpoint().isEmpty()) {
            java.net.URI uri;
            try {
                uri = new java.net.URI(s3.endpoint());
            } catch (java.net.URISyntaxException e) {
                throw new IllegalArgumentException("blob-gc.store.s3.endpoint must be a URI like http://127.0.0.1:9000"
                        + " (empty: AWS S3), not '" + s3.endpoint() + "': " + e.getMessage());
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
                throw new IllegalArgumentException("blob-gc.store.s3.endpoint must be an http:// or https:// URI with "
                        + "a host, like http://127.0.0.1:9000 (empty: AWS S3), not '" + s3.endpoint() + "'");
            }
        }
        if (s3.accessKeyId().isEmpty() != s3.secretAccessKey().isEmpty()) {
            throw new IllegalArgumentException("blob-gc.store.s3.access-key-id and secret-access-key are set both or "
                    + "neither (neither: the SDK's default credentials chain)");
        }
        io.blobgc.store.S3Multipart.check(s3.multipartThreshold(), s3.multipartPartSize());
        if (s3Store() && s3.bucket().isEmpty()) {
            throw new IllegalArgumentException("blob-gc.store.class is " + S3_STORE_CLASS + " but "
                    + "blob-gc.store.s3.bucket is not set: name an existing bucket (config/s3.conf reads it from "
                    + "BLOB_GC_S3_BUCKET)");
        }
    }

    /**
     * {@code blob-gc.partitions} as a {@link Partitioning}: a power of two from 1 to {@value Partitioning#MAX}
     * (src/site/markdown/partitions.md).
     */
    public Partitioning partitioning() {
        Partitioning p;
        try {
            p = Partitioning.of(partitions);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("blob-gc.partitions = " + partitions + ": " + e.getMessage());
        }
        return p;
    }

    /**
     * Whether the partitions run as entities on Cluster Sharding, under a conductor singleton: {@code partition-hosting
     * = sharded} (or {@code auto}, the default, in a cluster) and more than one partition (issue 25;
     * partitions-part2-plan.md).
     */
    public boolean partitionsSharded() {
        return partitionHosting == PartitionHosting.SHARDED && partitions > 1;
    }

    /**
     * What to log at the start about {@code partition-hosting}: {@code sharded} at one partition is ignored (the
     * coordinator is the whole registry), and at more it is experimental (issue 25: the cross-partition protocol over
     * messages is not run by the simulation yet). Empty for {@code coordinator} (and {@code auto} resolved to it).
     */
    public Optional<String> partitionHostingNote() {
        if (partitionHosting != PartitionHosting.SHARDED) return Optional.empty();
        if (partitions == 1) {
            return Optional.of(HOSTING_SETTING + " = sharded is ignored: with blob-gc.partitions = 1 the coordinator "
                    + "is the whole registry");
        }
        String as = PartitionHosting.AUTO.equals(config.getString(HOSTING_SETTING))
                ? " = auto (the default) makes them sharded in a cluster: it" : " = sharded";
        return Optional.of(HOSTING_SETTING + as + " is EXPERIMENTAL (issue 25): the " + partitions
                + " partitions are Cluster Sharding entities under a conductor singleton, which exchange their "
                + "cross-partition dependencies by messages; the simulation runs that protocol over messages "
                + "(delayed, duplicated, lost; entities moving, handed off and restarting), but with messages lost "
                + "its warm-ups can stall. Do not use it for a real cluster yet");
    }

    /** {@code pekko.actor.provider}, as configured ({@code local} when the configuration has no Pekko in it). */
    private String provider() {
        return provider(config);
    }

    private static String provider(Config config) {
        return config.hasPath(PROVIDER) ? config.getString(PROVIDER) : "local";
    }

    private boolean clusterProvider() {
        return clusterProvider(config);
    }

    /** Whether {@code config}'s {@code pekko.actor.provider} is Pekko Cluster's. */
    private static boolean clusterProvider(Config config) {
        String p = provider(config);
        return p.equals("cluster") || p.equals("org.apache.pekko.cluster.ClusterActorRefProvider");
    }

    private static final String PROVIDER = "pekko.actor.provider";

    private static void atLeastOne(String key, long value) {
        if (value < 1) throw new IllegalArgumentException("blob-gc." + key + " must be >= 1");
    }

    private static void positive(String key, Duration d) {
        if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("blob-gc." + key + " must be positive");
    }
}
