package io.blobgc.http;

import io.blobgc.BlobGc;
import io.blobgc.BlobHash;
import io.blobgc.store.FileBlobStore;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue 20, item 2, over real HTTP against a real node: one registration cannot hold the coordinator. A chain of
 * 10,000 callers in one POST, listed callers first, whose bottom callee has no content: every caller falls, one
 * after the other. Before the fix the coordinator decided it in passes to a fixpoint (about 4 s on 2 cores), so the
 * request and the requests behind it were answered 503 coordinator_unavailable; now it is answered 409 at once and
 * the coordinator goes on answering.
 */
class RegistrationLoadTest {

    @TempDir
    Path dir;

    @Test
    void aRegistrationThatFallsCallerByCallerDoesNotHoldTheCoordinator() throws Exception {
        Path data = dir.resolve("node");
        ActorSystem<Void> node = AdminApiTest.startUp(data, """
                blob-gc.coordinator.ask-timeout = 2s
                blob-gc.http.max-hashes = 40000
                blob-gc.http.max-json-body = 8 MiB
                """);
        try {
            BlobGc gc = BlobGc.get(node);
            String base = "http://127.0.0.1:" + gc.httpAddress().getPort();
            FileBlobStore store = (FileBlobStore) gc.store();
            int n = 10_000;
            List<String> callers = new ArrayList<>();
            for (int i = 0; i < n; i++) { // the callers' content is in the store (written as an upload would)
                byte[] content = ("caller " + i).getBytes(StandardCharsets.UTF_8);
                BlobHash h = BlobHash.sha256(content);
                Path p = store.pathOf(h);
                Files.createDirectories(p.getParent());
                Files.write(p, content);
                callers.add(h.toHex());
            }
            String bottom = BlobHash.sha256("never uploaded".getBytes(StandardCharsets.UTF_8)).toHex();
            StringBuilder body = new StringBuilder("{\"hashes\":[");
            for (int i = 0; i < n; i++) body.append(i == 0 ? "" : ",").append('"').append(callers.get(i)).append('"');
            body.append("],\"dependencies\":{");
            for (int i = 0; i < n; i++) {
                String callee = i + 1 < n ? callers.get(i + 1) : bottom;
                body.append(i == 0 ? "" : ",").append('"').append(callers.get(i)).append("\":[\"").append(callee)
                        .append("\"]");
            }
            body.append("}}");
            var post = EdgeHardeningTest.send(base, "POST", "/v1/blobs", "application/json",
                    body.toString().getBytes(StandardCharsets.UTF_8));
            assertEquals(409, post.status(), "every caller falls with the bottom callee: " + post.text().substring(0,
                    Math.min(300, post.text().length())));
            var summary = EdgeHardeningTest.send(base, "GET", "/v1/summary", null, null);
            assertEquals(200, summary.status(), summary.text());
            assertEquals(0, summary.json().path("counts").path("ACTIVE").asLong(), "nothing registered");
        } finally {
            node.terminate();
            node.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }
}
