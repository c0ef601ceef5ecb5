package io.blobgc.http;

import io.blobgc.BlobHash;
import io.blobgc.demo.LocalCluster;
import io.blobgc.multijvm.NodeProcesses;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13 finding 2: 40 concurrent uploads of 8 MiB (320 MiB in flight) into a node JVM with a 128 MiB heap that
 * exits on OutOfMemoryError. Uploads stream to disk, so all are stored, none is a 5xx, and the node lives on.
 * Prints the figures (heap after GC from the node's GC log, latencies).
 */
class UploadLoadTest {

    private static final int UPLOADS = 40;
    private static final int SIZE = 8 * 1024 * 1024;
    private static final String HEAP = "128m";

    @Test
    void concurrentLargeUploadsStreamInBoundedMemory() throws Exception {
        Path dir = Path.of("target", "multi-jvm", "upload-load").toAbsolutePath();
        if (Files.exists(dir)) {
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        Files.createDirectories(dir);
        LocalCluster.writeLogback(dir);
        int http = NodeProcesses.freePort();
        Path conf = dir.resolve("node.conf");
        int remote = NodeProcesses.freePort();
        Files.writeString(conf, LocalCluster.nodeConfig(dir, remote, List.of(remote), http,
                new LocalCluster.Timings("1m", "30s", "1s", "10s")) + "pekko.coordinated-shutdown.exit-jvm = on\n");
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(LocalCluster.nodeCommand(cp, dir.resolve("logback.xml"),
                dir.resolve("node.log"), conf, HEAP));
        cmd.addAll(1, List.of("-XX:+ExitOnOutOfMemoryError", "-Xlog:gc:file=" + dir.resolve("gc.log")));
        Process node = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("node.out").toFile())
                .start();
        String base = "http://127.0.0.1:" + http;
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        try {
            long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (true) {
                assertTrue(node.isAlive(), "the node exited: see " + dir.resolve("node.out"));
                try {
                    if (client.send(HttpRequest.newBuilder(URI.create(base + "/health/ready")).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) break;
                } catch (java.io.IOException notYet) {
                    // starting
                }
                assertTrue(System.nanoTime() < until, "node not ready in 60 s");
                Thread.sleep(200);
            }
            Random random = new Random(13);
            List<CompletableFuture<long[]>> calls = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < UPLOADS; i++) {
                byte[] blob = new byte[SIZE];
                random.nextBytes(blob);
                String hex = BlobHash.sha256(blob).toHex();
                HttpRequest r = HttpRequest.newBuilder(URI.create(base + "/v1/blobs/" + hex))
                        .timeout(Duration.ofMinutes(2)).header("Content-Type", "application/octet-stream")
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(blob)).build();
                long start = System.nanoTime();
                calls.add(client.sendAsync(r, HttpResponse.BodyHandlers.ofString())
                        .thenApply(resp -> new long[]{resp.statusCode(), (System.nanoTime() - start) / 1_000_000}));
            }
            long[] ms = new long[UPLOADS];
            int created = 0;
            List<Long> statuses = new ArrayList<>();
            for (int i = 0; i < UPLOADS; i++) {
                long[] r = calls.get(i).get();
                statuses.add(r[0]);
                if (r[0] == 201) created++;
                ms[i] = r[1];
            }
            long wall = (System.nanoTime() - t0) / 1_000_000;
            Arrays.sort(ms);
            long maxHeapAfterGc = 0, maxHeapBeforeGc = 0;
            Matcher m = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)").matcher(Files.readString(dir.resolve("gc.log")));
            while (m.find()) {
                maxHeapBeforeGc = Math.max(maxHeapBeforeGc, Long.parseLong(m.group(1)));
                maxHeapAfterGc = Math.max(maxHeapAfterGc, Long.parseLong(m.group(2)));
            }
            System.out.printf("upload load: %d concurrent PUTs of %d MiB into a -Xmx%s node: %d created, statuses %s;"
                            + " latency p50 %d ms, p90 %d ms, max %d ms, all done in %d ms; node heap: at most %d MiB "
                            + "before a GC, %d MiB after; node alive: %s%n", UPLOADS, SIZE >> 20, HEAP, created,
                    statuses.stream().distinct().toList(), ms[UPLOADS / 2], ms[UPLOADS * 9 / 10], ms[UPLOADS - 1],
                    wall, maxHeapBeforeGc, maxHeapAfterGc, node.isAlive());
            assertTrue(node.isAlive(), "the node survived: see " + dir.resolve("node.out"));
            assertEquals(UPLOADS, created, "every upload stored: " + statuses);
            assertTrue(maxHeapAfterGc < 128, "heap after GC stayed under the cap: " + maxHeapAfterGc);
            assertEquals(200, client.send(HttpRequest.newBuilder(URI.create(base + "/health/ready")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode());
        } finally {
            node.destroy();
            node.waitFor();
        }
    }
}
