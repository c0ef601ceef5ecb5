package io.blobgc.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.blobgc.BlobGc;
import io.blobgc.BlobHash;
import io.blobgc.TestNodes;
import io.blobgc.store.FileBlobStore;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every route of the admin API and every error case, against a real one-node cluster over real HTTP. */
class AdminApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final List<ActorSystem<Void>> systems = new ArrayList<>();

    @TempDir
    static Path dir;
    private static String base;
    private static FileBlobStore store;

    @BeforeAll
    static void startNode() {
        ActorSystem<Void> node = start(dir.resolve("main"), "");
        BlobGc gc = BlobGc.get(node);
        base = "http://127.0.0.1:" + gc.httpAddress().getPort();
        store = (FileBlobStore) gc.store();
    }

    @AfterAll
    static void stop() throws Exception {
        for (ActorSystem<Void> s : systems) {
            s.terminate();
            s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    static ActorSystem<Void> start(Path data, String extra) {
        ActorSystem<Void> s = startUp(data, extra);
        systems.add(s);
        return s;
    }

    /** A one-node cluster, Up; the caller terminates it. */
    static ActorSystem<Void> startUp(Path data, String extra) {
        ActorSystem<Void> s = ActorSystem.create(Behaviors.empty(), "blobgc", TestNodes.config(data, extra));
        Cluster c = Cluster.get(s);
        c.manager().tell(Join.create(c.selfMember().address()));
        TestProbe.create(s).awaitAssert(Duration.ofSeconds(20), () -> {
            assertEquals(MemberStatus.up(), c.selfMember().status());
            return null;
        });
        return s;
    }

    record Reply(int status, JsonNode json, String text) {
        String error() {
            return json == null ? null : json.path("error").asText();
        }
    }

    private static Reply call(String method, String path, String body) throws Exception {
        return call(base, method, path, body, null);
    }

    static Reply call(String base, String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) b.header("Content-Type", "application/json");
        if (token != null) b.header("Authorization", "Bearer " + token);
        return toReply(HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString()));
    }

    private static Reply putBytes(String path, byte[] content) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(content))
                .header("Content-Type", "application/octet-stream").build();
        return toReply(HTTP.send(r, HttpResponse.BodyHandlers.ofString()));
    }

    private static Reply toReply(HttpResponse<String> r) {
        JsonNode json = null;
        try {
            json = JSON.readTree(r.body());
        } catch (Exception notJson) {
            // metrics are text
        }
        return new Reply(r.statusCode(), json, r.body());
    }

    private static String upload(String content) throws Exception {
        byte[] bytes = content.getBytes();
        String hex = BlobHash.sha256(bytes).toHex();
        Reply r = putBytes("/v1/blobs/" + hex, bytes);
        assertEquals(201, r.status(), r.text());
        return hex;
    }

    private static void assertError(Reply r, int status, String code) {
        assertEquals(status, r.status(), r.text());
        assertEquals(code, r.error(), r.text());
        assertFalse(r.text().contains("\tat "), "no stack trace");
        assertTrue(r.json().path("message").asText().length() > 3, r.text());
    }

    @Test
    void summaryHasTheDocumentedShape() throws Exception {
        TestProbe.create(systems.get(0)).awaitAssert(Duration.ofSeconds(20), () -> {
            Reply r = call("GET", "/v1/summary", null);
            assertEquals(200, r.status(), r.text());
            JsonNode s = r.json();
            for (String key : List.of("cycle", "coordinatorNode", "warmingUp", "dryRun", "counts", "nodes", "lastCycle")) {
                assertTrue(s.has(key), key + " in " + r.text());
            }
            assertTrue(s.path("coordinatorNode").asText().startsWith("pekko://blobgc@127.0.0.1:"));
            for (String st : List.of("ACTIVE", "PINNED", "UNREFERENCED", "MARKED_FOR_COLLECTION", "DELETING", "COLLECTED")) {
                assertTrue(s.path("counts").has(st), st);
            }
            JsonNode node = s.path("nodes").get(0);
            assertTrue(node.path("node").asText().startsWith("pekko://blobgc@127.0.0.1:"));
            assertFalse(node.path("node").asText().contains("#"), "the address, without the uid");
            assertEquals("LIVE", node.path("state").asText());
            assertTrue(node.has("lastReportAgeMs") && node.has("active") && node.has("pinned"));
            return null;
        });
    }

    @Test
    void putStoresTheBlobAndGetExplainsIt() throws Exception {
        String callee = upload("callee body");
        byte[] bytes = "caller body".getBytes();
        String hex = BlobHash.sha256(bytes).toHex();
        Reply put = putBytes("/v1/blobs/" + hex + "?dependsOn=" + callee, bytes);
        assertEquals(201, put.status(), put.text());
        assertTrue(Files.exists(store.pathOf(BlobHash.parse(hex))));
        Reply get = call("GET", "/v1/blobs/" + hex, null);
        assertEquals(200, get.status());
        for (String key : List.of("hash", "status", "unreferencedSince", "referencedBy", "pins", "nodePinnedBy",
                "dependencies")) {
            assertTrue(get.json().has(key), key + " in " + get.text());
        }
        assertEquals(hex, get.json().path("hash").asText());
        assertEquals(callee, get.json().path("dependencies").get(0).asText());
        assertEquals(hex, call("GET", "/v1/blobs/" + callee, null).json().path("dependents").get(0).asText());
    }

    @Test
    void blobErrors() throws Exception {
        byte[] bytes = "some content".getBytes();
        String other = BlobHash.sha256("other content".getBytes()).toHex();
        assertError(putBytes("/v1/blobs/" + other, bytes), 400, "bad_request");
        assertFalse(Files.exists(store.pathOf(BlobHash.parse(other))), "nothing stored");
        assertError(call("GET", "/v1/blobs/xyz", null), 400, "bad_request");
        assertError(call("GET", "/v1/blobs/" + "0".repeat(64), null), 404, "not_found");
        assertError(putBytes("/v1/blobs/" + BlobHash.sha256(bytes).toHex() + "?dependsOn=nothex", bytes), 400,
                "bad_request");
    }

    @Test
    void postRegistersHashesWithDependencies() throws Exception {
        String a = BlobHash.sha256("a".getBytes()).toHex(), b = BlobHash.sha256("b".getBytes()).toHex();
        // issue 19, defect 1: nothing is registered without its content in the store
        Reply noContent = call("POST", "/v1/blobs", "{\"hashes\":[\"" + b + "\",\"" + a + "\"]}");
        assertError(noContent, 409, "no_content");
        assertTrue(noContent.text().contains(a) && noContent.text().contains(b), noContent.text());
        assertEquals(404, call("GET", "/v1/blobs/" + a, null).status());
        store.put(BlobHash.parse(a), "a".getBytes()); // the host application wrote the content into the shared store
        // a callee that has no content (never uploaded) is refused: upload the callees first
        assertError(call("POST", "/v1/blobs", "{\"hashes\":[\"" + a + "\"],\"dependencies\":{\"" + a + "\":[\"" + b
                + "\"]}}"), 409, "conflict");
        store.put(BlobHash.parse(b), "b".getBytes());
        Reply r = call("POST", "/v1/blobs", "{\"hashes\":[\"" + b + "\",\"" + a + "\"],\"dependencies\":{\"" + a
                + "\":[\"" + b + "\"]}}");
        assertEquals(200, r.status(), r.text());
        assertEquals(a, r.json().path("accepted").get(1).asText());
        assertEquals(b, call("GET", "/v1/blobs/" + a, null).json().path("dependencies").get(0).asText());
        assertError(call("POST", "/v1/blobs", "{\"hashes\":[]}"), 400, "bad_request");
        assertError(call("POST", "/v1/blobs", "{\"hashes\":[\"12\"]}"), 400, "bad_request");
        assertError(call("POST", "/v1/blobs", "{not json"), 400, "bad_request");
    }

    @Test
    void pinsAndTheirErrors() throws Exception {
        String hex = upload("pinned content");
        Reply pin = call("PUT", "/v1/pins/" + hex, "{\"owner\":\"ops\",\"reason\":\"golden\",\"ttl\":\"10m\"}");
        assertEquals(200, pin.status(), pin.text());
        Reply blob = call("GET", "/v1/blobs/" + hex, null);
        assertEquals("PINNED", blob.json().path("status").asText());
        assertEquals("ops", blob.json().path("pins").get(0).path("owner").asText());
        assertEquals("golden", blob.json().path("pins").get(0).path("reason").asText());
        assertError(call("DELETE", "/v1/pins/" + hex + "?owner=someone-else", null), 404, "not_found");
        assertError(call("DELETE", "/v1/pins/" + hex, null), 400, "bad_request");
        assertEquals(200, call("DELETE", "/v1/pins/" + hex + "?owner=ops", null).status());
        assertError(call("DELETE", "/v1/pins/" + hex + "?owner=ops", null), 404, "not_found");
        assertError(call("PUT", "/v1/pins/" + hex, "{\"owner\":\"ops\",\"ttl\":\"soon\"}"), 400, "bad_request");
        assertError(call("PUT", "/v1/pins/" + hex, "{\"reason\":\"no owner\"}"), 400, "bad_request");
        assertError(call("PUT", "/v1/pins/" + hex, "{\"owner\":"), 400, "bad_request");
        assertError(call("PUT", "/v1/pins/" + "1".repeat(64), "{\"owner\":\"ops\"}"), 404, "not_found");
    }

    @Test
    void cyclesRunOnDemandAndHistoryIsNewestFirst() throws Exception {
        Reply dry = call("POST", "/v1/cycles?dryRun=true", null);
        assertEquals(200, dry.status(), dry.text());
        assertTrue(dry.json().path("dryRun").asBoolean());
        Reply real = call("POST", "/v1/cycles", null);
        assertEquals(200, real.status());
        assertFalse(real.json().path("dryRun").asBoolean());
        assertError(call("POST", "/v1/cycles?dryRun=maybe", null), 400, "bad_request");
        Reply history = call("GET", "/v1/cycles?limit=2", null);
        assertEquals(200, history.status());
        JsonNode cycles = history.json().path("cycles");
        assertEquals(2, cycles.size());
        assertTrue(cycles.get(0).path("cycle").asLong() > cycles.get(1).path("cycle").asLong());
        assertError(call("GET", "/v1/cycles?limit=x", null), 400, "bad_request");
        assertError(call("GET", "/v1/cycles?limit=0", null), 400, "bad_request");
    }

    @Test
    void aHolderLeaseKeepsItsBlobsUntilItExpiresAndThenTheyAreCollected() throws Exception {
        String hex = upload("leased by a VM outside the JVM");
        Reply lease = call("PUT", "/v1/node/holders/rust-vm-1", "{\"hashes\":[\"" + hex + "\"],\"ttl\":\"2s\"}");
        assertEquals(200, lease.status(), lease.text());
        assertEquals(hex, lease.json().path("held").get(0).asText());
        TestProbe<Object> probe = TestProbe.create(systems.get(0));
        probe.awaitAssert(Duration.ofSeconds(10), () -> {
            assertEquals(1, call("GET", "/v1/blobs/" + hex, null).json().path("referencedBy").size());
            return null;
        });
        // not renewed: the lease expires, the blob is unreferenced, then collected and deleted from disk
        probe.awaitAssert(Duration.ofSeconds(30), () -> {
            assertEquals("COLLECTED", call("GET", "/v1/blobs/" + hex, null).json().path("status").asText());
            return null;
        });
        assertFalse(Files.exists(store.pathOf(BlobHash.parse(hex))));
        // leasing or pinning a collected blob is a conflict: upload it again first
        assertError(call("PUT", "/v1/node/holders/rust-vm-1", "{\"hashes\":[\"" + hex + "\"],\"ttl\":\"2s\"}"), 409,
                "gone");
        Reply leasePin = call("PUT", "/v1/node/holders/rust-vm-1", "{\"pins\":[\"" + hex + "\"],\"ttl\":\"2s\"}");
        assertError(leasePin, 409, "gone");
        assertEquals(hex, leasePin.json().path("gone").get(0).asText(), "a lease's pin goes through the fence too");
        assertEquals(0, leasePin.json().path("pinned").size());
        assertError(call("PUT", "/v1/pins/" + hex, "{\"owner\":\"ops\"}"), 409, "conflict");
        assertError(call("PUT", "/v1/node/holders/rust-vm-2", "{\"hashes\":[]}"), 400, "bad_request");
        assertEquals(200, call("DELETE", "/v1/node/holders/rust-vm-2", null).status());
    }

    @Test
    void metricsAreInPrometheusTextFormat() throws Exception {
        Reply r = call("GET", "/metrics", null);
        assertEquals(200, r.status());
        for (String line : List.of("# TYPE blobgc_blobs gauge", "blobgc_blobs{status=\"ACTIVE\"}",
                "blobgc_cycle_duration_seconds", "blobgc_collected_blobs_total", "blobgc_collected_bytes_total",
                "blobgc_node_report_age_seconds{node=\"pekko://blobgc@127.0.0.1:", "blobgc_stale_nodes 0",
                "blobgc_warming_up", "blobgc_failed_deletions_total", "blobgc_rejected_reports_total")) {
            assertTrue(r.text().contains(line), line + " in\n" + r.text());
        }
    }

    @Test
    void healthUnknownPathsAndMethods() throws Exception {
        assertEquals(200, call("GET", "/health/alive", null).status());
        TestProbe.create(systems.get(0)).awaitAssert(Duration.ofSeconds(20), () -> {
            assertEquals(200, call("GET", "/health/ready", null).status());
            return null;
        });
        assertError(call("GET", "/v2/nothing", null), 404, "not_found");
        assertError(call("PATCH", "/v1/summary", null), 405, "method_not_allowed");
    }

    @Test
    void withATokenMutatingCallsNeedIt() throws Exception {
        ActorSystem<Void> node = start(dir.resolve("token"), "blob-gc.http.token = s3cret");
        String url = "http://127.0.0.1:" + BlobGc.get(node).httpAddress().getPort();
        assertError(call(url, "POST", "/v1/cycles", null, null), 401, "unauthorized");
        assertError(call(url, "POST", "/v1/cycles", null, "wrong"), 401, "unauthorized");
        TestProbe.create(node).awaitAssert(Duration.ofSeconds(20), () -> {
            assertEquals(200, call(url, "POST", "/v1/cycles", null, "s3cret").status());
            return null;
        });
        assertEquals(200, call(url, "GET", "/v1/summary", null, null).status(), "reading needs no token");
    }

    @Test
    void boundBeyondLoopbackWithoutATokenTheNodeRefusesToStart() {
        ActorSystem<Void> node = start(dir.resolve("open"), "blob-gc.http.host = \"0.0.0.0\"");
        var e = assertThrows(IllegalStateException.class, () -> BlobGc.get(node));
        assertTrue(e.getMessage().contains("blob-gc.http.token"), e.getMessage());
    }

    @Test
    void aMemberExpectedToReportRefusesToStartWithoutItsReporter() {
        ActorSystem<Void> node = start(dir.resolve("noreporter"), "blob-gc.reporter.enabled = off");
        var e = assertThrows(IllegalStateException.class, () -> BlobGc.get(node));
        assertTrue(e.getMessage().contains("blob-gc.node-role"), e.getMessage());
    }

    @Test
    void anUnreachableCoordinatorIs503() throws Exception {
        ActorSystem<Void> node = start(dir.resolve("nocoord"), """
                blob-gc.coordinator.role = "a-role-nobody-has"
                blob-gc.coordinator.ask-timeout = 1s
                """);
        String url = "http://127.0.0.1:" + BlobGc.get(node).httpAddress().getPort();
        assertError(call(url, "GET", "/v1/summary", null, null), 503, "coordinator_unavailable");
        assertError(call(url, "POST", "/v1/cycles", null, null), 503, "coordinator_unavailable");
        Reply metrics = call(url, "GET", "/metrics", null, null);
        assertTrue(metrics.text().contains("blobgc_coordinator_up 0"), metrics.text());
        // this JVM's own histograms still answer (count 0: it runs no coordinator); nothing read from a summary
        assertTrue(metrics.text().contains("blobgc_cycle_duration_seconds_count 0"), metrics.text());
        assertTrue(metrics.text().contains("# coordinator unreachable: "), metrics.text());
        assertFalse(metrics.text().contains("blobgc_blobs"), metrics.text());
        assertFalse(metrics.text().contains("blobgc_cycles_total"), metrics.text());
    }
}
