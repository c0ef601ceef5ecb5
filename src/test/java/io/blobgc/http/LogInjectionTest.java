package io.blobgc.http;

import ch.qos.logback.classic.spi.ILoggingEvent;
import io.blobgc.BlobGc;
import io.blobgc.LogCapture;
import io.blobgc.LogText;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 20, item 4, over real HTTP against a real node: a request's path cannot write a line of its own into the
 * log. Before the fix {@code GET /ui/..%2F%0D%0A09:59:59.999%20ERROR%20…} made pekko's getFromResourceDirectory log
 * the decoded path at WARN, newline and all: a separate, forged ERROR line.
 */
class LogInjectionTest {

    @TempDir
    Path dir;

    @Test
    void noRequestTextReachesTheLogWithItsControlCharacters() throws Exception {
        ActorSystem<Void> node = AdminApiTest.startUp(dir.resolve("node"), "");
        try (LogCapture captured = LogCapture.root()) {
            int port = BlobGc.get(node).httpAddress().getPort();
            for (String path : List.of("/ui/..%2F%0D%0A09:59:59.999%20ERROR%20FORGED",
                    "/ui/%1B%5B31mFORGED%1B%5B0m", "/ui/..%2F..%2Fdashboard%2F%0AFORGED", "/ui/%E2%80%A8FORGED",
                    "/ui/../io/blobgc/FORGED%0A", "/v1/blobs/%0D%0AFORGED")) {
                RawHttp.Answer a = RawHttp.send(port, "GET " + path + " HTTP/1.1\nHost: 127.0.0.1:" + port, null,
                        Duration.ofSeconds(10));
                assertTrue(a.status() >= 400 && a.status() < 500, path + ": " + a.text());
            }
            // the dashboard's own files are still served
            RawHttp.Answer js = RawHttp.send(port, "GET /ui/dashboard.js HTTP/1.1\nHost: 127.0.0.1:" + port, null,
                    Duration.ofSeconds(10));
            assertEquals(200, js.status(), js.text());
            assertTrue(js.text().toLowerCase().contains("content-type: application/javascript"), js.text());
            // pekko's classic logging is asynchronous: a line logged after the requests comes after theirs
            Adapter.toClassic(node).log().warning("SENTINEL after the hostile requests");
            TestProbe.create(node).awaitAssert(Duration.ofSeconds(10), () -> {
                assertTrue(captured.messages().stream().anyMatch(m -> m.contains("SENTINEL")));
                return null;
            });
            for (ILoggingEvent e : captured.events()) {
                String m = e.getFormattedMessage();
                if (!m.contains("FORGED")) continue;
                for (char c : m.toCharArray()) {
                    assertTrue(!LogText.unsafe(c) || c == '\\', "a request's text reached the log raw ("
                            + e.getLevel() + " " + e.getLoggerName() + "): " + LogText.escape(m));
                }
            }
        } finally {
            node.terminate();
            node.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }
}
