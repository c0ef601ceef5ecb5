package io.blobgc;

import io.blobgc.coordinator.Coordinator;
import io.blobgc.coordinator.Timings;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.NodeInfo;
import io.blobgc.ledger.ReportOutcome;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * blob-gc's meters, in Micrometer: a {@link CompositeMeterRegistry} ({@link #registry()}) that holds blob-gc's own
 * {@link PrometheusMeterRegistry} — whose scrape is {@code GET /metrics} — and any registry the host application binds
 * ({@link #bindTo}): the same meters then show in the host's registry too.
 * <p>
 * Two kinds of meters. Histograms of what this JVM does: each GC cycle's planning time and each store deletion's
 * duration, recorded where the coordinator singleton and its sweeper run (on other members they stay at count 0).
 * And the cluster-wide values of the coordinator's {@link Coordinator.Summary} — blobs by status, cycles, collected
 * blobs and bytes, report ages and outcomes…: gauges and function counters that read the latest summary
 * {@link #refresh} fetched ({@code /metrics} fetches one at every scrape); NaN, and left out of {@code /metrics},
 * while the coordinator does not answer.
 */
public final class BlobGcMetrics implements MeterBinder {

    /** The Prometheus text exposition format {@link PrometheusMeterRegistry#scrape()} writes. */
    private static final String TEXT_004 = "text/plain; version=0.0.4; charset=utf-8";

    /**
     * The histograms' buckets, 0.1 ms to 10 s: a cycle's planning on a small registry and a deletion from a local disk
     * take well under a millisecond; on a large registry, or from an object store, tens to thousands of milliseconds.
     */
    private static final Duration[] BUCKETS = micros(100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000,
            100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000);
    /** A cycle's planning gets one more, 30 s: a large registry's planning holds up the coordinator. */
    private static final Duration[] CYCLE_BUCKETS = java.util.stream.Stream.concat(java.util.Arrays.stream(BUCKETS),
            java.util.stream.Stream.of(Duration.ofSeconds(30))).toArray(Duration[]::new);

    private final CompositeMeterRegistry registry = new CompositeMeterRegistry();
    private final PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Supplier<CompletionStage<Coordinator.Summary>> summaries;
    private final Timer cycleDuration;
    private final Timer deleted;
    private final Timer deletionFailed;
    private final MultiGauge nodeReportAges;
    /** At partition-hosting = sharded, one series per partition entity: the last cycle it ran, its blobs, answering. */
    private final MultiGauge partitionCycles, partitionBlobs, partitionsAnswering;
    /** The meters that read the summary: absent from {@code /metrics} when the coordinator did not answer. */
    private final Set<Meter.Id> fromSummary = new HashSet<>();
    /** The summary the last {@link #refresh} fetched; null when the coordinator did not answer it. */
    private volatile Coordinator.Summary latest;

    /** @param summaries asks the coordinator for its summary (each {@link #refresh}) */
    BlobGcMetrics(Supplier<CompletionStage<Coordinator.Summary>> summaries) {
        this.summaries = summaries;
        registry.add(prometheus);
        cycleDuration = Timer.builder("blobgc.cycle.duration")
                .description("How long each GC cycle's planning took (recorded where the coordinator singleton runs).")
                .serviceLevelObjectives(CYCLE_BUCKETS)
                .register(registry);
        deleted = sweepLatency("deleted");
        deletionFailed = sweepLatency("failed");

        Gauge.builder("blobgc.coordinator.up", this, m -> m.latest == null ? 0 : 1)
                .description("1 when the coordinator answered this scrape.").strongReference(true).register(registry);
        for (BlobStatus status : BlobStatus.values()) {
            summaryGauge("blobgc.blobs", "Known blobs by status.", Tags.of("status", status.name()),
                    s -> s.counts().getOrDefault(status.name(), 0L));
        }
        summaryGauge("blobgc.warming.up", "1 while the coordinator waits for FULL reports after a recovery.",
                Tags.empty(), s -> s.warmingUp() ? 1 : 0);
        summaryGauge("blobgc.stale.nodes", "Nodes whose reports stopped (they block nothing but keep their blobs).",
                Tags.empty(), s -> s.nodes().stream().filter(n -> n.state() == NodeInfo.State.STALE).count());
        summaryCounter("blobgc.cycles", "GC cycles run (persisted: survives failover).", Tags.empty(),
                Coordinator.Summary::cycle);
        summaryCounter("blobgc.collected.blobs", "Blobs deleted from the store.", Tags.empty(),
                Coordinator.Summary::totalCollected);
        summaryCounter("blobgc.collected.bytes", "Bytes freed in the store.", Tags.empty(),
                Coordinator.Summary::totalCollectedBytes);
        summaryCounter("blobgc.failed.deletions", "Store deletions that failed (and are retried).", Tags.empty(),
                Coordinator.Summary::totalFailedDeletions);
        summaryGauge("blobgc.sweeper.rate", "The delete rate the sweeper allows itself now, deletions per second: "
                + "the limit, or less after the store pushed back (halved per push-back, climbing back by 2% of the "
                + "limit per request the store takes).", Tags.empty(), sweeper(Coordinator.SweeperStatus::rate));
        summaryGauge("blobgc.sweeper.rate.limit", "The sweeper's configured limit, deletions per second "
                + "(sweeper.max-deletes-per-second).", Tags.empty(), sweeper(Coordinator.SweeperStatus::rateLimit));
        summaryCounter("blobgc.store.throttled.requests", "Store delete requests the store refused as throttled "
                        + "(503 SlowDown, 429, connection reset), since the coordinator started.", Tags.empty(),
                sweeper(Coordinator.SweeperStatus::throttledRequests));
        summaryGauge("blobgc.store.throttling", "1 while the sweeper's rate is below its limit because the store "
                + "pushed back.", Tags.empty(), sweeper(w -> w.storeThrottling() ? 1 : 0));
        summaryGauge("blobgc.store.failing", "1 when the sweeper's last store request failed (deleted nothing, "
                + "not throttled): the store is down or refuses; 0 again once a deletion succeeds.", Tags.empty(),
                sweeper(w -> w.storeFailing() ? 1 : 0));
        for (ReportOutcome outcome : ReportOutcome.values()) {
            summaryCounter("blobgc.reports", "Reports received by this coordinator, by outcome (DUPLICATE_OR_OLD, "
                            + "FROM_REMOVED_NODE and MALFORMED are rejected).", Tags.of("outcome", outcome.name()),
                    s -> s.reportOutcomes().getOrDefault(outcome.name(), 0L));
        }
        summaryCounter("blobgc.rejected.reports", "Reports ignored: late, duplicate, out of order, from a removed "
                + "node, or malformed.", Tags.empty(), s -> s.reportOutcomes().entrySet().stream()
                .filter(e -> ReportOutcome.valueOf(e.getKey()).rejected()).mapToLong(e -> e.getValue()).sum());
        summaryCounter("blobgc.reported.while.deleting", "Blobs a node reported in use while DELETING (it used "
                + "them without acquire).", Tags.empty(), Coordinator.Summary::reportedWhileDeleting);
        summaryCounter("blobgc.reported.unknown", "Hashes nodes reported that the registry does not hold (never "
                        + "uploaded, or collected): not protected; upload blobs before using them.", Tags.empty(),
                Coordinator.Summary::reportedUnknown);
        summaryCounter("blobgc.orphans.found", "Content in the store the registry does not account for (unknown or "
                        + "collected hashes), older than orphan-grace: condemned for deletion.", Tags.empty(),
                Coordinator.Summary::orphansCondemned);
        summaryCounter("blobgc.orphans.deleted", "Orphans deleted from the store by the reconciliation.",
                Tags.empty(), Coordinator.Summary::orphansDeleted);
        // one series per node, rewritten from each summary (nodes come and go)
        nodeReportAges = MultiGauge.builder("blobgc.node.report.age").baseUnit("seconds")
                .description("Time since each node's last report.").register(registry);
        // one series per partition entity (partition-hosting = sharded; none otherwise), tagged with its member
        partitionCycles = MultiGauge.builder("blobgc.partition.cycle").description("The last cycle each partition "
                + "entity ran (partition-hosting = sharded); behind the coordinator's while it moves or recovers.")
                .register(registry);
        partitionBlobs = MultiGauge.builder("blobgc.partition.blobs").description("Blobs each partition entity knows "
                + "(every status; partition-hosting = sharded).").register(registry);
        partitionsAnswering = MultiGauge.builder("blobgc.partition.answering").description("1 when the partition "
                + "entity answered the last summary in time, 0 when not: moving, recovering, or its member gone "
                + "(partition-hosting = sharded).").register(registry);
    }

    private static Duration[] micros(long... micros) {
        return java.util.Arrays.stream(micros).mapToObj(m -> Duration.ofNanos(m * 1_000)).toArray(Duration[]::new);
    }

    private Timer sweepLatency(String outcome) {
        return Timer.builder("blobgc.sweep.latency")
                .description("How long each store deletion took (recorded where the coordinator's sweeper runs); "
                        + "outcome: deleted, or failed (it threw, and is retried).")
                .tag("outcome", outcome)
                .serviceLevelObjectives(BUCKETS)
                .register(registry);
    }

    /** A value of the summary's {@link Coordinator.SweeperStatus}; NaN in a summary without one. */
    private static ToDoubleFunction<Coordinator.Summary> sweeper(ToDoubleFunction<Coordinator.SweeperStatus> value) {
        return s -> s.sweeper() == null ? Double.NaN : value.applyAsDouble(s.sweeper());
    }

    private void summaryGauge(String name, String help, Tags tags, ToDoubleFunction<Coordinator.Summary> value) {
        fromSummary.add(Gauge.builder(name, this, m -> m.read(value)).description(help).tags(tags)
                .strongReference(true).register(registry).getId());
    }

    private void summaryCounter(String name, String help, Tags tags, ToDoubleFunction<Coordinator.Summary> value) {
        fromSummary.add(FunctionCounter.builder(name, this, m -> m.read(value)).description(help).tags(tags)
                .register(registry).getId());
    }

    private double read(ToDoubleFunction<Coordinator.Summary> value) {
        Coordinator.Summary s = latest;
        return s == null ? Double.NaN : value.applyAsDouble(s);
    }

    /**
     * The registry that holds blob-gc's meters (a composite of blob-gc's Prometheus registry and every registry bound
     * with {@link #bindTo}).
     */
    public MeterRegistry registry() {
        return registry;
    }

    /**
     * Adds {@code host} to blob-gc's composite registry: every blob-gc meter, those registered already and any later,
     * shows in it too. A {@link MeterBinder}: a host that binds its binders to its registry (Spring Boot does) gets
     * blob-gc's meters by handing it this object.
     */
    @Override
    public void bindTo(MeterRegistry host) {
        registry.add(host);
    }

    /** Takes {@code host} out of the composite again. */
    public void unbind(MeterRegistry host) {
        registry.remove(host);
    }

    /** The recording hooks the coordinator and its sweeper are started with. */
    Timings timings() {
        return new Timings() {
            @Override
            public void cyclePlanned(long nanos) {
                cycleDuration.record(Duration.ofNanos(nanos));
            }

            @Override
            public void storeDeletion(long nanos, boolean ok) {
                (ok ? deleted : deletionFailed).record(Duration.ofNanos(nanos));
            }
        };
    }

    /**
     * Fetches the coordinator's summary for the cluster-wide meters; completes with true when the coordinator answered
     * (false: the meters read NaN until it does). {@code /metrics} calls it at every scrape; a host registry read
     * elsewhere shows the values of the latest call.
     */
    public CompletionStage<Boolean> refresh() {
        return fetch().handle((s, e) -> {
            update(s);
            return s != null;
        });
    }

    /**
     * The Prometheus text exposition of every meter, after a {@link #refresh}: what {@code GET /metrics} answers.
     * When the coordinator does not answer, {@code blobgc_coordinator_up 0}, a comment saying why, and this JVM's own
     * meters (the histograms); nothing read from a summary.
     */
    public CompletionStage<String> scrape() {
        return fetch().handle((s, e) -> {
            synchronized (this) { // this scrape shows the summary it fetched, not a concurrent one's
                update(s);
                if (s != null) return prometheus.scrape();
                Set<String> summaryNames = new HashSet<>();
                for (Meter.Id id : fromSummary) summaryNames.add(prometheusName(id));
                Set<String> local = new HashSet<>();
                prometheus.getPrometheusRegistry().scrape().forEach(m -> local.add(m.getMetadata().getPrometheusName()));
                local.removeAll(summaryNames);
                return "# coordinator unreachable: " + String.valueOf(unwrap(e)).replace('\n', ' ') + "\n"
                        + prometheus.scrape(TEXT_004, local);
            }
        });
    }

    private CompletionStage<Coordinator.Summary> fetch() {
        try {
            return summaries.get();
        } catch (RuntimeException e) { // not started yet
            return CompletableFuture.failedFuture(e);
        }
    }

    private synchronized void update(Coordinator.Summary s) {
        latest = s;
        List<MultiGauge.Row<?>> rows = s == null ? List.of() : s.nodes().stream()
                .<MultiGauge.Row<?>>map(n -> MultiGauge.Row.of(Tags.of("node", NodeIds.address(n.node()),
                        "state", n.state().name()), n.lastReportAgeMs() / 1000.0))
                .toList();
        nodeReportAges.register(rows, true);
        List<Coordinator.PartitionStatus> ps = s == null ? List.of() : s.partitions();
        partitionsAnswering.register(ps.stream().<MultiGauge.Row<?>>map(p -> MultiGauge.Row.of(
                Tags.of("partition", String.valueOf(p.partition())), p.answered() ? 1 : 0)).toList(), true);
        List<Coordinator.PartitionStatus> answered = ps.stream().filter(Coordinator.PartitionStatus::answered).toList();
        partitionCycles.register(answered.stream().<MultiGauge.Row<?>>map(p -> MultiGauge.Row.of(
                partitionTags(p), p.cycle())).toList(), true);
        partitionBlobs.register(answered.stream().<MultiGauge.Row<?>>map(p -> MultiGauge.Row.of(
                partitionTags(p), p.blobs())).toList(), true);
    }

    private static Tags partitionTags(Coordinator.PartitionStatus p) {
        return Tags.of("partition", String.valueOf(p.partition()), "member", p.member());
    }

    private String prometheusName(Meter.Id id) {
        return prometheus.config().namingConvention().name(id.getName(), id.getType(), id.getBaseUnit());
    }

    private static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) t = t.getCause();
        return t;
    }
}
