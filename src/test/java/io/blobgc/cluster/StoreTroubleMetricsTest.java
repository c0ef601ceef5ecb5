package io.blobgc.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.blobgc.BlobGc;
import io.blobgc.BlobHash;
import io.blobgc.TestNodes;
import io.blobgc.api.ApiJson;
import io.blobgc.ledger.BlobInfo;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.store.StoreThrottledException;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 27, step 5 (operations): what a throttled, then failing, blob store looks like in {@code /metrics} and in
 * {@code /v1/summary} (the dashboard's source). One real node whose store (plugged in through
 * {@code blob-gc.store.class}) answers deletions "slow down" while a file {@code throttle-deletes} exists beside its
 * root and fails them ("connection refused") while {@code fail-deletes} does; a blob nobody uses goes to its sweeper.
 */
class StoreTroubleMetricsTest {

    /** A {@link io.blobgc.store.FileBlobStore} whose deletions are throttled or fail while a flag file exists. */
    public static final class TroubledStore extends FileStoreWrapper {
        private final Path throttle, fail;

        public TroubledStore(Path root) {
            super(root);
            this.throttle = root.resolveSibling("throttle-deletes");
            this.fail = root.resolveSibling("fail-deletes");
        }

        @Override
        public long delete(BlobHash hash) throws IOException {
            if (Files.exists(throttle)) throw new StoreThrottledException("503 SlowDown (simulated)", null);
            if (Files.exists(fail)) throw new IOException("Connection refused (simulated)");
            return super.delete(hash);
        }
    }

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

    private static <T> T await(CompletionStage<T> s) throws Exception {
        return s.toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static String get(BlobGc gc, String path) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gc.httpAddress().getPort() + path))
                .timeout(Duration.ofSeconds(30)).GET().build();
        HttpResponse<String> reply = HTTP.send(r, HttpResponse.BodyHandlers.ofString());
        assertEquals(200, reply.statusCode(), reply.body());
        return reply.body();
    }

    private static JsonNode summary(BlobGc gc) throws Exception {
        return ApiJson.MAPPER.readTree(get(gc, "/v1/summary"));
    }

    /** The value of the sample {@code series} (name and labels, as written), or NaN when it is not there. */
    private static double sample(String text, String series) {
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    private void eventually(Check check) {
        TestProbe.create(node).awaitAssert(Duration.ofSeconds(60), () -> {
            try {
                check.run();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            return null;
        });
    }

    private interface Check {
        void run() throws Exception;
    }

    @Test
    void aThrottledThenFailingStoreShowsInTheMetricsAndTheSummaryAndRecovers() throws Exception {
        Path nodeDir = dir.resolve("node");
        node = ActorSystem.create(Behaviors.empty(), "blobgc", TestNodes.config(nodeDir, """
                blob-gc.store.class = "%s"
                blob-gc.sweeper.max-deletes-per-second = 200
                blob-gc.sweeper.retry-backoff { min = 200ms, max = 1s }
                """.formatted(TroubledStore.class.getName())));
        Cluster c = Cluster.get(node);
        c.manager().tell(Join.create(c.selfMember().address()));
        TestProbe.create(node).awaitAssert(Duration.ofSeconds(20), () -> {
            assertEquals(MemberStatus.up(), c.selfMember().status());
            return null;
        });
        BlobGc gc = await(BlobGc.start(node));
        Path root = gc.settings().storeRoot();
        Path throttle = root.resolveSibling("throttle-deletes"), fail = root.resolveSibling("fail-deletes");

        // a healthy store: the sweeper at its limit, nothing throttled, not failing; each with its HELP
        String healthy = get(gc, "/metrics");
        for (String name : List.of("blobgc_sweeper_rate", "blobgc_sweeper_rate_limit",
                "blobgc_store_throttled_requests_total", "blobgc_store_throttling", "blobgc_store_failing")) {
            assertTrue(healthy.contains("# HELP " + name + " "), name + " without HELP:\n" + healthy);
        }
        assertEquals(200, sample(healthy, "blobgc_sweeper_rate"), healthy);
        assertEquals(200, sample(healthy, "blobgc_sweeper_rate_limit"), healthy);
        assertEquals(0, sample(healthy, "blobgc_store_throttled_requests_total"), healthy);
        assertEquals(0, sample(healthy, "blobgc_store_throttling"), healthy);
        assertEquals(0, sample(healthy, "blobgc_store_failing"), healthy);
        JsonNode s0 = summary(gc);
        assertEquals(200, s0.get("sweepRate").asDouble(), s0.toString());
        assertEquals(200, s0.get("sweepRateLimit").asDouble(), s0.toString());
        assertFalse(s0.get("storeThrottling").asBoolean(), s0.toString());
        assertFalse(s0.get("storeFailing").asBoolean(), s0.toString());
        assertTrue(s0.get("lastStoreError").isNull(), s0.toString());

        // the store throttles: requests refused as throttled are counted, the rate drops below the limit
        Files.writeString(throttle, "on");
        byte[] content = "deleted from a troubled store".getBytes(StandardCharsets.UTF_8);
        BlobHash h = BlobHash.sha256(content);
        assertEquals(List.of(h), await(gc.upload(h, content, List.of())).accepted());
        eventually(() -> {
            String text = get(gc, "/metrics");
            assertTrue(sample(text, "blobgc_store_throttled_requests_total") >= 1, text);
            assertTrue(sample(text, "blobgc_sweeper_rate") < 200, text);
            assertEquals(1, sample(text, "blobgc_store_throttling"), text);
            assertEquals(0, sample(text, "blobgc_store_failing"), text);
            JsonNode s = summary(gc);
            assertTrue(s.get("storeThrottling").asBoolean(), s.toString());
            assertTrue(s.get("sweepRate").asDouble() < s.get("sweepRateLimit").asDouble(), s.toString());
            assertTrue(s.get("storeThrottledRequests").asLong() >= 1, s.toString());
            assertFalse(s.get("storeFailing").asBoolean(), s.toString());
        });

        // the store fails: failing, the failed deletions counted (as the journal records them), the error named
        Files.writeString(fail, "on");
        Files.delete(throttle);
        double failedBefore = sample(get(gc, "/metrics"), "blobgc_failed_deletions_total");
        eventually(() -> {
            String text = get(gc, "/metrics");
            assertEquals(1, sample(text, "blobgc_store_failing"), text);
            assertTrue(sample(text, "blobgc_failed_deletions_total") > failedBefore, text);
            JsonNode s = summary(gc);
            assertTrue(s.get("storeFailing").asBoolean(), s.toString());
            assertTrue(s.get("lastStoreError").asText().contains("Connection refused (simulated)"), s.toString());
            assertTrue(s.get("failedDeletions").asLong() >= 1, s.toString());
        });

        // the store is back: the blob is collected and the store no longer failing (its last error still named)
        Files.delete(fail);
        eventually(() -> {
            assertEquals(BlobStatus.COLLECTED, await(gc.blob(h)).map(BlobInfo::status).orElse(null));
            String text = get(gc, "/metrics");
            assertEquals(0, sample(text, "blobgc_store_failing"), text);
            JsonNode s = summary(gc);
            assertFalse(s.get("storeFailing").asBoolean(), s.toString());
            assertTrue(s.get("lastStoreError").asText().contains("simulated"), s.toString());
        });
        assertFalse(gc.store().exists(h), "deleted from the store");
    }
}
