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
}
