package io.blobgc.http;

import io.blobgc.BlobGc;
import io.blobgc.BlobHash;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 20, item 5, over real HTTP against real nodes: stalled uploads cannot fill the disk. Before the fix a
 * stalled upload held what it had sent for as long as its connection lasted, uploads ran the disk to its last byte,
 * and a body trickling a byte at a time was waited for without end.
 */
class UploadLimitsTest {

    @TempDir
    static Path dir;
    private static final List<ActorSystem<Void>> systems = new ArrayList<>();

    private static int start(String name, String extra) {
        ActorSystem<Void> s = AdminApiTest.startUp(dir.resolve(name), extra);
        systems.add(s);
        return BlobGc.get(s).httpAddress().getPort();
    }

    @AfterAll
    static void stop() throws Exception {
        for (ActorSystem<Void> s : systems) {
            s.terminate();
            s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    private static byte[] content(String tag, int size) {
        byte[] b = new byte[size];
        byte[] t = tag.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < size; i++) b[i] = t[i % t.length];
        return b;
    }

    /** Opens an upload of {@code body}, sends its head and its first {@code sent} bytes, and leaves it open. */
    private static Socket startUpload(int port, byte[] body, int sent) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        s.setSoTimeout(20_000);
        OutputStream out = s.getOutputStream();
        out.write(("PUT /v1/blobs/" + BlobHash.sha256(body).toHex() + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                + "\r\nContent-Type: application/octet-stream\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.write(body, 0, sent);
        out.flush();
        return s;
    }

    private static RawHttp.Answer upload(int port, byte[] body) throws IOException {
        return RawHttp.send(port, "PUT /v1/blobs/" + BlobHash.sha256(body).toHex() + " HTTP/1.1\nHost: 127.0.0.1:"
                + port + "\nContent-Type: application/octet-stream\nContent-Length: " + body.length, body,
                Duration.ofSeconds(20));
    }

    private static long files(Path d) throws IOException {
        if (!Files.isDirectory(d)) return 0;
        try (Stream<Path> s = Files.walk(d)) {
            return s.filter(Files::isRegularFile).count();
        }
    }

    @Test
    void uploadsInProgressHoldNoMoreThanTheCapAndAStalledOneGivesItBackWhenCut() throws Exception {
        int port = start("cap", """
                blob-gc.http.max-blob-size = 1 MiB
                blob-gc.http.max-upload-bytes-in-flight = 1 MiB
                blob-gc.http.min-upload-rate = 0 B
                blob-gc.http.min-upload-rate-window = 60s
                """);
        byte[] big = content("stalled", 800 * 1024);
        try (Socket stalled = startUpload(port, big, 100 * 1024)) {
            // the stalled upload reserved its 800 KiB when its head was admitted, before its upload file was made;
            // wait for that file (nothing else uploads here), or a 300 KiB upload could be admitted first and
            // the stalled one refused in its place
            Path uploads = dir.resolve("cap").resolve("uploads");
            long admitted = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (files(uploads) == 0 && System.nanoTime() < admitted) Thread.sleep(20);
            assertEquals(1, files(uploads), "the stalled upload was admitted and writes its upload file");
            // a 300 KiB one does not fit beside it
            RawHttp.Answer refused = upload(port, content("second", 300 * 1024));
            assertEquals(503, refused.status(), refused.text());
            assertTrue(refused.text().contains("\"busy\""), refused.text());
            assertTrue(refused.text().toLowerCase().contains("retry-after: 10"), refused.text());
            assertTrue(refused.text().contains("max-upload-bytes-in-flight"), refused.text());
        }
        // the client went away: what it held goes back, and the same upload goes through
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        RawHttp.Answer a;
        do {
            a = upload(port, content("third", 300 * 1024));
        } while (a.status() == 503 && System.nanoTime() < deadline);
        assertEquals(201, a.status(), a.text());
    }

    @Test
    void belowTheFreeSpaceFloorUploadsAreRefusedWithRetryAfterAndWriteNothing() throws Exception {
        int port = start("full", "blob-gc.http.min-free-space = 1000000 TiB\n");
        RawHttp.Answer a = upload(port, content("no room", 1024));
        assertEquals(503, a.status(), a.text());
        assertTrue(a.text().contains("\"insufficient_space\""), a.text());
        assertTrue(a.text().contains("min-free-space"), a.text());
        assertTrue(a.text().toLowerCase().contains("retry-after: 10"), a.text());
        assertEquals(0, files(dir.resolve("full").resolve("uploads")), "no upload file left");
        assertEquals(0, files(dir.resolve("full").resolve("blobs")), "nothing stored");
    }

    @Test
    void anUploadThatTricklesIsCutAndLeavesNothingBehind() throws Exception {
        int port = start("slow", """
                blob-gc.http.min-upload-rate = 64 KiB
                blob-gc.http.min-upload-rate-window = 1s
                """);
        byte[] body = content("trickle", 100 * 1024);
        long t0 = System.nanoTime();
        try (Socket s = startUpload(port, body, 10)) {
            // ten bytes every 200 ms: far below 64 KiB/s, never silent for a whole window
            Thread feeder = new Thread(() -> {
                try {
                    for (int off = 10; off < body.length; off += 10) {
                        Thread.sleep(200);
                        s.getOutputStream().write(body, off, 10);
                        s.getOutputStream().flush();
                    }
                } catch (Exception cut) {
                    // the server cut it: expected
                }
            });
            feeder.setDaemon(true);
            feeder.start();
            RawHttp.Answer a = RawHttp.read(s.getInputStream());
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertEquals(408, a.status(), a.text());
            assertTrue(a.text().contains("\"too_slow\"") && a.text().contains("min-upload-rate"), a.text());
            assertTrue(seconds < 10, "cut after " + seconds + " s");
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (files(dir.resolve("slow").resolve("uploads")) > 0 && System.nanoTime() < deadline) Thread.sleep(50);
        assertEquals(0, files(dir.resolve("slow").resolve("uploads")), "the cut upload's file is deleted");
        assertFalse(Files.exists(dir.resolve("slow").resolve("blobs")) && files(dir.resolve("slow").resolve("blobs")) > 0);
    }
}
