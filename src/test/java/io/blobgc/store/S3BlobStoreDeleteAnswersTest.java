package io.blobgc.store;

import io.blobgc.BlobHash;
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
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How {@link S3BlobStore#deleteEach} reads DeleteObjects answers that S3Proxy never gives: per-key errors (a
 * throttled key, a refused key, a key left out) and whole-request throttling (503 SlowDown, 429). The answers are
 * made up by {@link SlowDownProxy} (nothing is forwarded: no server behind it), through the real SDK over HTTP.
 */
class S3BlobStoreDeleteAnswersTest {

    private SlowDownProxy proxy;
    private S3Client s3;
    private S3BlobStore store;

    @BeforeEach
    void start() throws Exception {
        proxy = new SlowDownProxy(URI.create("http://127.0.0.1:9"), n -> false);
        s3 = S3Client.builder().endpointOverride(proxy.uri()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("k", "s")))
                .forcePathStyle(true).httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry())).build();
        store = new S3BlobStore(s3, "blobs", "b/");
    }

    @AfterEach
    void stop() {
        if (s3 != null) s3.close();
        if (proxy != null) proxy.close();
    }

    private static BlobHash h(String s) {
        return BlobHash.sha256(s.getBytes());
    }

    private static String error(String key, String code) {
        return "<Error><Key>" + key + "</Key><Code>" + code + "</Code><Message>" + code + "!</Message></Error>";
    }

    @Test
    void eachKeysErrorIsThatBlobsAloneAndSlowDownPerKeyIsThrottling() {
        BlobHash ok = h("ok"), slow = h("slow"), denied = h("denied"), missing = h("missing"), internal = h("int");
        proxy.answerDeletes(keys -> new SlowDownProxy.Answer(200, """
                <?xml version="1.0" encoding="UTF-8"?>
                <DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"""
                + "<Deleted><Key>" + store.keyOf(ok) + "</Key></Deleted>"
                + error(store.keyOf(slow), "SlowDown") + error(store.keyOf(denied), "AccessDenied")
                + error(store.keyOf(internal), "InternalError")
                + "<Deleted><Key>b/not-asked</Key></Deleted>" // an answer naming a key not asked: ignored
                + "</DeleteResult>"));
        List<BlobStore.Deletion> out = store.deleteEach(List.of(ok, slow, denied, missing, internal));
        assertEquals(List.of(ok, slow, denied, missing, internal), out.stream().map(BlobStore.Deletion::hash).toList());
        assertTrue(out.get(0).deleted());
        assertEquals(0, out.get(0).bytesFreed());
        assertTrue(!out.get(1).deleted() && out.get(1).throttled(), out.get(1).toString());
        assertTrue(!out.get(2).deleted() && !out.get(2).throttled(), out.get(2).toString());
        assertTrue(out.get(2).failure().getMessage().contains("AccessDenied"), out.get(2).toString());
        assertTrue(!out.get(3).deleted() && !out.get(3).throttled(), "a key the answer leaves out failed");
        assertTrue(!out.get(4).deleted() && !out.get(4).throttled(), out.get(4).toString());

        List<String> sent = proxy.deletes().get(0).keys();
        assertEquals(List.of(ok, slow, denied, missing, internal).stream().map(store::keyOf).toList(), sent,
                "exactly the keys asked, in one request");
        assertFalse(proxy.deleteBodies().get(0).contains("<Quiet>true</Quiet>"), "quiet mode off");
    }

    @Test
    void aWholeRequestAnsweredSlowDownOr429IsThrottlingForEachOfItsBlobs() {
        for (SlowDownProxy.Answer a : List.of(new SlowDownProxy.Answer(503, SlowDownProxy.SLOW_DOWN),
                new SlowDownProxy.Answer(429, "<Error><Code>TooManyRequests</Code><Message>m</Message></Error>"))) {
            proxy.answerDeletes(keys -> a);
            List<BlobStore.Deletion> out = store.deleteEach(List.of(h("a"), h("b")));
            assertEquals(2, out.size());
            for (BlobStore.Deletion d : out) assertTrue(!d.deleted() && d.throttled(), a.status() + ": " + d);
        }
        proxy.answerDeletes(keys -> new SlowDownProxy.Answer(500, "<Error><Code>InternalError</Code></Error>"));
        for (BlobStore.Deletion d : store.deleteEach(List.of(h("a")))) {
            assertTrue(!d.deleted() && !d.throttled(), "a 500 is a failure, not throttling: " + d);
        }
    }

    @Test
    void aThousandAndOneBlobsGoInTwoRequests() {
        proxy.answerDeletes(keys -> new SlowDownProxy.Answer(200, "<DeleteResult>" + String.join("",
                keys.stream().map(k -> "<Deleted><Key>" + k + "</Key></Deleted>").toList()) + "</DeleteResult>"));
        List<BlobHash> many = new java.util.ArrayList<>();
        for (int i = 0; i < 1001; i++) many.add(h("blob " + i));
        assertTrue(store.deleteEach(many).stream().allMatch(BlobStore.Deletion::deleted));
        assertEquals(List.of(1000, 1), proxy.deletes().stream().map(r -> r.keys().size()).toList());
    }
}
