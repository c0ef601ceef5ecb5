package io.blobgc.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.blobgc.BlobGc;
import io.blobgc.TestNodes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pekko Management as {@code blob-gc node} starts it: cluster routes behind the token rule, blob-gc's health checks. */
class ManagementTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private ActorSystem<Void> node(String extra) {
        // as `blob-gc node` layers it: the node's config over node-management.conf over the libraries' defaults
        var config = ConfigFactory.parseString(extra + "\npekko.management.http.port = 0")
                .withFallback(ConfigFactory.parseResources("io/blobgc/node-management.conf"))
                .withFallback(TestNodes.config(dir, "")).resolve();
        ActorSystem<Void> s = ActorSystem.create(Behaviors.empty(), "blobgc", config);
        Cluster c = Cluster.get(s);
        c.manager().tell(Join.create(c.selfMember().address()));
        TestProbe.create(s).awaitAssert(Duration.ofSeconds(20), () -> {
            assertEquals(MemberStatus.up(), c.selfMember().status());
            return null;
        });
        BlobGc.get(s);
        return s;
    }

    private static HttpResponse<String> call(String method, URI uri, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) b.header("Authorization", "Bearer " + token);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void clusterRoutesAndHealthChecksWithTheTokenOnTheRoutesThatChangeTheCluster() throws Exception {
        ActorSystem<Void> s = node("blob-gc.http.token = s3cret");
        try {
            URI base = Management.start(s);
            TestProbe.create(s).awaitAssert(Duration.ofSeconds(20), () -> {
                HttpResponse<String> ready = call("GET", base.resolve("/ready"), null);
                assertEquals(200, ready.statusCode(), ready.body());
                return null;
            });
            assertEquals(200, call("GET", base.resolve("/alive"), null).statusCode());

            HttpResponse<String> members = call("GET", base.resolve("/cluster/members"), null);
            assertEquals(200, members.statusCode(), "reading needs no token");
            JsonNode m = JSON.readTree(members.body());
            assertEquals(1, m.path("members").size(), members.body());
            String self = m.path("selfNode").asText();
            assertTrue(self.startsWith("pekko://blobgc@127.0.0.1:"), self);

            String leave = "/cluster/members/" + java.net.URLEncoder.encode("pekko://blobgc@127.0.0.1:1",
                    java.nio.charset.StandardCharsets.UTF_8) + "?operation=Leave";
            assertEquals(401, call("PUT", base.resolve(leave), null).statusCode(), "leave without the token");
            assertEquals(401, call("DELETE", base.resolve(leave), "wrong").statusCode(), "down with a wrong token");
            int withToken = call("PUT", base.resolve(leave), "s3cret").statusCode();
            assertEquals(404, withToken, "with the token the call reaches the cluster routes (no such member)");
        } finally {
            s.terminate();
            s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void notOnLoopbackWithoutATokenManagementRefusesToStart() throws Exception {
        ActorSystem<Void> s = node("pekko.management.http.hostname = \"0.0.0.0\"");
        try {
            var e = assertThrows(IllegalStateException.class, () -> Management.start(s));
            assertTrue(e.getMessage().contains("blob-gc.http.token"), e.getMessage());
        } finally {
            s.terminate();
            s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    // ---- the admin API's edge on Management (issue 20, item 1)

    private static String form(String method, String path, String headers, String body) {
        return method + " " + path + " HTTP/1.1\n" + headers + "\nContent-Type: application/x-www-form-urlencoded"
                + "\nContent-Length: " + body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }

    private static RawHttp.Answer send(int port, String head, String body) throws Exception {
        return RawHttp.send(port, head, body == null ? null : body.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                Duration.ofSeconds(30));
    }

    private static String selfAddress(URI base) throws Exception {
        HttpResponse<String> members = call("GET", base.resolve("/cluster/members"), null);
        assertEquals(200, members.statusCode(), members.body());
        return JSON.readTree(members.body()).path("selfNode").asText();
    }

    private static void assertStillUp(ActorSystem<Void> s) throws Exception {
        Thread.sleep(1000);
        assertEquals(MemberStatus.up(), Cluster.get(s).selfMember().status(), "the node must still be Up");
        assertTrue(!s.whenTerminated().isCompleted(), "the node must still run");
    }

    @Test
    void aForeignHostIsRefusedOnEveryManagementRouteReadsIncluded() throws Exception {
        ActorSystem<Void> s = node("blob-gc.http.token = s3cret");
        try {
            int port = Management.start(s).getPort();
            for (String path : List.of("/cluster/members", "/cluster/domain-events", "/ready", "/alive")) {
                RawHttp.Answer a = send(port, "GET " + path + " HTTP/1.1\nHost: evil.example:" + port, null);
                assertEquals(403, a.status(), path + ": " + a.text());
                assertTrue(a.text().contains("host_not_allowed"), a.text());
            }
            RawHttp.Answer ok = send(port, "GET /cluster/members HTTP/1.1\nHost: 127.0.0.1:" + port, null);
            assertEquals(200, ok.status(), "Management's own address: " + ok.text());
            RawHttp.Answer local = send(port, "GET /alive HTTP/1.1\nHost: localhost:" + port, null);
            assertEquals(200, local.status(), "bound to loopback, localhost names it too: " + local.text());
        } finally {
            s.terminate();
            s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aCrossOriginLeaveIsRefusedAndTheNodeStaysUp() throws Exception {
        ActorSystem<Void> s = node("");
        try {
            URI base = Management.start(s);
            int port = base.getPort();
            String member = "/cluster/members/" + java.net.URLEncoder.encode(selfAddress(base),
                    java.nio.charset.StandardCharsets.UTF_8);
            // the finding: a page on evil.example rebound to 127.0.0.1 (Host and Origin agree with each other)
            RawHttp.Answer rebound = send(port, form("PUT", member, "Host: evil.example:" + port
                    + "\nOrigin: http://evil.example:" + port, "operation=Leave"), "operation=Leave");
            assertEquals(403, rebound.status(), rebound.text());
            // a form on another origin, right Host: no X-Requested-By (a form cannot send one)
            RawHttp.Answer form = send(port, form("PUT", member, "Host: 127.0.0.1:" + port
                    + "\nOrigin: http://evil.example", "operation=Leave"), "operation=Leave");
            assertEquals(403, form.status(), form.text());
            assertTrue(form.text().contains("requested_by_missing"), form.text());
            // a script on another origin that got X-Requested-By through (it cannot, without a preflight): Origin
            RawHttp.Answer script = send(port, form("PUT", member, "Host: 127.0.0.1:" + port
                    + "\nOrigin: http://evil.example\nX-Requested-By: x", "operation=Leave"), "operation=Leave");
            assertEquals(403, script.status(), script.text());
            assertTrue(script.text().contains("cross_origin"), script.text());
            RawHttp.Answer down = send(port, "DELETE " + member + " HTTP/1.1\nHost: 127.0.0.1:" + port
                    + "\nOrigin: http://evil.example", null);
            assertEquals(403, down.status(), "DELETE (down) from another origin: " + down.text());
            assertStillUp(s);
        } finally {
            s.terminate();
            s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aCrossSiteFormJoinIsRefused() throws Exception {
        ActorSystem<Void> s = node("");
        try {
            URI base = Management.start(s);
            int port = base.getPort();
            String body = "address=" + java.net.URLEncoder.encode("pekko://blobgc@127.0.0.1:1",
                    java.nio.charset.StandardCharsets.UTF_8);
            // a browser that sends neither Origin nor Sec-Fetch-Site: only X-Requested-By tells the form apart
            RawHttp.Answer bare = send(port, form("POST", "/cluster/members", "Host: 127.0.0.1:" + port, body), body);
            assertEquals(403, bare.status(), bare.text());
            assertTrue(bare.text().contains("requested_by_missing"), bare.text());
            // the finding, as a browser sends a cross-site form POST
            RawHttp.Answer crossSite = send(port, form("POST", "/cluster/members", "Host: 127.0.0.1:" + port
                    + "\nOrigin: http://evil.example\nSec-Fetch-Site: cross-site", body), body);
            assertEquals(403, crossSite.status(), crossSite.text());
            assertTrue(crossSite.text().contains("requested_by_missing"), crossSite.text());
            RawHttp.Answer siteOnly = send(port, form("POST", "/cluster/members", "Host: 127.0.0.1:" + port
                    + "\nSec-Fetch-Site: cross-site\nX-Requested-By: x", body), body);
            assertEquals(403, siteOnly.status(), siteOnly.text());
            assertTrue(siteOnly.text().contains("cross_origin"), siteOnly.text());
            assertStillUp(s);
        } finally {
            s.terminate();
            s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void withoutATokenTheLegitimateCallsPassWithXRequestedBy() throws Exception {
        ActorSystem<Void> s = node("");
        try {
            URI base = Management.start(s);
            int port = base.getPort();
            String self = selfAddress(base);
            String body = "address=" + java.net.URLEncoder.encode(self, java.nio.charset.StandardCharsets.UTF_8);
            // curl -H 'X-Requested-By: ops' -d address=… (same origin, or no Origin at all)
            RawHttp.Answer join = send(port, form("POST", "/cluster/members", "Host: 127.0.0.1:" + port
                    + "\nX-Requested-By: ops\nOrigin: http://127.0.0.1:" + port + "\nSec-Fetch-Site: same-origin",
                    body), body);
            assertEquals(200, join.status(), join.text());
            assertTrue(join.text().contains("Joining"), join.text());
            String leave = "/cluster/members/" + java.net.URLEncoder.encode("pekko://blobgc@127.0.0.1:1",
                    java.nio.charset.StandardCharsets.UTF_8);
            RawHttp.Answer noSuch = send(port, form("PUT", leave, "Host: localhost:" + port
                    + "\nX-Requested-By: ops", "operation=Leave"), "operation=Leave");
            assertEquals(404, noSuch.status(), "reaches the cluster routes (no such member): " + noSuch.text());
            assertStillUp(s);
        } finally {
            s.terminate();
            s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * The hostile-input sweep over Management's routes (issue 20): with a token set, every route answers hostile
     * requests — no or a wrong token, a foreign Host, cross-site forms, malformed addresses and bodies, wrong methods,
     * traversal, oversized headers — with a 4xx and changes nothing: the node stays Up, the only member.
     */
    @Test
    void hostileInputOnEveryManagementRouteGetsA4xxAndChangesNothing() throws Exception {
        ActorSystem<Void> s = node("blob-gc.http.token = s3cret");
        try {
            URI base = Management.start(s);
            int port = base.getPort();
            String self = java.net.URLEncoder.encode(selfAddress(base), java.nio.charset.StandardCharsets.UTF_8);
            String host = "Host: 127.0.0.1:" + port;
            String auth = "\nAuthorization: Bearer s3cret";
            List<String[]> cases = new java.util.ArrayList<>(); // {what, head, body}
            for (String m : List.of("PUT", "DELETE")) {
                cases.add(new String[]{m + " self, no token", form(m, "/cluster/members/" + self, host, "operation=Leave"), "operation=Leave"});
                cases.add(new String[]{m + " self, wrong token", form(m, "/cluster/members/" + self, host
                        + "\nAuthorization: Bearer s3creT", "operation=Leave"), "operation=Leave"});
                cases.add(new String[]{m + " self, foreign host", form(m, "/cluster/members/" + self,
                        "Host: evil.example" + auth, "operation=Down"), "operation=Down"});
            }
            cases.add(new String[]{"join, no token", form("POST", "/cluster/members", host, "address=" + self), "address=" + self});
            cases.add(new String[]{"full shutdown, no token", form("PUT", "/cluster", host,
                    "operation=Prepare-for-full-shutdown"), "operation=Prepare-for-full-shutdown"});
            cases.add(new String[]{"full shutdown, basic auth", form("PUT", "/cluster", host
                    + "\nAuthorization: Basic czNjcmV0", "operation=Prepare-for-full-shutdown"), "operation=Prepare-for-full-shutdown"});
            cases.add(new String[]{"bearer without a token", form("PUT", "/cluster/members/" + self, host
                    + "\nAuthorization: Bearer ", "operation=Leave"), "operation=Leave"});
            cases.add(new String[]{"garbage address", form("PUT", "/cluster/members/%00%0d%0a" + "x".repeat(300), host + auth,
                    "operation=Leave"), "operation=Leave"});
            cases.add(new String[]{"unknown operation", form("PUT", "/cluster/members/" + self, host + auth,
                    "operation=Explode"), "operation=Explode"});
            cases.add(new String[]{"no operation", form("PUT", "/cluster/members/" + self, host + auth, "x=y"), "x=y"});
            cases.add(new String[]{"join garbage", form("POST", "/cluster/members", host + auth, "address=%%%"), "address=%%%"});
            cases.add(new String[]{"traversal", "GET /cluster/../../etc/passwd HTTP/1.1\n" + host, null});
            cases.add(new String[]{"encoded traversal", "GET /cluster/members/..%2F..%2Fetc%2Fpasswd HTTP/1.1\n" + host, null});
            cases.add(new String[]{"unknown route", "GET /cluster/nothing HTTP/1.1\n" + host, null});
            cases.add(new String[]{"shards of nothing", "GET /cluster/shards/%0d%0aFORGED HTTP/1.1\n" + host, null});
            cases.add(new String[]{"wrong method on /alive", "DELETE /alive HTTP/1.1\n" + host + auth, null});
            cases.add(new String[]{"huge header", "GET /ready HTTP/1.1\n" + host + "\nX-Big: " + "a".repeat(40_000), null});
            cases.add(new String[]{"absurd length", "PUT /cluster/members/" + self + " HTTP/1.1\n" + host + auth
                    + "\nContent-Type: application/x-www-form-urlencoded\nContent-Length: 99999999999999999999", null});
            cases.add(new String[]{"json instead of a form", "PUT /cluster/members/" + self + " HTTP/1.1\n" + host
                    + "\nContent-Type: application/json\nContent-Length: 23", "{\"operation\":\"Leave\"}"});
            StringBuilder wrong = new StringBuilder();
            for (String[] c : cases) {
                RawHttp.Answer a = send(port, c[1], c[2]);
                if (a.status() < 400 || a.status() >= 500) {
                    wrong.append(c[0]).append(" -> ").append(a.status()).append(' ')
                            .append(a.text().lines().findFirst().orElse("")).append('\n');
                }
            }
            assertEquals("", wrong.toString(), "hostile requests that did not get a 4xx");
            assertStillUp(s);
            int members = 0;
            for (var ignored : Cluster.get(s).state().getMembers()) members++;
            assertEquals(1, members, "still the only member");
        } finally {
            s.terminate();
            s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aSlowRequestHeadIsCutOffAtTheHeaderTimeout() throws Exception {
        ActorSystem<Void> s = node("blob-gc.http.header-timeout = 1s");
        try {
            int port = Management.start(s).getPort();
            try (java.net.Socket socket = new java.net.Socket()) {
                socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 2000);
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write("GET /alive HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
                        .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                long t0 = System.nanoTime();
                int read;
                try {
                    read = socket.getInputStream().read();
                } catch (java.net.SocketTimeoutException open) {
                    read = -2;
                } catch (java.net.SocketException reset) {
                    read = -1;
                }
                assertTrue(read != -2, "the connection is still open 10 s after a partial head (header-timeout 1s)");
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertEquals(-1, read, "the connection is closed without an answer");
                assertTrue(ms < 5000, "closed after " + ms + " ms, header-timeout is 1s");
            }
        } finally {
            s.terminate();
            s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }
}
