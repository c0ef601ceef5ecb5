package io.blobgc.store;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import java.net.URI;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the host's S3 client does inside one deleteEach call (review of issue 27 step 3: each test failed before its fix). */
class S3DeleteReviewTest {

    private static BlobHash h(String s) {
        return BlobHash.sha256(s.getBytes());
    }

    private static S3Client client(URI endpoint, boolean sdkDefaultRetries) {
        var b = S3Client.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("k", "s")))
                .forcePathStyle(true).httpClient(UrlConnectionHttpClient.create());
        if (!sdkDefaultRetries) b.overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()));
        return b.build();
    }

    private static SlowDownProxy.Answer allDeleted(List<String> keys) {
        return new SlowDownProxy.Answer(200, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><DeleteResult>"
                + keys.stream().map(k -> "<Deleted><Key>" + k + "</Key></Deleted>").collect(Collectors.joining())
                + "</DeleteResult>");
    }

    /**
     * S10: the sweeper checks its batch's deadline once before deleteEach, "one request". With the SDK's default
     * retry strategy (what a host gets unless it configures one) a SlowDown is retried by the client itself,
     * seconds later, and the keys are deleted then — after any deadline that had only the request's latency left.
     */
    @Test
    void oneDeleteEachCallIsOneDeleteObjectsRequestWhateverTheHostClientsRetries() throws Exception {
        try (SlowDownProxy proxy = new SlowDownProxy(URI.create("http://127.0.0.1:9"), n -> n == 0 || n == 1);
             S3Client s3 = client(proxy.uri(), true)) {
            proxy.answerDeletes(S3DeleteReviewTest::allDeleted);
            S3BlobStore store = new S3BlobStore(s3, "blobs", "b/");
            long t0 = System.nanoTime();
            List<BlobStore.Deletion> out = store.deleteEach(List.of(h("a"), h("b")));
            List<SlowDownProxy.DeleteRequest> sent = proxy.deletes();
            String when = sent.stream().map(r -> "+" + (r.atNanos() - t0) / 1_000_000 + " ms" + (r.throttled() ? " T" : ""))
                    .toList().toString();
            assertEquals(1, sent.size(), "DeleteObjects requests for one deleteEach call: " + when);
            assertTrue(out.stream().allMatch(BlobStore.Deletion::throttled), "the SlowDown is the sweeper's to handle");
        }
    }

    /**
     * SDK >= 2.30 sends x-amz-checksum-crc32, not Content-MD5, with DeleteObjects; S3-compatible servers that require
     * Content-MD5 (Dell ECS, older MinIO/Ceph) refuse every request 400 InvalidRequest. Single DeleteObject did not
     * need it: before batching such a store was swept, now every hash of every batch fails, forever.
     */
    @Test
    void aStoreThatRefusesDeleteObjectsIsStillSwept() throws Exception {
        try (SlowDownProxy proxy = new SlowDownProxy(URI.create("http://127.0.0.1:9"), n -> false);
             S3Client s3 = client(proxy.uri(), false)) {
            proxy.answerDeletes(keys -> new SlowDownProxy.Answer(400, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                    + "<Error><Code>InvalidRequest</Code><Message>Missing required header for this request: Content-MD5"
                    + "</Message></Error>"));
            S3BlobStore store = new S3BlobStore(s3, "blobs", "b/");
            List<BlobStore.Deletion> out = store.deleteEach(List.of(h("a"), h("b")));
            assertFalse(out.get(0).deleted());
            assertEquals(1, store.deletesPerRequest(), "after a refused DeleteObjects the sweeper should delete one by one");
        }
    }
}
