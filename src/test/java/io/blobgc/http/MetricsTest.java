package io.blobgc.http;

import io.blobgc.BlobGc;
import io.blobgc.BlobHash;
import io.blobgc.TestNodes;
import io.blobgc.ledger.BlobInfo;
import io.blobgc.ledger.BlobStatus;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 21, step 5: {@code /metrics} is the Micrometer Prometheus registry's scrape. On one real node: the cycle
 * duration and sweep latency histograms fill as cycles run and a blob is collected, next to the cluster-wide values
 * of the coordinator's summary; and a registry the host application binds sees the same meters.
 */
class MetricsTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;
    private ActorSystem<Void> node;

    @AfterEach
    void stop() throws Exception {
        if (node == null) return;
        node.terminate();
        node.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private BlobGc startNode() throws Exception {
        node = ActorSystem.create(Behaviors.empty(), "blobgc", TestNodes.config(dir, ""));
        Cluster c = Cluster.get(node);
        c.manager().tell(Join.create(c.selfMember().address()));
        TestProbe.create(node).awaitAssert(Duration.ofSeconds(20), () -> {
            assertEquals(MemberStatus.up(), c.selfMember().status());
            return null;
        });
        return await(BlobGc.start(node));
    }

    private static <T> T await(CompletionStage<T> s) throws Exception {
        return s.toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static String metrics(BlobGc gc) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gc.httpAddress().getPort()
                + "/metrics")).timeout(Duration.ofSeconds(30)).GET().build();
        HttpResponse<String> reply = HTTP.send(r, HttpResponse.BodyHandlers.ofString());
        assertEquals(200, reply.statusCode(), reply.body());
        return reply.body();
    }

    /** The value of the sample {@code series} (name and labels, as written), or -1 when it is not there. */
    private static double sample(String text, String series) {
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    @Test
    void theHistogramsFillAsCyclesRunAndABlobIsCollected() throws Exception {
        BlobGc gc = startNode();
        String before = metrics(gc);
        // registered at the start: a member that runs no coordinator shows them with count 0
        assertTrue(before.contains("# TYPE blobgc_cycle_duration_seconds histogram"), before);
        assertTrue(before.contains("# TYPE blobgc_sweep_latency_seconds histogram"), before);
        assertEquals(0, sample(before, "blobgc_sweep_latency_seconds_count{outcome=\"deleted\"}"), before);

        // nobody uses it: unreferenced, then marked after the grace, then deleted by the sweeper
        byte[] content = "collected for the sweep latency".getBytes(StandardCharsets.UTF_8);
        BlobHash h = BlobHash.sha256(content);
        assertEquals(List.of(h), await(gc.upload(h, content, List.of())).accepted());
        TestProbe.create(node).awaitAssert(Duration.ofSeconds(60), () -> {
            assertEquals(BlobStatus.COLLECTED, await(gc.blob(h)).map(BlobInfo::status).orElse(null));
            return null;
        });

        String text = metrics(gc);
        assertEquals(1, sample(text, "blobgc_coordinator_up"), text);
        double cycles = sample(text, "blobgc_cycle_duration_seconds_count");
        assertTrue(cycles > 0, "cycles timed:\n" + text);
        assertEquals(cycles, sample(text, "blobgc_cycle_duration_seconds_bucket{le=\"+Inf\"}"), text);
        assertTrue(sample(text, "blobgc_cycle_duration_seconds_bucket{le=\"30.0\"}") > 0, text);
        assertTrue(sample(text, "blobgc_cycle_duration_seconds_sum") >= 0, text);
        assertTrue(sample(text, "blobgc_sweep_latency_seconds_count{outcome=\"deleted\"}") >= 1, text);
        assertTrue(sample(text, "blobgc_sweep_latency_seconds_bucket{outcome=\"deleted\",le=\"+Inf\"}") >= 1, text);
        assertTrue(sample(text, "blobgc_sweep_latency_seconds_bucket{outcome=\"deleted\",le=\"10.0\"}") >= 1, text);
        assertEquals(0, sample(text, "blobgc_sweep_latency_seconds_count{outcome=\"failed\"}"), text);
        // and the cluster-wide values of the summary, under their names of before
        assertTrue(sample(text, "blobgc_cycles_total") >= 1, text);
        assertTrue(sample(text, "blobgc_collected_blobs_total") >= 1, text);
        assertTrue(sample(text, "blobgc_collected_bytes_total") >= content.length, text);
        assertTrue(sample(text, "blobgc_blobs{status=\"COLLECTED\"}") >= 1, text);
        assertTrue(sample(text, "blobgc_reports_total{outcome=\"APPLIED\"}") >= 1, text);
        assertEquals(0, sample(text, "blobgc_stale_nodes"), text);
        assertTrue(text.contains("blobgc_node_report_age_seconds{node=\"pekko://blobgc@127.0.0.1:"), text);
    }

    @Test
    void aHostRegistryBoundToBlobGcSeesItsMeters() throws Exception {
        BlobGc gc = startNode();
        SimpleMeterRegistry host = new SimpleMeterRegistry();
        gc.metrics().bindTo(host);
        Timer cycles = host.find("blobgc.cycle.duration").timer();
        assertNotNull(cycles, "the cycle timer, registered before the host's registry was bound, shows in it");
        assertNotNull(host.find("blobgc.sweep.latency").tag("outcome", "deleted").timer());
        long seen = cycles.count();
        TestProbe.create(node).awaitAssert(Duration.ofSeconds(30), () -> {
            await(gc.runCycle(false));
            assertTrue(cycles.count() > seen, "cycles timed in the host's registry: " + cycles.count());
            return null;
        });
        // the cluster-wide gauges read the latest summary fetched
        assertTrue(await(gc.metrics().refresh()));
        assertEquals(1.0, host.get("blobgc.coordinator.up").gauge().value());
        assertTrue(host.get("blobgc.cycles").functionCounter().count() >= 1);

        gc.metrics().unbind(host);
        long bound = cycles.count();
        await(gc.runCycle(false));
        assertEquals(bound, cycles.count(), "unbound: the host's registry no longer records");
    }
}
