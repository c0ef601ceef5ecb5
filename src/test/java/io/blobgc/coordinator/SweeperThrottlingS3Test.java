package io.blobgc.coordinator;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;
import io.blobgc.store.S3BlobStore;
import io.blobgc.store.S3ProxyServers;
import io.blobgc.store.SlowDownProxy;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The sweeper against a throttling S3: a real S3Proxy behind {@link SlowDownProxy}, which answers 503 SlowDown (S3's
 * XML error) to the 2nd, 4th and 6th DeleteObjects request and forwards the rest. The sweeper actor is handed one
 * batch by a probe standing in for the coordinator, and must (1) delete every blob of it exactly once — each key in
 * exactly one forwarded request — and nothing else, (2) confirm the whole batch in one ConfirmDeleted with no
 * failure reported (throttling is not a failure), (3) slow down: after a SlowDown its next request comes after a
 * pause and carries at most half the keys (the rate halved, and the bucket with it), and (4) speed up again once the
 * store stops pushing back. The store's client does not retry by itself here, so that every 503 reaches the sweeper.
 */
class SweeperThrottlingS3Test {

    private static final Config CONFIG = ConfigFactory.parseString("""
            pekko.actor.provider = local
            blob-gc.sweeper.max-deletes-per-second = 1000
            """).withFallback(ConfigFactory.load()).resolve();

    private BlobStoreContext context;
    private S3Proxy s3proxy;
    private SlowDownProxy slowDown;
    private S3Client direct, throttled;
    private ActorTestKit kit;

    @BeforeEach
    void start() throws Exception {
        context = ContextBuilder.newBuilder("transient").build(BlobStoreContext.class);
        s3proxy = S3ProxyServers.started(S3Proxy.builder().blobStore(context.getBlobStore())
                .awsAuthentication(AuthenticationType.NONE, null, null).ignoreUnknownHeaders(true));
        URI s3uri = URI.create("http://127.0.0.1:" + s3proxy.getPort());
        slowDown = new SlowDownProxy(s3uri, n -> n == 1 || n == 3 || n == 5);
        direct = client(s3uri);
        throttled = client(slowDown.uri());
        direct.createBucket(b -> b.bucket("blobs"));
        kit = ActorTestKit.create("SweeperThrottlingS3Test", CONFIG);
    }

    private static S3Client client(URI endpoint) {
        return S3Client.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("k", "s")))
                .forcePathStyle(true).httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry())).build();
    }

    @AfterEach
    void stop() throws Exception {
        if (kit != null) kit.shutdownTestKit();
        if (throttled != null) throttled.close();
        if (direct != null) direct.close();
        if (slowDown != null) slowDown.close();
        if (s3proxy != null) s3proxy.stop();
        if (context != null) context.close();
    }

    @Test
    void aThrottledSweeperSlowsDownRetriesAndDeletesEveryBlobOfItsBatchExactlyOnceAndNothingElse() throws Exception {
        S3BlobStore store = new S3BlobStore(direct, "blobs", "b/");
        List<BlobHash> asked = new ArrayList<>(), kept = new ArrayList<>();
        for (int i = 0; i < 340; i++) {
            byte[] c = ("blob " + i).getBytes();
            BlobHash h = BlobHash.sha256(c);
            store.put(h, c);
            (i < 300 ? asked : kept).add(h);
        }
        TestProbe<Coordinator.Command> coordinator = kit.createTestProbe();
        ActorRef<Sweeper.Command> sweeper = kit.spawn(Sweeper.create(coordinator.getRef(),
                new S3BlobStore(throttled, "blobs", "b/"), BlobGcSettings.from(CONFIG), Timings.NONE));
        sweeper.tell(new Sweeper.Batch(asked, System.nanoTime() + Duration.ofSeconds(30).toNanos()));

        Coordinator.ConfirmDeleted confirmed = null;
        List<Coordinator.SweeperStatus> statuses = new ArrayList<>();
        while (confirmed == null) {
            Coordinator.Command c = coordinator.receiveMessage(Duration.ofSeconds(30));
            if (c instanceof Coordinator.ConfirmDeleted d) confirmed = d;
            else if (c instanceof Coordinator.SweeperStatusChanged t) statuses.add(t.status());
            else if (!(c instanceof Coordinator.StartDeletion)) fail("unexpected " + c);
        }
        coordinator.expectMessageClass(Coordinator.StartDeletion.class, Duration.ofSeconds(5)); // the next batch
        coordinator.expectNoMessage(Duration.ofMillis(300)); // no failure or expiry reported after it either
        assertEquals(300, confirmed.hashes().size(), "one confirmation, each blob once");
        assertEquals(new HashSet<>(asked), new HashSet<>(confirmed.hashes()));

        // each asked key in exactly one forwarded (not throttled) DeleteObjects request, and no other key
        Map<String, Integer> forwarded = new HashMap<>();
        List<SlowDownProxy.DeleteRequest> requests = slowDown.deletes();
        for (SlowDownProxy.DeleteRequest r : requests) {
            if (!r.throttled()) r.keys().forEach(k -> forwarded.merge(k, 1, Integer::sum));
        }
        Set<String> askedKeys = new HashSet<>();
        asked.forEach(h -> askedKeys.add(store.keyOf(h)));
        assertEquals(askedKeys, forwarded.keySet(), "what was forwarded is what was asked");
        forwarded.forEach((k, n) -> assertEquals(1, n, k + " sent " + n + " times"));
        for (BlobHash h : asked) assertFalse(store.exists(h), h + " deleted");
        for (BlobHash h : kept) assertTrue(store.exists(h), h + " was not asked: kept");

        // slowing down: after each SlowDown, a pause and at most half the keys
        assertEquals(3, requests.stream().filter(SlowDownProxy.DeleteRequest::throttled).count(), requests
                .toString());
        assertEquals(100, requests.get(0).keys().size(), "the first request: a full burst at 1000/s (0.1 s)");
        for (int i = 1; i <= 5; i += 2) {
            SlowDownProxy.DeleteRequest refused = requests.get(i), next = requests.get(i + 1);
            assertTrue(next.atNanos() - refused.atNanos() >= SweeperCore.FIRST_PAUSE_NANOS / 2,
                    "a pause after SlowDown " + i + ": " + (next.atNanos() - refused.atNanos()) / 1_000_000 + " ms");
            assertTrue(next.keys().size() <= Math.max(1, refused.keys().size() / 2), "after SlowDown " + i + ": "
                    + next.keys().size() + " keys after " + refused.keys().size());
        }
        // and speeding up again once the store stops pushing back
        int afterLast = requests.get(6).keys().size();
        int largestLater = requests.subList(7, requests.size()).stream().mapToInt(r -> r.keys().size()).max()
                .orElse(0);
        assertTrue(largestLater > afterLast, "the rate climbs back: " + sizes(requests));
        // and the coordinator was told (for its summary and /metrics): the rate halved at the first SlowDown, three
        // requests throttled, the store never failing, and the rate climbing back after the last SlowDown
        assertFalse(statuses.isEmpty(), "no status told");
        assertEquals(500.0, statuses.get(0).rate(), "the first SlowDown halves 1000/s: " + statuses);
        assertEquals(1, statuses.get(0).throttledRequests(), statuses.toString());
        assertTrue(statuses.get(0).storeThrottling(), statuses.toString());
        Coordinator.SweeperStatus last = statuses.get(statuses.size() - 1);
        assertEquals(3, last.throttledRequests(), statuses.toString());
        assertEquals(1000.0, last.rateLimit());
        assertTrue(statuses.stream().noneMatch(Coordinator.SweeperStatus::storeFailing), statuses.toString());
        double lowest = statuses.stream().mapToDouble(Coordinator.SweeperStatus::rate).min().orElseThrow();
        // halved at each SlowDown, +2% of the limit after each request between: 1000, 500, 520, 260, 280, 140
        assertEquals(140.0, lowest, "the rates told: " + statuses);
        assertTrue(last.rate() > lowest, "climbing back: " + statuses);
        System.out.println("DeleteObjects requests (keys, T: SlowDown): " + sizes(requests));
    }

    private static String sizes(List<SlowDownProxy.DeleteRequest> requests) {
        return requests.stream().map(r -> r.keys().size() + (r.throttled() ? "T" : "")).toList().toString();
    }
}
