package io.blobgc.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * HTTP/1.1 over a plain socket, for what {@link java.net.http.HttpClient} will not send: a foreign Host header,
 * partial request heads, malformed requests.
 */
final class RawHttp {

    private RawHttp() {
    }

    /** A response's status line and the rest, or status -1 when the server closed without an answer. */
    record Answer(int status, String text) {
    }

    /** Sends {@code head} (CRLF line ends added; a blank line ends it) and {@code body}; reads until close. */
    static Answer send(int port, String head, byte[] body, Duration timeout) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), (int) timeout.toMillis());
            s.setSoTimeout((int) timeout.toMillis());
            String h = head.replace("\r\n", "\n").replace("\n", "\r\n");
            if (!h.endsWith("\r\n")) h += "\r\n";
            h += "Connection: close\r\n\r\n";
            s.getOutputStream().write(h.getBytes(StandardCharsets.ISO_8859_1));
            try {
                if (body != null) s.getOutputStream().write(body);
                s.getOutputStream().flush();
            } catch (java.net.SocketException cut) {
                // the server answered (a 503 or 413 on the head) and closed before the whole body was sent, as
                // HTTP lets it: read what it answered, as a client does (UploadLimitsTest saw a broken pipe here)
                Answer answered = read(s.getInputStream());
                if (answered.status() < 0) throw cut;
                return answered;
            }
            return read(s.getInputStream());
        }
    }

    static Answer read(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            for (int n; (n = in.read(buf)) >= 0; ) out.write(buf, 0, n);
        } catch (SocketTimeoutException | java.net.SocketException e) {
            if (out.size() == 0) throw e;
        }
        String text = out.toString(StandardCharsets.ISO_8859_1);
        if (!text.startsWith("HTTP/1.")) return new Answer(-1, text);
        return new Answer(Integer.parseInt(text.substring(9, 12)), text);
    }
}
