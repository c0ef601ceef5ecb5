package io.blobgc.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.blobgc.BlobGc;
import io.blobgc.BlobHash;
import io.blobgc.TestNodes;
import io.blobgc.api.ApiClient;
import io.blobgc.api.ApiJson;
import io.blobgc.api.SummaryBody;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code blob-gc status --watch}: a sweep's done / total, rate and time left, from a pure reading and on a real node. */
class StatusWatchTest {

    private static SummaryBody summary(long cycle, long collected, long marked, long deleting) {
        JsonNode json = ApiClient.JSON.valueToTree(java.util.Map.of("cycle", cycle, "collected", collected, "failedDeletions", 0,
                "counts", java.util.Map.of("MARKED_FOR_COLLECTION", marked, "DELETING", deleting)));
        return ApiJson.read(json, SummaryBody.class);
    }

    @Test
    void progressCountsFromWhenTheBacklogAppearedAndRatesOverTheWindow() {
        SweepProgress p = new SweepProgress(30_000);
        assertTrue(p.add(0, summary(1, 50, 0, 0)).idle());
        SweepProgress.Reading start = p.add(1_000, summary(2, 50, 900, 100));
        assertEquals(0, start.done());
        assertEquals(1_000, start.total());
        assertEquals(-1, start.secondsLeft(), "no deletion seen yet: time left unknown");
        SweepProgress.Reading mid = p.add(11_000, summary(3, 450, 500, 100));
        assertEquals(400, mid.done());
        assertEquals(1_000, mid.total());
        // 400 deleted in the 11 s since the first sample of the window: 36.4/s, 600 left
        assertEquals(400 / 11.0, mid.rate(), 1e-9);
        assertEquals(600 / (400 / 11.0), mid.secondsLeft(), 1e-6);
        String line = SweepProgress.line(mid);
        assertTrue(line.contains("[##########--------------] 400 / 1,000 deleted  36.4/s  17 s left"), line);
        SweepProgress.Reading end = p.add(21_000, summary(4, 1_050, 0, 0));
        assertTrue(end.idle());
        assertTrue(SweepProgress.line(end).contains("nothing to delete"), SweepProgress.line(end));
        // a new backlog starts a new count
        assertEquals(0, p.add(22_000, summary(5, 1_050, 10, 0)).done());
    }

    @TempDir
    Path dir;

    @Test
    void watchFollowsARealSweepToTheEnd() throws Exception {
        // deletions rate-limited and confirmed in batches of 10, so that the sweep of 200 blobs takes a few seconds
        ActorSystem<Void> node = ActorSystem.create(Behaviors.empty(), "blobgc",
                TestNodes.config(dir, "blob-gc.sweeper.max-deletes-per-second = 40\nblob-gc.sweeper.batch-size = 10"));
        try {
            Cluster c = Cluster.get(node);
            c.manager().tell(Join.create(c.selfMember().address()));
            TestProbe<Object> probe = TestProbe.create(node);
            probe.awaitAssert(Duration.ofSeconds(20), () -> {
                assertEquals(MemberStatus.up(), c.selfMember().status());
                return null;
            });
            String url = "http://127.0.0.1:" + BlobGc.get(node).httpAddress().getPort();
            ApiClient client = new ApiClient(url, null);
            for (int i = 0; i < 200; i++) {
                byte[] bytes = ("swept blob " + i).getBytes();
                client.putBytes("/v1/blobs/" + BlobHash.sha256(bytes).toHex(), bytes);
            }
            probe.awaitAssert(Duration.ofSeconds(30), () -> {
                JsonNode counts = client.get("/v1/summary").path("counts");
                assertTrue(counts.path("MARKED_FOR_COLLECTION").asLong() + counts.path("DELETING").asLong() > 0, counts.toString());
                return null;
            });

            StringWriter out = new StringWriter(), err = new StringWriter();
            int code = Main.run(new String[]{"status", "--watch", "--interval", "0.5", "--until-done", "--url", url},
                    new PrintWriter(out, true), new PrintWriter(err, true));
            assertEquals(0, code, err.toString());
            List<String> lines = out.toString().lines().toList();
            Pattern progress = Pattern.compile("\\[[#-]{24}] ([\\d,]+) / ([\\d,]+) deleted  ([\\d.]+)/s  (.*) left");
            long last = -1;
            int seen = 0;
            for (String l : lines) {
                Matcher m = progress.matcher(l);
                if (!m.find()) continue;
                long done = Long.parseLong(m.group(1).replace(",", ""));
                assertTrue(done >= last, "done never goes back: " + out);
                assertTrue(done <= Long.parseLong(m.group(2).replace(",", "")), l);
                last = done;
                seen++;
            }
            assertTrue(seen >= 3, "a few progress lines while 200 blobs are deleted at 40/s: " + out);
            assertTrue(lines.get(lines.size() - 1).contains("nothing to delete"), out.toString());
            assertEquals(200, client.get("/v1/summary").path("collected").asLong());
        } finally {
            node.terminate();
            node.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }
}
