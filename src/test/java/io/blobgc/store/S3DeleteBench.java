package io.blobgc.store;

import io.blobgc.BlobHash;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Not a test: a benchmark, skipped unless asked for ({@code -Dblobgc.bench=true}). Deletes N objects (default 10,000,
 * {@code -Dblobgc.bench.n}) from S3Proxy (in this JVM, filesystem backend, signature v4) one by one through
 * {@link S3BlobStore#delete} (HeadObject + DeleteObject each), then N others through {@link S3BlobStore#deleteEach}
 * (DeleteObjects, 1,000 keys a request), and prints deletions per second of each, side by side. No timing is
 * asserted: the figures depend on the machine. Run:
 * {@code flock /tmp/blobgc-mvn.lock mvn -B -o test -Dtest=S3DeleteBench -Dblobgc.bench=true -Dinvoker.skip=true}
 */
@EnabledIfSystemProperty(named = "blobgc.bench", matches = "true")
class S3DeleteBench {

    @TempDir
    Path backend;

    @Test
    void deletionsPerSecondSingleVersusBatched() throws Exception {
        int n = Integer.getInteger("blobgc.bench.n", 10_000);
        try (BlobStoreContext context = S3ProxyServers.filesystem(backend)) {
            S3Proxy proxy = S3ProxyServers.started(context, "bench", "bench-secret");
            try (S3Client s3 = S3Client.builder().endpointOverride(URI.create("http://127.0.0.1:" + proxy.getPort()))
                    .region(Region.US_EAST_1).forcePathStyle(true).httpClient(UrlConnectionHttpClient.create())
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("bench",
                            "bench-secret"))).build()) {
                s3.createBucket(b -> b.bucket("bench"));
                S3BlobStore store = new S3BlobStore(s3, "bench", "blobs/");
                List<BlobHash> single = putAll(store, "single", n), batched = putAll(store, "batched", n);

                long t0 = System.nanoTime();
                for (BlobHash h : single) store.delete(h);
                double singleSeconds = (System.nanoTime() - t0) / 1e9;

                t0 = System.nanoTime();
                List<BlobStore.Deletion> out = store.deleteEach(batched);
                double batchedSeconds = (System.nanoTime() - t0) / 1e9;

                assertTrue(out.stream().allMatch(BlobStore.Deletion::deleted));
                assertEquals(0, store.page(null, 10).entries().size(), "all deleted");
                System.out.printf("BENCH %d objects, S3Proxy %s (filesystem backend), one thread:%n", n,
                        "2.6.0");
                System.out.printf("BENCH   single deletes (HeadObject + DeleteObject): %6.2f s, %8.0f deletions/s%n",
                        singleSeconds, n / singleSeconds);
                System.out.printf("BENCH   DeleteObjects (1,000 keys a request):     %6.2f s, %8.0f deletions/s%n",
                        batchedSeconds, n / batchedSeconds);
            } finally {
                proxy.stop();
            }
        }
    }

    /** {@code n} small blobs, put by 8 threads (the setup, not measured). */
    private static List<BlobHash> putAll(S3BlobStore store, String tag, int n) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<BlobHash>> puts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                byte[] c = (tag + " " + i).getBytes();
                puts.add(pool.submit(() -> {
                    BlobHash h = BlobHash.sha256(c);
                    store.put(h, c);
                    return h;
                }));
            }
            List<BlobHash> out = new ArrayList<>(n);
            for (Future<BlobHash> f : puts) out.add(f.get());
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}
