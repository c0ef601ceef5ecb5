package io.blobgc.http;

import io.blobgc.BlobGc;
import io.blobgc.BlobHash;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A hostile client over every route: each case's status, that the journal did not change (no event persisted), and
 * that the node still serves. Cycles are an hour apart on this node, so only a request could write the journal.
 */
class HostileInputTest {

    @TempDir
    static Path dir;
    private static ActorSystem<Void> node;
    private static int port;
    private static String base;
    private static String known;

    @BeforeAll
    static void startNode() throws Exception {
        node = AdminApiTest.startUp(dir.resolve("hostile"), """
                blob-gc.cycle-interval = 1h
                blob-gc.coordinator.ask-timeout = 3s
                blob-gc.reporter.acquire-timeout = 3s
                blob-gc.http.max-blob-size = 64 KiB
                blob-gc.http.max-json-body = 16 KiB
                blob-gc.http.max-hashes = 20
                """);
        port = BlobGc.get(node).httpAddress().getPort();
        base = "http://127.0.0.1:" + port;
        byte[] content = "a known blob".getBytes();
        known = BlobHash.sha256(content).toHex();
        assertEquals(201, EdgeHardeningTest.send(base, "PUT", "/v1/blobs/" + known, "application/octet-stream",
                content).status());
    }

    @AfterAll
    static void stop() throws Exception {
        node.terminate();
        node.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    /** One hostile request: its kind (for the count), what it sends, the status it must get. */
    record Case(String kind, String method, String path, String contentType, byte[] body, int status,
                String... headers) {
        static Case json(String kind, String method, String path, String body, int status) {
            return new Case(kind, method, path, "application/json", body.getBytes(StandardCharsets.UTF_8), status);
        }

        @Override
        public String toString() {
            String b = body == null ? "" : new String(body, StandardCharsets.UTF_8);
            return kind + ": " + method + " " + path + " [" + contentType + "] "
                    + (b.length() > 120 ? b.substring(0, 120) + "..." : b) + " " + String.join(" ", headers);
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static List<Case> cases() {
        String k = known;
        String unknown = BlobHash.sha256("unknown".getBytes()).toHex();
        List<String> badHashes = List.of("abc", k + "0", k.substring(1) + "g", "\uFF10" + k.substring(1),
                "\u0660" + k.substring(1), " " + k.substring(1), "-" + k.substring(1), k.substring(0, 63) + "\u0000");
        List<Case> c = new ArrayList<>();
        // ---- hashes, in the path and in bodies
        for (String h : badHashes) {
            String p = enc(h);
            c.add(new Case("hash", "GET", "/v1/blobs/" + p, null, null, 400));
            c.add(Case.json("hash", "PUT", "/v1/pins/" + p, "{\"owner\":\"ops\"}", 400));
            c.add(new Case("hash", "PUT", "/v1/blobs/" + p, "application/octet-stream", "x".getBytes(), 400));
            c.add(new Case("hash", "DELETE", "/v1/pins/" + p + "?owner=ops", null, null, 400));
            String j = "\"" + h.replace("\u0000", "\\u0000") + "\"";
            c.add(Case.json("hash", "POST", "/v1/blobs", "{\"hashes\":[" + j + "]}", 400));
            c.add(Case.json("hash", "PUT", "/v1/node/holders/vm", "{\"ttl\":\"30s\",\"hashes\":[" + j + "]}", 400));
            c.add(Case.json("hash", "PUT", "/v1/node/holders/vm", "{\"ttl\":\"30s\",\"pins\":[" + j + "]}", 400));
            c.add(new Case("hash", "PUT", "/v1/blobs/" + k + "?dependsOn=" + p, "application/octet-stream",
                    "a known blob".getBytes(), 400));
        }
        c.add(new Case("hash", "PUT", "/v1/blobs/" + unknown, "application/octet-stream", "not it".getBytes(), 400));
        c.add(Case.json("hash", "PUT", "/v1/pins/" + unknown, "{\"owner\":\"ops\"}", 404));
        c.add(new Case("hash", "DELETE", "/v1/pins/" + k + "?owner=nobody", null, null, 404));
        // ---- JSON shape
        String[] badJson = {"{", "{\"owner\":", "[]", "null", "\"str\"", "42", "", "{\"owner\":\"ops\"} x",
                "{\"owner\":\"ops\"}{}", "{\"owner\":\"ops\",\"owner\":\"b\"}", "{\"owner\":\"ops\",\"tll\":\"1m\"}",
                "{\"owner\":1}", "{\"owner\":true}", "{\"owner\":[\"ops\"]}", "{\"owner\":{}}", "{'owner':'ops'}",
                "{\"owner\":\"ops\",\"reason\":5}", "{\"owner\":\"ops\",\"ttl\":[1]}", "{\"owner\":NaN}",
                "\uFEFF{\"owner\":\"ops\"}"};
        for (String b : badJson) c.add(Case.json("json", "PUT", "/v1/pins/" + k, b, 400));
        String[] badRegister = {"{}", "{\"hashes\":[]}", "{\"hashes\":null}", "{\"hashes\":\"" + k + "\"}",
                "{\"hashes\":[null]}", "{\"hashes\":[1]}", "{\"hashes\":[\"" + k + "\"],\"dependencies\":{\"" + k
                + "\":null}}", "{\"hashes\":[\"" + k + "\"],\"dependencies\":{\"" + k + "\":[null]}}",
                "{\"hashes\":[\"" + k + "\"],\"dependencies\":{\"" + k + "\":\"" + k + "\"}}",
                "{\"hashes\":[\"" + k + "\"],\"dependencies\":{\"" + k + "\":[\"" + k + "," + k + "\"]}}",
                "{\"hashes\":[\"" + k + "\"],\"dependencies\":{\"nothex\":[]}}",
                "{\"hashes\":[\"" + k + "\"],\"dependencies\":[]}", "{\"hashes\":[\"" + k + "\"],\"extra\":1}"};
        for (String b : badRegister) c.add(Case.json("json", "POST", "/v1/blobs", b, 400));
        String[] badLease = {"{}", "{\"hashes\":[]}", "{\"ttl\":null}", "{\"ttl\":\"30s\",\"hashes\":null,\"x\":1}",
                "{\"ttl\":\"30s\",\"hashes\":{}}", "{\"ttl\":\"30s\"} []"};
        for (String b : badLease) c.add(Case.json("json", "PUT", "/v1/node/holders/vm", b, 400));
        // ---- TTLs
        String[] badTtl = {"5", "5.0", "-5s", "0s", "1ns", "999ms", "soon", "", " ", "1s1s", "1 fortnight",
                "999999999d", "9999999999999999999999d", "1e3s", "30s\"}", "${x}", "\\u0031s"};
        for (String t : badTtl) {
            String j = "\"" + t.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
            c.add(Case.json("ttl", "PUT", "/v1/node/holders/vm", "{\"ttl\":" + j + "}", 400));
            c.add(Case.json("ttl", "PUT", "/v1/pins/" + k, "{\"owner\":\"ops\",\"ttl\":" + j + "}", 400));
        }
        c.add(Case.json("ttl", "PUT", "/v1/node/holders/vm", "{\"ttl\":5}", 400));
        c.add(Case.json("ttl", "PUT", "/v1/node/holders/vm", "{\"ttl\":\"2h\"}", 400)); // > max-lease-ttl 1h
        c.add(Case.json("ttl", "PUT", "/v1/pins/" + k, "{\"owner\":\"ops\",\"ttl\":\"3651d\"}", 400));
        // ---- strings that would reach the journal or the log
        String[] badNames = {"", " ", "o".repeat(201), "a\nb", "a\rb", "a\u001b[31mb", "a\u202eb", "a\u0000b",
                "a\u2028b", "a\tb"};
        for (String n : badNames) {
            String j = "\"" + n.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
                    .replace("\t", "\\t").replace("\u0000", "\\u0000").replace("\u001b", "\\u001b") + "\"";
            c.add(Case.json("string", "PUT", "/v1/pins/" + k, "{\"owner\":" + j + "}", 400));
            String reason = n.isBlank() || n.length() > 100 ? "\"" + "r".repeat(1001) + "\"" : j;
            c.add(Case.json("string", "PUT", "/v1/pins/" + k, "{\"owner\":\"ops\",\"reason\":" + reason + "}", 400));
            if (!n.isEmpty()) {
                c.add(Case.json("string", "PUT", "/v1/node/holders/" + enc(n), "{\"ttl\":\"30s\"}", 400));
                c.add(new Case("string", "DELETE", "/v1/node/holders/" + enc(n), null, null, 400));
                c.add(new Case("string", "DELETE", "/v1/pins/" + k + "?owner=" + enc(n), null, null, 400));
            }
        }
        // ---- counts and sizes
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 21; i++) {
            many.append(i == 0 ? "" : ",").append('"').append(BlobHash.sha256(("h" + i).getBytes()).toHex()).append('"');
        }
        c.add(Case.json("count", "POST", "/v1/blobs", "{\"hashes\":[" + many + "]}", 400));
        c.add(Case.json("count", "PUT", "/v1/node/holders/vm", "{\"ttl\":\"30s\",\"hashes\":[" + many + "]}", 400));
        c.add(Case.json("count", "PUT", "/v1/node/holders/vm", "{\"ttl\":\"30s\",\"pins\":[" + many + "]}", 400));
        c.add(new Case("count", "PUT", "/v1/blobs/" + k + "?dependsOn=" + many.toString().replace("\"", ""),
                "application/octet-stream", "a known blob".getBytes(), 400));
        c.add(Case.json("size", "POST", "/v1/blobs", "{\"hashes\":[\"" + k + "\"],\"pad\":\"" + "p".repeat(20_000)
                + "\"}", 413));
        c.add(Case.json("size", "PUT", "/v1/pins/" + k, "{\"owner\":\"" + "o".repeat(20_000) + "\"}", 413));
        byte[] big = new byte[65 * 1024];
        c.add(new Case("size", "PUT", "/v1/blobs/" + BlobHash.sha256(big).toHex(), "application/octet-stream", big,
                413));
        // ---- browser-borne writes
        String[][] mutating = {{"POST", "/v1/blobs", "{\"hashes\":[\"" + unknown + "\"]}"},
                {"PUT", "/v1/pins/" + k, "{\"owner\":\"ops\"}"}, {"DELETE", "/v1/pins/" + k + "?owner=ops", ""},
                {"POST", "/v1/cycles", ""}, {"PUT", "/v1/node/holders/vm", "{\"ttl\":\"30s\"}"},
                {"DELETE", "/v1/node/holders/vm", ""}, {"PUT", "/v1/blobs/" + k, "a known blob"}};
        for (String[] m : mutating) {
            byte[] body = m[2].getBytes(StandardCharsets.UTF_8);
            for (String type : List.of("text/plain", "text/plain; charset=UTF-8", "application/x-www-form-urlencoded",
                    "multipart/form-data; boundary=x")) {
                c.add(new Case("content-type", m[0], m[1], type, body, 415));
            }
            String type = m[1].startsWith("/v1/blobs/") ? "application/octet-stream" : "application/json";
            c.add(new Case("origin", m[0], m[1], type, body, 403, "Origin", "http://evil.example"));
            c.add(new Case("origin", m[0], m[1], type, body, 403, "Origin", "null"));
            c.add(new Case("origin", m[0], m[1], type, body, 403, "Origin", "http://127.0.0.1:1"));
            c.add(new Case("origin", m[0], m[1], type, body, 403, "Sec-Fetch-Site", "cross-site"));
            c.add(new Case("origin", m[0], m[1], type, body, 403, "Sec-Fetch-Site", "same-site"));
        }
        c.add(new Case("content-type", "POST", "/v1/blobs", null, "{\"hashes\":[]}".getBytes(), 415));
        // ---- query parameters, methods, paths
        for (String q : List.of("dryRun=maybe", "dryRun=", "dryRun=TRUE")) {
            c.add(new Case("query", "POST", "/v1/cycles?" + q, null, null, 400));
        }
        for (String q : List.of("limit=x", "limit=0", "limit=-1", "limit=99999999999", "limit=1e3")) {
            c.add(new Case("query", "GET", "/v1/cycles?" + q, null, null, 400));
        }
        c.add(new Case("query", "DELETE", "/v1/pins/" + k, null, null, 400));
        c.add(new Case("method", "PATCH", "/v1/summary", null, null, 405));
        c.add(new Case("method", "DELETE", "/v1/cycles", null, null, 405));
        c.add(new Case("method", "OPTIONS", "/v1/blobs", null, null, 405));
        c.add(new Case("path", "GET", "/v2/nothing", null, null, 404));
        c.add(new Case("path", "GET", "/v1/blobs/" + k + "/extra", null, null, 404));
        return c;
    }

    /** Raw requests HttpClient will not send: foreign Host headers, broken protocol. */
    private static Map<String, Integer> rawCases() {
        Map<String, Integer> c = new TreeMap<>();
        for (String host : List.of("attacker.example", "attacker.example:" + port, "127.0.0.1.attacker.example",
                "localhost.attacker.example", "[::2]")) {
            c.put("GET /v1/summary HTTP/1.1\nHost: " + host, 403);
            c.put("POST /v1/cycles HTTP/1.1\nContent-Length: 0\nHost: " + host, 403);
            c.put("GET /v1/blobs/" + known + " HTTP/1.1\nHost: " + host, 403);
        }
        c.put("GET /v1/summary HTTP/1.1", 400); // no Host
        c.put("GET /v1/summary HTTP/1.1\nHost: 127.0.0.1\nHost: attacker.example", 400);
        c.put("GARBAGE / HTTP/1.1\nHost: 127.0.0.1", 501);
        c.put("GET /v1/summary HTTP/9.9\nHost: 127.0.0.1", 505);
        c.put("GET /" + "a".repeat(5000) + " HTTP/1.1\nHost: 127.0.0.1", 414);
        c.put("GET /v1/summary HTTP/1.1\nHost: 127.0.0.1\nX-Big: " + "b".repeat(20_000), 431);
        c.put("POST /v1/cycles HTTP/1.1\nHost: 127.0.0.1\nContent-Length: -1", 400);
        c.put("POST /v1/cycles HTTP/1.1\nHost: 127.0.0.1\nTransfer-Encoding: chunked\nContent-Length: 5", 400);
        return c;
    }

    private static long journalRows() throws Exception {
        String url = "jdbc:h2:file:" + dir.resolve("hostile").toAbsolutePath().toString().replace('\\', '/')
                + "/journal;AUTO_SERVER=TRUE";
        try (Connection conn = DriverManager.getConnection(url, "sa", "");
             ResultSet rs = conn.createStatement().executeQuery("SELECT COUNT(*) FROM \"event_journal\"")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void everyHostileRequestGetsA4xxChangesNothingAndTheNodeServesOn() throws Exception {
        // the coordinator's own start-up writes (warm-up, a first cycle) settle first
        long journal = journalRows();
        for (int same = 0, tries = 0; same < 4 && tries < 60; tries++) {
            Thread.sleep(500);
            long now = journalRows();
            same = now == journal ? same + 1 : 0;
            journal = now;
        }
        assertTrue(journal > 0, "the upload was journaled");
        Map<String, Integer> byKind = new TreeMap<>();
        List<String> wrong = new ArrayList<>();
        for (Case c : cases()) {
            EdgeHardeningTest.Reply r = EdgeHardeningTest.send(base, c.method(), c.path(), c.contentType(), c.body(),
                    c.headers());
            if (r.status() != c.status() || r.text().contains("\tat ")) {
                wrong.add(c + " -> " + r.status() + " " + r.text());
            }
            byKind.merge(c.kind(), 1, Integer::sum);
            long now = journalRows();
            if (now != journal) {
                wrong.add(c + " changed the journal: " + journal + " -> " + now);
                journal = now;
            }
        }
        for (Map.Entry<String, Integer> e : rawCases().entrySet()) {
            RawHttp.Answer a = RawHttp.send(port, e.getKey(), null, Duration.ofSeconds(10));
            String head = e.getKey().length() > 100 ? e.getKey().substring(0, 100) + "..." : e.getKey();
            if (a.status() != e.getValue()) wrong.add("raw: " + head + " -> " + a.status() + " " + a.text());
            byKind.merge(e.getKey().contains("Host: 127.0.0.1") || !e.getKey().contains("Host:") ? "protocol" : "host",
                    1, Integer::sum);
        }
        assertEquals(journal, journalRows());
        int total = byKind.values().stream().mapToInt(Integer::intValue).sum();
        System.out.println("hostile-input cases: " + total + " " + byKind);
        assertTrue(wrong.isEmpty(), wrong.size() + " of " + total + " cases went wrong:\n" + String.join("\n", wrong));
        assertEquals(200, EdgeHardeningTest.send(base, "GET", "/health/ready", null, null).status());
        assertEquals(200, EdgeHardeningTest.send(base, "GET", "/v1/blobs/" + known, null, null).status());
        byte[] lease = ("{\"ttl\":\"30s\",\"hashes\":[\"" + known + "\"]}").getBytes(StandardCharsets.UTF_8);
        assertEquals(200, EdgeHardeningTest.send(base, "PUT", "/v1/node/holders/after", "application/json", lease)
                .status(), "leases still work");
    }
}
