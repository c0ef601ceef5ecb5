package io.blobgc.http;

import io.blobgc.BlobGc;
import io.blobgc.BlobHash;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Review 20 over real HTTP: the upload gate's free-space floor. */
class Review20UploadGateTest {

    @TempDir
    Path dir;

    private static final long MIB = 1024 * 1024;

    /** Sends an upload's head (declaring {@code length} bytes) and a few bytes of its body; leaves it open. */
    private static Socket startUpload(int port, long length, String tag) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        OutputStream out = s.getOutputStream();
        byte[] any = tag.getBytes(StandardCharsets.UTF_8);
        out.write(("PUT /v1/blobs/" + BlobHash.sha256(any).toHex() + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                + "\r\nContent-Type: application/octet-stream\r\nContent-Length: " + length + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.write(any);
        out.flush();
        return s;
    }

    /** The status the server answered within {@code ms}, or 0 when it is still waiting for the body (admitted). */
    private static int answered(Socket s, int ms) throws IOException {
        s.setSoTimeout(ms);
        try {
            RawHttp.Answer a = RawHttp.read(s.getInputStream());
            return a.status();
        } catch (SocketTimeoutException admitted) {
            return 0;
        }
    }

    /**
     * http.min-free-space is "the free space uploads in progress must leave": with 2 GiB above the floor, two
     * uploads of 1.25 GiB each cannot both be admitted — together they would take the disk 0.5 GiB below the floor.
     * The gate compared each declared length with the free space now, ignoring what the uploads already admitted
     * hold (reserved, not written yet), so it admits both.
     */
    @Test
    void twoUploadsThatTogetherPassTheFreeSpaceFloorAreNotBothAdmitted() throws Exception {
        Path data = dir.resolve("node");
        Files.createDirectories(data);
        long usable = Files.getFileStore(data).getUsableSpace();
        long floor = usable - 2048 * MIB; // 2 GiB above the floor: room for one upload of 1.25 GiB and what the machine writes meanwhile, not for two
        ActorSystem<Void> node = AdminApiTest.startUp(data, "blob-gc.http.max-blob-size = 2 GiB\n"
                + "blob-gc.http.max-upload-bytes-in-flight = 8 GiB\n"
                + "blob-gc.http.min-free-space = " + floor + "\n"
                + "blob-gc.http.min-upload-rate = 0 B\n"
                + "blob-gc.http.min-upload-rate-window = 60s\n");
        try {
            int port = BlobGc.get(node).httpAddress().getPort();
            try (Socket first = startUpload(port, 1280 * MIB, "first");
                 Socket second = startUpload(port, 1280 * MIB, "second")) {
                int a = answered(first, 3_000), b = answered(second, 3_000);
                // the two heads are served in parallel: either may be the one admitted, never both
                if (a != 0 && b != 0) fail("neither 1.25 GiB upload was admitted with 2 GiB above the floor: " + a + ", " + b);
                assertTrue((a == 0 && b == 503) || (a == 503 && b == 0), "both 1.25 GiB uploads were admitted with "
                        + "2 GiB above the floor (answers " + a + ", " + b + "; 0 = admitted, waiting for its body): "
                        + "together they leave the disk 0.5 GiB under http.min-free-space");
            }
        } finally {
            node.terminate();
            node.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }
}
