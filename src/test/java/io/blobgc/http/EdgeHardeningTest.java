package io.blobgc.http;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.blobgc.BlobGc;
import io.blobgc.BlobHash;
import io.blobgc.node.ActiveSetSource;
import io.blobgc.node.NodeReporter;
import io.blobgc.node.ReporterCore;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13's findings, one test (or more) each, over real HTTP against real nodes: what a hostile client did to the
 * edge, and what it gets now.
 */
class EdgeHardeningTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path dir;
    private static ActorSystem<Void> node;
    private static int port;
    private static String base;

    @BeforeAll
    static void startNode() {
        node = start(dir.resolve("edge"), """
                blob-gc.coordinator.ask-timeout = 3s
                blob-gc.reporter.acquire-timeout = 3s
                blob-gc.http.max-blob-size = 1 MiB
                """);
        port = BlobGc.get(node).httpAddress().getPort();
        base = "http://127.0.0.1:" + port;
    }

    private static final List<ActorSystem<Void>> systems = new ArrayList<>();

    static ActorSystem<Void> start(Path data, String extra) {
        ActorSystem<Void> s = AdminApiTest.startUp(data, extra);
        systems.add(s);
        return s;
    }

    @AfterAll
    static void stop() throws Exception {
        for (ActorSystem<Void> s : systems) {
            s.terminate();
            s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    record Reply(int status, JsonNode json, String text) {
        String error() {
            return json == null ? null : json.path("error").asText();
        }
    }

    static Reply send(String url, String method, String path, String contentType, byte[] body, String... headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) b.header("Content-Type", contentType);
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = null;
        try {
            json = JSON.readTree(r.body());
        } catch (Exception notJson) {
            // metrics are text
        }
        return new Reply(r.statusCode(), json, r.body());
    }

    private static Reply json(String method, String path, String body) throws Exception {
        return send(base, method, path, "application/json", body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }

    private static String upload(String content) throws Exception {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        String hex = BlobHash.sha256(bytes).toHex();
        Reply r = send(base, "PUT", "/v1/blobs/" + hex, "application/octet-stream", bytes);
        assertEquals(201, r.status(), r.text());
        return hex;
    }

    /** A clear 4xx naming what was wrong, never a stack trace. */
    private static void assertRefused(Reply r, int status, String mentions) {
        assertEquals(status, r.status(), r.text());
        assertFalse(r.text().contains("\tat "), "no stack trace: " + r.text());
        assertTrue(r.json() != null && r.json().path("message").asText().contains(mentions),
                "the message names '" + mentions + "': " + r.text());
    }

    private static void assertReady(String url) throws Exception {
        TestProbe.create(node).awaitAssert(Duration.ofSeconds(20), () -> {
            Reply r = send(url, "GET", "/health/ready", null, null);
            assertEquals(200, r.status(), r.text());
            return null;
        });
    }

    // ---- 1. one lease request stopped collection on a node

    @Test
    void aLeaseTtlBeyondItsBoundIsRefusedAndTheReporterLivesOn() throws Exception {
        String hex = upload("finding 1");
        assertRefused(json("PUT", "/v1/node/holders/x", "{\"ttl\":\"999999999d\",\"hashes\":[\"" + hex + "\"]}"),
                400, "ttl");
        Reply next = json("PUT", "/v1/node/holders/y", "{\"ttl\":\"30s\",\"hashes\":[\"" + hex + "\"]}");
        assertEquals(200, next.status(), next.text());
        assertEquals(200, json("DELETE", "/v1/node/holders/y", null).status());
        assertReady(base);
    }

    @Test
    void theReporterSurvivesAnUnboundedLeaseSentToItDirectly() throws Exception {
        var reporter = BlobGc.get(node).reporter();
        ReporterCore.LeaseReply reply = AskPattern.<NodeReporter.Message, ReporterCore.LeaseReply>ask(reporter,
                r -> new NodeReporter.SetLease("direct", Set.of(), Set.of(), Duration.ofDays(999_999_999), r),
                Duration.ofSeconds(5), node.scheduler()).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals("direct", reply.holder());
        ReporterCore.View view = AskPattern.<NodeReporter.Message, ReporterCore.View>ask(reporter,
                NodeReporter.GetView::new, Duration.ofSeconds(5), node.scheduler())
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertTrue(view.leases().containsKey("direct"), view.toString());
        reporter.tell(new NodeReporter.DropLease("direct"));
    }

    /** An active-set source that throws an Error (not an Exception) once told to: the reporter stops. */
    public static final class BreakableSource implements ActiveSetSource {
        static volatile boolean broken;

        @Override
        public Set<BlobHash> activeBlobs() {
            if (broken) throw new AssertionError("test: this source is broken");
            return Set.of();
        }
    }

    @Test
    void aNodeWhoseReporterFailsOrStopsIsNotReadyAndSaysWhy() throws Exception {
        ActorSystem<Void> other = start(dir.resolve("broken-reporter"),
                "blob-gc.reporter.active-set-source = \"" + BreakableSource.class.getName() + "\"\n"
                        + "blob-gc.coordinator.ask-timeout = 3s");
        String url = "http://127.0.0.1:" + BlobGc.get(other).httpAddress().getPort();
        assertReady(url);
        try {
            BreakableSource.broken = true; // every heartbeat now fails: the reporter lives, its reports stop
            TestProbe.create(other).awaitAssert(Duration.ofSeconds(20), () -> {
                Reply r = send(url, "GET", "/health/ready", null, null);
                assertEquals(503, r.status(), r.text());
                assertTrue(r.json().path("message").asText().contains("reporter"), r.text());
                return null;
            });
        } finally {
            BreakableSource.broken = false;
        }
        assertReady(url);
        // and a reporter that is gone altogether
        var reporter = BlobGc.get(other).reporter();
        org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(other)
                .stop(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(reporter));
        TestProbe.create(other).awaitAssert(Duration.ofSeconds(20), () -> {
            Reply r = send(url, "GET", "/health/ready", null, null);
            assertEquals(503, r.status(), r.text());
            assertTrue(r.json().path("message").asText().contains("reporter stopped"), r.text());
            return null;
        });
        Reply lease = send(url, "PUT", "/v1/node/holders/h", "application/json", "{\"ttl\":\"30s\"}".getBytes());
        assertEquals(503, lease.status(), "a lease is not accepted into the void: " + lease.text());
        assertEquals(503, send(url, "DELETE", "/v1/node/holders/h", null, null).status());
    }

    // ---- 2. uploads stream; the maximum blob size is 413 (the concurrent load is UploadLoadTest)

    @Test
    void aBlobOverTheMaximumSizeIs413() throws Exception {
        byte[] big = new byte[2 * 1024 * 1024];
        big[0] = 1;
        String hex = BlobHash.sha256(big).toHex();
        assertRefused(send(base, "PUT", "/v1/blobs/" + hex, "application/octet-stream", big), 413, "max-blob-size");
        // chunked, without a Content-Length: cut off at the limit all the same
        HttpRequest chunked = HttpRequest.newBuilder(URI.create(base + "/v1/blobs/" + hex))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build();
        HttpResponse<String> r = HTTP.send(chunked, HttpResponse.BodyHandlers.ofString());
        assertEquals(413, r.statusCode(), r.body());
        assertEquals(404, json("GET", "/v1/blobs/" + hex, null).status(), "nothing registered");
        upload("x".repeat(1000)); // a small one still goes through
    }

    // ---- 3. browser-borne writes and DNS rebinding

    @Test
    void mutatingCallsNeedAJsonOrOctetStreamContentType() throws Exception {
        String hex = BlobHash.sha256("finding 3".getBytes()).toHex();
        String body = "{\"hashes\":[\"" + hex + "\"]}";
        assertRefused(send(base, "POST", "/v1/blobs", "text/plain", body.getBytes()), 415, "Content-Type");
        assertEquals(404, json("GET", "/v1/blobs/" + hex, null).status(), "nothing registered");
        assertRefused(send(base, "POST", "/v1/cycles", "application/x-www-form-urlencoded", new byte[0]), 415,
                "Content-Type");
        assertRefused(send(base, "POST", "/v1/cycles", "multipart/form-data; boundary=x", "--x--".getBytes()), 415,
                "Content-Type");
        byte[] content = "finding 3 content".getBytes();
        assertRefused(send(base, "PUT", "/v1/blobs/" + BlobHash.sha256(content).toHex(), "text/plain", content), 415,
                "Content-Type");
        assertEquals(200, send(base, "POST", "/v1/cycles?dryRun=true", null, null).status(), "no body, no type");
    }

    @Test
    void mutatingCallsFromAnotherOriginAreRefused() throws Exception {
        assertRefused(send(base, "POST", "/v1/cycles?dryRun=true", "application/json", null,
                "Origin", "http://evil.example"), 403, "Origin");
        assertRefused(send(base, "POST", "/v1/cycles?dryRun=true", "application/json", null,
                "Origin", "null"), 403, "Origin");
        assertRefused(send(base, "POST", "/v1/cycles?dryRun=true", "application/json", null,
                "Sec-Fetch-Site", "cross-site"), 403, "Sec-Fetch-Site");
        assertEquals(200, send(base, "POST", "/v1/cycles?dryRun=true", "application/json", null,
                "Origin", base).status(), "the API's own origin may");
    }

    @Test
    void aForeignHostHeaderIsRefused() throws Exception {
        RawHttp.Answer rebound = RawHttp.send(port, "GET /v1/summary HTTP/1.1\nHost: attacker.example:" + port, null,
                Duration.ofSeconds(10));
        assertEquals(403, rebound.status(), rebound.text());
        assertTrue(rebound.text().contains("blob-gc.http.allowed-hosts"), rebound.text());
        RawHttp.Answer ok = RawHttp.send(port, "GET /health/alive HTTP/1.1\nHost: localhost:" + port, null,
                Duration.ofSeconds(10));
        assertEquals(200, ok.status(), ok.text());
    }

    // ---- 4. no input reaches a 500

    @Test
    void aNullDependencyListIs400NotA500() throws Exception {
        String a = BlobHash.sha256("finding 4".getBytes()).toHex();
        assertRefused(json("POST", "/v1/blobs", "{\"hashes\":[\"" + a + "\"],\"dependencies\":{\"" + a + "\":null}}"),
                400, "dependencies");
        assertRefused(json("POST", "/v1/blobs", "{\"hashes\":[null]}"), 400, "hashes");
    }

    // ---- 5. hex is [0-9a-fA-F]

    @Test
    void nonAsciiDigitsAreNotHex() throws Exception {
        String hex = upload("finding 5");
        String fullwidth = hex.replace('0', '\uFF10').replace('1', '\u0661');
        assertNotEquals(hex, fullwidth);
        String path = "/v1/blobs/" + URLEncoder.encode(fullwidth, StandardCharsets.UTF_8);
        assertRefused(json("GET", path, null), 400, "not a hex digit");
        assertRefused(json("PUT", "/v1/pins/" + URLEncoder.encode(fullwidth, StandardCharsets.UTF_8),
                "{\"owner\":\"ops\"}"), 400, "not a hex digit");
    }

    // ---- 6. strings that reach the journal are bounded

    @Test
    void pinOwnerAndReasonAreBounded() throws Exception {
        String hex = upload("finding 6");
        assertRefused(json("PUT", "/v1/pins/" + hex, "{\"owner\":\"" + "o".repeat(10_000) + "\"}"), 400, "owner");
        assertRefused(json("PUT", "/v1/pins/" + hex, "{\"owner\":\"ops\",\"reason\":\"" + "r".repeat(100_000) + "\"}"),
                400, "reason");
        assertRefused(json("DELETE", "/v1/pins/" + hex + "?owner=" + "o".repeat(300), null), 400, "owner");
        assertEquals(414, json("DELETE", "/v1/pins/" + hex + "?owner=" + "o".repeat(10_000), null).status(),
                "pekko's own bound on the URI (parsing.max-uri-length)");
        assertEquals(0, json("GET", "/v1/blobs/" + hex, null).json().path("pins").size());
    }

    // ---- 7. names from requests do not forge log lines

    @Test
    void controlCharactersInNamesAreRefused() throws Exception {
        String forged = URLEncoder.encode("vm\n12:00:00.000 ERROR i.b.c.Coordinator - \u001b[31mforged",
                StandardCharsets.UTF_8).replace("+", "%20");
        assertRefused(json("PUT", "/v1/node/holders/" + forged, "{\"ttl\":\"30s\"}"), 400, "holder");
        String hex = upload("finding 7");
        assertRefused(json("PUT", "/v1/pins/" + hex, "{\"owner\":\"ops\\nERROR forged\"}"), 400, "owner");
    }

    // ---- 8. slow clients; aborted connections

    @Test
    void slowClientsCannotExhaustTheConnections() throws Exception {
        ActorSystem<Void> slow = start(dir.resolve("slow"), """
                pekko.http.server.max-connections = 16
                blob-gc.http.max-connections = 16
                blob-gc.http.header-timeout = 1s
                """);
        int slowPort = BlobGc.get(slow).httpAddress().getPort();
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < 40; i++) {
                Socket s = new Socket();
                s.connect(new InetSocketAddress("127.0.0.1", slowPort), 2000);
                s.getOutputStream().write(("GET /v1/summary HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                        .getBytes(StandardCharsets.ISO_8859_1));
                sockets.add(s);
            }
            long t0 = System.nanoTime();
            // the slow heads trickle a byte every 200 ms (well inside any idle timeout)...
            Thread trickle = new Thread(() -> {
                try {
                    for (int n = 0; n < 50; n++) {
                        for (Socket s : sockets) {
                            try {
                                s.getOutputStream().write('a');
                            } catch (Exception closed) {
                                // the server hung up on it: what we want
                            }
                        }
                        Thread.sleep(200);
                    }
                } catch (InterruptedException e) {
                    // done
                }
            });
            trickle.setDaemon(true);
            trickle.start();
            // ...and a normal client is still answered
            RawHttp.Answer a = null;
            for (int attempt = 0; attempt < 10 && (a == null || a.status() != 200); attempt++) {
                try {
                    a = RawHttp.send(slowPort, "GET /health/alive HTTP/1.1\nHost: 127.0.0.1", null,
                            Duration.ofSeconds(3));
                } catch (java.io.IOException e) {
                    a = new RawHttp.Answer(-1, e.toString());
                }
            }
            assertEquals(200, a.status(), "answered while 40 slow clients hold their connections: " + a.text());
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(15));
            trickle.interrupt();
        } finally {
            for (Socket s : sockets) s.close();
        }
    }

    /**
     * Issue 20, finding 3: connections that made one request, read the answer and then sent nothing held
     * {@code max-connections} until the idle timeout (60 s), locking new clients out. Now the header deadline runs
     * between requests too: each is closed within twice {@code header-timeout} of its answer.
     */
    @Test
    void idleKeptAliveConnectionsAreClosedAndCannotLockTheApiOut() throws Exception {
        ActorSystem<Void> node = start(dir.resolve("idle"), """
                pekko.http.server.max-connections = 8
                blob-gc.http.max-connections = 8
                blob-gc.http.header-timeout = 1s
                blob-gc.http.idle-timeout = 60s
                """);
        int idlePort = BlobGc.get(node).httpAddress().getPort();
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                Socket s = new Socket();
                s.connect(new InetSocketAddress("127.0.0.1", idlePort), 2000);
                s.getOutputStream().write("GET /health/alive HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                        .getBytes(StandardCharsets.ISO_8859_1));
                s.getOutputStream().flush();
                sockets.add(s);
            }
            for (Socket s : sockets) {
                s.setSoTimeout(6_000);
                StringBuilder got = new StringBuilder();
                try {
                    for (int b; (b = s.getInputStream().read()) >= 0; ) got.append((char) b);
                } catch (java.net.SocketTimeoutException e) {
                    throw new AssertionError("an idle kept-alive connection was still open 6 s after its answer "
                            + "(header-timeout 1s): " + got, e);
                }
                assertTrue(got.toString().startsWith("HTTP/1.1 200"), got.toString());
            }
            RawHttp.Answer a = RawHttp.send(idlePort, "GET /health/alive HTTP/1.1\nHost: 127.0.0.1", null,
                    Duration.ofSeconds(5));
            assertEquals(200, a.status(), "a new client after the idle ones: " + a.text());
        } finally {
            for (Socket s : sockets) s.close();
        }
    }

    @Test
    void abortedConnectionsAreNotWarnings() throws Exception {
        try (io.blobgc.LogCapture captured = io.blobgc.LogCapture.root()) {
            for (int i = 0; i < 30; i++) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                    String head = switch (i % 3) {
                        // an upload cut off mid-body
                        case 0 -> "PUT /v1/blobs/" + "0".repeat(64) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                + "Content-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\nabc";
                        // a head cut off
                        case 1 -> "GET /v1/summary HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Partial: ";
                        // garbage
                        default -> "\u0016\u0003\u0001 not http at all\r\n\r\n";
                    };
                    s.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
                    s.getOutputStream().flush();
                    Thread.sleep(20);
                    if (i % 2 == 0) s.setSoLinger(true, 0); // a reset, as a client that gives up; else a close
                }
            }
            Thread.sleep(1500);
            List<String> warnings = captured.events().stream()
                    .filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                    .filter(e -> !String.valueOf(e.getFormattedMessage()).contains("this source is broken"))
                    .map(e -> e.getLoggerName() + ": " + e.getFormattedMessage()).toList();
            assertTrue(warnings.isEmpty(), warnings.size() + " warnings: " + warnings);
        }
        assertEquals(200, json("GET", "/health/alive", null).status());
    }

    // ---- 9. the smaller ones

    @Test
    void aNumericOrUnitlessTtlIsRefused() throws Exception {
        String hex = upload("finding 9 ttl");
        assertRefused(json("PUT", "/v1/node/holders/n", "{\"ttl\":5}"), 400, "ttl");
        assertRefused(json("PUT", "/v1/node/holders/n", "{\"ttl\":\"5\"}"), 400, "ttl");
        assertRefused(json("PUT", "/v1/pins/" + hex, "{\"owner\":\"ops\",\"ttl\":5}"), 400, "ttl");
    }

    @Test
    void leaseAndPinTtlsHaveTheSameMinimum() throws Exception {
        String hex = upload("finding 9 min ttl");
        assertRefused(json("PUT", "/v1/node/holders/n", "{\"ttl\":\"1ns\"}"), 400, "ttl");
        assertRefused(json("PUT", "/v1/pins/" + hex, "{\"owner\":\"ops\",\"ttl\":\"1ns\"}"), 400, "ttl");
    }

    @Test
    void aLeaseOfAnUnknownHashRegistersNothing() throws Exception {
        String unknown = BlobHash.sha256("never uploaded".getBytes()).toHex();
        Reply r = json("PUT", "/v1/node/holders/u", "{\"ttl\":\"30s\",\"hashes\":[\"" + unknown + "\"]}");
        assertEquals(409, r.status(), r.text());
        assertEquals(404, json("GET", "/v1/blobs/" + unknown, null).status());
    }

    @Test
    void trailingGarbageAndDuplicateKeysAreRefused() throws Exception {
        String hex = upload("finding 9 json");
        assertRefused(json("PUT", "/v1/pins/" + hex, "{\"owner\":\"ops\"} trailing"), 400, "trailing");
        assertRefused(json("PUT", "/v1/pins/" + hex, "{\"owner\":\"ops\",\"owner\":\"other\"}"), 400, "owner");
        assertEquals(0, json("GET", "/v1/blobs/" + hex, null).json().path("pins").size());
    }

    @Test
    void aCommaInsideADependencyIsNotASeparator() throws Exception {
        String b = upload("finding 9 callee b"), c = upload("finding 9 callee c");
        String a = BlobHash.sha256("finding 9 caller".getBytes()).toHex();
        assertRefused(json("POST", "/v1/blobs", "{\"hashes\":[\"" + a + "\"],\"dependencies\":{\"" + a + "\":[\"" + b
                + "," + c + "\"]}}"), 400, "dependencies");
        assertEquals(404, json("GET", "/v1/blobs/" + a, null).status());
    }

    @Test
    void theListenBacklogIsTheConfiguredOne() throws Exception {
        Process ss = new ProcessBuilder("ss", "-ltnH", "sport = :" + port).redirectErrorStream(true).start();
        String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        ss.waitFor();
        org.junit.jupiter.api.Assumptions.assumeTrue(out.startsWith("LISTEN"), "ss: " + out);
        // LISTEN  Recv-Q  Send-Q(=backlog)  local  peer
        String[] f = out.split("\\s+");
        assertEquals(1024, Integer.parseInt(f[2]), out);
    }
}
