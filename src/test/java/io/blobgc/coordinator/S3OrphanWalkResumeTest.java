package io.blobgc.coordinator;

import com.typesafe.config.Config;
import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.store.S3BlobStore;
import io.blobgc.store.S3ProxyServers;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 27, item 3, on a real S3 server: the store reconciliation's walk through an S3 bucket survives a coordinator
 * restart (a failover: a new incarnation recovering from the journal) and goes on from the last page it persisted —
 * by key ({@code StartAfter = prefix + the persisted hash}), not by a continuation token, which a successor does not
 * have and which expires, nor from the first page again. A coordinator on {@link S3BlobStore} against S3Proxy (in this
 * JVM, transient backend); the store's client records every ListObjectsV2 request it sends.
 */
class S3OrphanWalkResumeTest {

    private static final String PREFIX = "b/";
    private static final Config CONFIG = CoordinatorTestKit.config("""
            coordinator.snapshot-every = 1000
            sweeper.orphan-page-size = 3
            """);

    /** One ListObjectsV2 request as sent: its StartAfter and continuation token (null when absent). */
    record ListRequest(String startAfter, String token) {
    }

    private BlobStoreContext context;
    private S3Proxy proxy;
    private S3Client s3;
    private ActorTestKit kit;
    private final List<ListRequest> lists = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        context = ContextBuilder.newBuilder("transient").build(BlobStoreContext.class);
        proxy = S3ProxyServers.started(S3Proxy.builder().blobStore(context.getBlobStore())
                .awsAuthentication(AuthenticationType.NONE, null, null).ignoreUnknownHeaders(true));
        ExecutionInterceptor recorder = new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution c, ExecutionAttributes a) {
                if (c.request() instanceof ListObjectsV2Request r) {
                    lists.add(new ListRequest(r.startAfter(), r.continuationToken()));
                }
            }
        };
        s3 = S3Client.builder().endpointOverride(URI.create("http://127.0.0.1:" + proxy.getPort()))
                .region(Region.US_EAST_1).forcePathStyle(true).httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("k", "s")))
                .overrideConfiguration(o -> o.addExecutionInterceptor(recorder)).build();
        s3.createBucket(b -> b.bucket("walk"));
        kit = ActorTestKit.create("S3OrphanWalkResumeTest", CONFIG);
    }

    @AfterEach
    void stop() throws Exception {
        if (kit != null) kit.shutdownTestKit();
        if (s3 != null) s3.close();
        if (proxy != null) proxy.stop();
        if (context != null) context.close();
    }

    @Test
    void aWalkInterruptedByARestartGoesOnAfterThePersistedHashNotFromTheStart() throws Exception {
        S3BlobStore store = new S3BlobStore(s3, "walk", PREFIX);
        List<BlobHash> keys = new ArrayList<>();
        for (int i = 0; i < 10; i++) { // written just now: no orphans (orphan-grace 1h), nothing is deleted
            byte[] c = ("blob " + i).getBytes();
            BlobHash h = BlobHash.sha256(c);
            store.put(h, c);
            keys.add(h);
        }
        keys.sort(Comparator.comparing(BlobHash::toHex));
        var es = EventSourcedBehaviorTestKit.<ToCoordinator, Coordinator.Event, Coordinator.State>create(kit.system(),
                Coordinator.create(BlobGcSettings.from(CONFIG), store, Clock.systemUTC()),
                EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyState(false));
        es.clear();

        // two pages of three before the restart: the walk is after keys[5]
        cycleAndAwaitPosition(es, keys.get(2));
        cycleAndAwaitPosition(es, keys.get(5));
        assertEquals(List.of(new ListRequest(null, null), new ListRequest(PREFIX + keys.get(2).toHex(), null)),
                lists, "the pages before the restart: from the first key, then after the first page's last");

        lists.clear();
        var restarted = es.restart(); // a failover: a new incarnation recovers from the journal, a new sweeper
        assertEquals(keys.get(5), restarted.state().ledger().orphanScanResumesAfter(), "the persisted position");
        cycleAndAwaitPosition(es, keys.get(8));
        assertEquals(new ListRequest(PREFIX + keys.get(5).toHex(), null), lists.get(0),
                "the first page after the restart starts after the persisted hash, by StartAfter: " + lists);
        cycleAndAwaitPosition(es, null); // the last page (keys[9]) ends the pass; the next starts from the first
        assertEquals(List.of(new ListRequest(PREFIX + keys.get(5).toHex(), null),
                new ListRequest(PREFIX + keys.get(8).toHex(), null)), lists, "no page after the restart from the start");
        for (BlobHash h : keys) assertTrue(store.exists(h), "young content is kept");
    }

    /** Runs a cycle (which lists a page) and waits until the walk's persisted position is {@code expected}. */
    private void cycleAndAwaitPosition(EventSourcedBehaviorTestKit<ToCoordinator, Coordinator.Event,
            Coordinator.State> es, BlobHash expected) {
        int before = lists.size();
        es.<CycleOutcome>runCommand(ref -> new Coordinator.RunCycleNow(false, ref));
        kit.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
            assertEquals(before + 1, lists.size(), "one page listed: " + lists);
            es.<Coordinator.Summary>runCommand(Coordinator.GetSummary::new); // the page's event persisted by now
            if (expected == null) assertNull(es.getState().ledger().orphanScanResumesAfter());
            else assertEquals(expected, es.getState().ledger().orphanScanResumesAfter());
            return null;
        });
    }
}
