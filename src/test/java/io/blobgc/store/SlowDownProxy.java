package io.blobgc.store;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small HTTP proxy in front of an S3 server that answers some DeleteObjects requests as a throttled S3 does — 503
 * with S3's {@code SlowDown} XML error — without forwarding them, and forwards everything else. It records every
 * DeleteObjects request (when, how many keys, which, throttled or not), so that a test can show a client slowing
 * down and every key forwarded exactly once, and every ListObjectsV2 request (its StartAfter and continuation token),
 * so that a test can show where a listing resumed. Plain JDK: {@link HttpServer} in, {@link HttpClient} out. The S3 server
 * behind it must not check signatures (the Host header changes on the way).
 */
public final class SlowDownProxy implements AutoCloseable {

    /** One DeleteObjects request as the proxy saw it: when it came (nanoTime), its keys, and whether it was refused. */
    public record DeleteRequest(long atNanos, List<String> keys, boolean throttled) {
    }

    /**
     * One ListObjectsV2 request as the proxy saw it: when it came (epoch millis), its {@code start-after} and
     * {@code continuation-token} (null when absent).
     */
    public record ListRequest(long atMillis, String startAfter, String continuationToken) {
    }

    /** An answer the proxy makes up instead of forwarding: an HTTP status and an XML body. */
    public record Answer(int status, String xml) {
    }

    static final String SLOW_DOWN = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>\
            <RequestId>SLOWDOWN0000001</RequestId><HostId>slow-down-proxy</HostId></Error>""";

    /** Headers the JDK's client sets itself (or refuses): not copied either way. */
    private static final Set<String> HOP = Set.of("host", "content-length", "connection", "expect", "upgrade",
            "transfer-encoding", "keep-alive", "date");
    private static final Pattern KEY = Pattern.compile("<Key>(.*?)</Key>");

    private final HttpServer server;
    private final HttpClient client = HttpClient.newHttpClient();
    private final URI target;
    private final IntPredicate throttle;
    private final List<DeleteRequest> deletes = new CopyOnWriteArrayList<>();
    private final List<String> deleteBodies = new CopyOnWriteArrayList<>();
    private final List<ListRequest> lists = new CopyOnWriteArrayList<>();
    /** Given a DeleteObjects request's keys, the answer to make up (null: forward it); set by a test. */
    private volatile java.util.function.Function<List<String>, Answer> madeUp = keys -> null;

    /**
     * @param target   the S3 server's base URI
     * @param throttle given the number of a DeleteObjects request (0, 1, 2, … in arrival order): whether to answer it
     *                 503 SlowDown
     */
    public SlowDownProxy(URI target, IntPredicate throttle) throws IOException {
        this.target = target;
        this.throttle = throttle;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    public List<DeleteRequest> deletes() {
        return List.copyOf(deletes);
    }

    /** The ListObjectsV2 requests, in arrival order. */
    public List<ListRequest> lists() {
        return List.copyOf(lists);
    }

    /** The XML bodies of the DeleteObjects requests, in arrival order. */
    public List<String> deleteBodies() {
        return List.copyOf(deleteBodies);
    }

    /** From now on, DeleteObjects requests not throttled are answered by {@code answer} (when not null). */
    public void answerDeletes(java.util.function.Function<List<String>, Answer> answer) {
        madeUp = answer;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readAllBytes();
            }
            String query = ex.getRequestURI().getRawQuery();
            if ("GET".equals(ex.getRequestMethod()) && query != null && query.contains("list-type=2")) {
                lists.add(new ListRequest(System.currentTimeMillis(), parameter(query, "start-after"),
                        parameter(query, "continuation-token")));
            }
            if ("POST".equals(ex.getRequestMethod()) && query != null && query.startsWith("delete")) {
                List<String> keys = new ArrayList<>();
                Matcher m = KEY.matcher(new String(body, StandardCharsets.UTF_8));
                while (m.find()) keys.add(m.group(1));
                boolean refuse;
                synchronized (deletes) {
                    refuse = throttle.test(deletes.size());
                    deletes.add(new DeleteRequest(System.nanoTime(), keys, refuse));
                }
                deleteBodies.add(new String(body, StandardCharsets.UTF_8));
                Answer answer = refuse ? new Answer(503, SLOW_DOWN) : madeUp.apply(keys);
                if (answer != null) {
                    byte[] xml = answer.xml().getBytes(StandardCharsets.UTF_8);
                    ex.getResponseHeaders().set("Content-Type", "application/xml");
                    ex.sendResponseHeaders(answer.status(), xml.length);
                    try (OutputStream out = ex.getResponseBody()) {
                        out.write(xml);
                    }
                    return;
                }
            }
            forward(ex, body);
        }
    }

    /** The decoded value of {@code name} in a raw query string, or null. */
    private static String parameter(String rawQuery, String name) {
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            if (k.equals(name)) {
                return eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    private void forward(HttpExchange ex, byte[] body) throws IOException {
        String path = ex.getRequestURI().getRawPath() + (ex.getRequestURI().getRawQuery() == null ? ""
                : "?" + ex.getRequestURI().getRawQuery());
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(target + path))
                .method(ex.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
        ex.getRequestHeaders().forEach((name, values) -> {
            if (!HOP.contains(name.toLowerCase(Locale.ROOT))) values.forEach(v -> req.header(name, v));
        });
        HttpResponse<byte[]> r;
        try {
            r = client.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        r.headers().map().forEach((name, values) -> {
            if (!HOP.contains(name.toLowerCase(Locale.ROOT)) && !name.startsWith(":")) {
                values.forEach(v -> ex.getResponseHeaders().add(name, v));
            }
        });
        boolean head = "HEAD".equals(ex.getRequestMethod());
        ex.sendResponseHeaders(r.statusCode(), head || r.body().length == 0 ? -1 : r.body().length);
        if (!head && r.body().length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(r.body());
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
