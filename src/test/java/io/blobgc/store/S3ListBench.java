package io.blobgc.store;

import io.blobgc.BlobHash;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Not a test: a benchmark, skipped unless asked for ({@code -Dblobgc.bench=true}). Issue 27's target "listing
 * 100,000 keys for reconciliation in pages without holding them all in memory": N objects (default 100,000,
 * {@code -Dblobgc.bench.n}) are put straight into the backend of an S3Proxy in this JVM (transient backend, in
 * parallel, no HTTP: the setup, not measured), then listed through {@link S3BlobStore#page} as the store
 * reconciliation walks a bucket — a page of 1,000 after the last hash of the previous one (ListObjectsV2 with
 * StartAfter), nothing kept from a page once the next is asked for. It prints the pages, keys per second, and the heap
 * the walk retains: the most live heap above the baseline (after a full GC, with the walk's current page held) at
 * every tenth page, against the heap the same keys take when all are held at once (what an unpaged listing would
 * keep). No figure is asserted: they depend on the machine. Run:
 * {@code flock /tmp/blobgc-mvn.lock mvn -B -o test -Dtest=S3ListBench -Dblobgc.bench=true -Dinvoker.skip=true}
 */
@EnabledIfSystemProperty(named = "blobgc.bench", matches = "true")
class S3ListBench {

    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    @Test
    void listingAHundredThousandKeysInPages() throws Exception {
        int n = Integer.getInteger("blobgc.bench.n", 100_000);
        int pageSize = 1000; // sweeper.orphan-page-size's default, and one ListObjectsV2 request
        try (BlobStoreContext context = ContextBuilder.newBuilder("transient").build(BlobStoreContext.class)) {
            org.jclouds.blobstore.BlobStore backend = context.getBlobStore();
            backend.createContainerInLocation(null, "bench");
            long t0 = System.nanoTime();
            putAll(backend, n);
            double putSeconds = (System.nanoTime() - t0) / 1e9;
            S3Proxy proxy = S3ProxyServers.started(S3Proxy.builder().blobStore(backend)
                    .awsAuthentication(AuthenticationType.NONE, null, null).ignoreUnknownHeaders(true));
            try (S3Client s3 = S3Client.builder().endpointOverride(URI.create("http://127.0.0.1:" + proxy.getPort()))
                    .region(Region.US_EAST_1).forcePathStyle(true).httpClient(UrlConnectionHttpClient.create())
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("k", "s")))
                    .build()) {
                S3BlobStore store = new S3BlobStore(s3, "bench", "blobs/");
                store.page(null, pageSize); // warm-up: the client, the connection, the JIT on one page
                long baseline = liveHeap();

                // the walk: as the reconciliation does, a page after the last hash of the one before
                int pages = 0, largest = 0;
                long keys = 0, peak = 0;
                BlobHash after = null, previous = null;
                t0 = System.nanoTime();
                long listingNanos = 0;
                while (true) {
                    long p0 = System.nanoTime();
                    BlobStore.Page page = store.page(after, pageSize);
                    listingNanos += System.nanoTime() - p0;
                    pages++;
                    keys += page.entries().size();
                    largest = Math.max(largest, page.entries().size());
                    for (BlobStore.Entry e : page.entries()) {
                        assertTrue(previous == null || previous.toHex().compareTo(e.hash().toHex()) < 0, "ascending");
                        previous = e.hash();
                    }
                    if (pages % 10 == 0) peak = Math.max(peak, liveHeap() - baseline); // this page still held
                    if (!page.more()) break;
                    after = page.entries().get(page.entries().size() - 1).hash();
                }
                double seconds = listingNanos / 1e9;
                assertEquals(n, keys, "every key listed once");

                // the same keys held at once, as an unpaged listing (BlobStore.list into a collection) would keep them
                List<BlobStore.Entry> all = new ArrayList<>(n);
                after = null;
                while (true) {
                    BlobStore.Page page = store.page(after, pageSize);
                    all.addAll(page.entries());
                    if (!page.more()) break;
                    after = page.entries().get(page.entries().size() - 1).hash();
                }
                long allHeld = liveHeap() - baseline;
                assertEquals(n, all.size());

                System.out.printf("BENCH %d keys in S3Proxy 2.6.0 (transient backend, put in %.1f s), listed through "
                        + "S3BlobStore.page as the reconciliation walks, one thread:%n", n, putSeconds);
                System.out.printf("BENCH   %d pages (ListObjectsV2, StartAfter, %d keys a page, largest %d), "
                        + "%.2f s, %.0f keys/s%n", pages, pageSize, largest, seconds, keys / seconds);
                System.out.printf("BENCH   live heap the walk retains above its baseline (every 10th page, after a "
                        + "full GC): at most %.2f MB%n", peak / 1e6);
                System.out.printf("BENCH   live heap of all %d entries held at once (an unpaged listing): %.2f MB "
                        + "(%.0fx)%n", all.size(), allHeld / 1e6, (double) allHeld / Math.max(1, peak));
                all.clear();
            } finally {
                proxy.stop();
            }
        }
    }

    /** The heap in use after a full GC (twice: what survives it is live). */
    private static long liveHeap() {
        System.gc();
        System.gc();
        return MEMORY.getHeapMemoryUsage().getUsed();
    }

    /** {@code n} small objects under {@code blobs/<hex>}, put into the backend by 4 threads. */
    private static void putAll(org.jclouds.blobstore.BlobStore backend, int n) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> puts = new ArrayList<>();
            int threads = 4;
            for (int t = 0; t < threads; t++) {
                int from = t;
                puts.add(pool.submit(() -> {
                    for (int i = from; i < n; i += threads) {
                        byte[] c = ("listed " + i).getBytes();
                        String key = "blobs/" + BlobHash.sha256(c).toHex();
                        backend.putBlob("bench", backend.blobBuilder(key).payload(c).contentLength(c.length)
                                .build());
                    }
                    return null;
                }));
            }
            for (Future<?> f : puts) f.get();
        } finally {
            pool.shutdownNow();
        }
    }
}
