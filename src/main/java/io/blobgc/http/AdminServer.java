package io.blobgc.http;

import io.blobgc.BlobGcSettings;
import io.blobgc.LogText;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.TLSProtocol;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.TLSPlacebo;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Binds the admin API on {@code blob-gc.http.host:port}; refuses a non-loopback address without a token.
 *
 * <p>The connections are served by pekko-http's server layer over a TCP binding of our own, so that each connection
 * can be held to {@code header-timeout}: a client that has not sent a complete request head within it (from
 * connecting, or from its previous answer) is disconnected, and slow-header clients cannot occupy
 * {@code max-connections}. {@code idle-timeout}, {@code max-connections} and {@code backlog} apply as well; a
 * connection that ends badly (reset, timed out) is logged at DEBUG only.
 */
public final class AdminServer {

    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

    private AdminServer() {
    }

    /**
     * Binds and waits for the binding; a clear exception when the port is taken or the token rule is broken. The
     * routes answer 503 until {@link AdminBackend#started()}.
     */
    public static Tcp.ServerBinding start(ActorSystem<?> system, AdminBackend gc) {
        String host = gc.settings().httpHost();
        int port = gc.settings().httpPort();
        BlobGcSettings.HttpEdge edge = gc.settings().http();
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("blob-gc.http.host: unknown host '" + host + "'");
        }
        if (!address.isLoopbackAddress() && gc.settings().httpToken().isEmpty()) {
            throw new IllegalStateException("blob-gc.http.host is " + host + ", not loopback: refusing to serve the "
                    + "admin API without blob-gc.http.token (or BLOB_GC_HTTP_TOKEN)");
        }
        removeLeftoverUploads(edge.uploadDir());
        AllowedHosts hosts = new AllowedHosts(host, address, edge.allowedHosts());
        Flow<HttpRequest, HttpResponse, NotUsed> handler = new AdminRoutes(system, gc, hosts).route().flow(system);
        return bind(system, "admin API", "blob-gc-http-unbind", host, port, edge, handler);
    }

    /**
     * Serves {@code handler} on {@code host:port} with the connection limits of {@code edge} (header deadline, idle
     * timeout, max connections, backlog) and unbinds it in CoordinatedShutdown's service-unbind phase; waits for the
     * binding. The admin API and Pekko Management ({@link Management}) are both served this way.
     */
    static Tcp.ServerBinding bind(ActorSystem<?> system, String what, String unbindTask, String host, int port,
                                  BlobGcSettings.HttpEdge edge, Flow<HttpRequest, HttpResponse, NotUsed> handler) {
        ServerSettings server = ServerSettings.create(Adapter.toClassic(system));
        LoggingAdapter httpLog = new ClientFaultsAtDebug();
        Materializer mat = Materializer.matFromSystem(system);
        try {
            Tcp.ServerBinding binding = Tcp.get(system)
                    .bind(host, port, edge.backlog(), List.of(), false, Optional.empty())
                    .mapAsyncUnordered(edge.maxConnections(), connection ->
                            serve(system, connection, handler, server, httpLog, edge, mat))
                    .to(Sink.ignore())
                    .run(mat)
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
            CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceUnbind(), unbindTask,
                    () -> binding.unbind().thenApply(x -> Done.getInstance()));
            system.log().info("blob-gc {} on http://{}:{}", what, host, binding.localAddress().getPort());
            return binding;
        } catch (Exception e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new IllegalStateException("cannot serve the " + what + " on " + host + ":" + port + ": "
                    + cause.getMessage(), e);
        }
    }

    /** One connection: TCP bytes, the header deadline, the idle timeout, HTTP, the routes. Completes when it ends. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static CompletionStage<Done> serve(ActorSystem<?> system, Tcp.IncomingConnection connection,
                                               Flow<HttpRequest, HttpResponse, NotUsed> handler, ServerSettings server,
                                               LoggingAdapter httpLog, BlobGcSettings.HttpEdge edge, Materializer mat) {
        Gate gate = new Gate();
        Flow<HttpRequest, HttpResponse, NotUsed> app = Flow.<HttpRequest>create()
                .map(r -> {
                    gate.requestStarted();
                    return r;
                })
                .via(handler)
                .map(r -> {
                    gate.answered();
                    return r;
                });
        BidiFlow<TLSProtocol.SslTlsOutbound, ByteString, ByteString, TLSProtocol.SslTlsInbound, NotUsed> plain =
                (BidiFlow) TLSPlacebo.getInstance();
        BidiFlow<HttpResponse, ByteString, ByteString, HttpRequest, NotUsed> layer = Http.get(system)
                .serverLayer(server, Optional.of(connection.remoteAddress()), httpLog)
                .atop(plain)
                .atop(BidiFlow.bidirectionalIdleTimeout(edge.idleTimeout()))
                .atop(BidiFlow.fromFlows(Flow.<ByteString>create(),
                        Flow.fromGraph(new HeaderDeadline(gate, edge.headerTimeout()))));
        Flow<ByteString, ByteString, CompletionStage<Done>> bytes = layer.reversed().join(app)
                .watchTermination(Keep.right());
        return connection.handleWith(bytes, mat).handle((done, e) -> {
            if (e != null && log.isDebugEnabled()) {
                log.debug("admin API connection from {} ended: {}", connection.remoteAddress(), e.toString());
            }
            return Done.getInstance();
        });
    }

    /**
     * The server layer's log: its warnings are about clients (a malformed or cut-off request, a connection reset or
     * timed out) — one per connection, so a flood of bad clients would flood the log; they go to DEBUG. Errors (the
     * server's own faults) stay errors. Every message is escaped ({@link LogText}).
     */
    static final class ClientFaultsAtDebug implements LoggingAdapter {
        private static final Logger out = LoggerFactory.getLogger("io.blobgc.http.connections");

        @Override
        public boolean isErrorEnabled() {
            return out.isErrorEnabled();
        }

        @Override
        public boolean isWarningEnabled() {
            return out.isDebugEnabled();
        }

        @Override
        public boolean isInfoEnabled() {
            return out.isDebugEnabled();
        }

        @Override
        public boolean isDebugEnabled() {
            return out.isDebugEnabled();
        }

        @Override
        public void notifyError(String message) {
            out.error("{}", LogText.escape(message));
        }

        @Override
        public void notifyError(Throwable cause, String message) {
            out.error("{}", LogText.escape(message), cause);
        }

        @Override
        public void notifyWarning(String message) {
            out.debug("{}", LogText.escape(message));
        }

        @Override
        public void notifyInfo(String message) {
            out.debug("{}", LogText.escape(message));
        }

        @Override
        public void notifyDebug(String message) {
            out.debug("{}", LogText.escape(message));
        }
    }

    /** Uploads that a crash left behind (their requests are long gone). */
    private static void removeLeftoverUploads(Path dir) {
        if (!Files.isDirectory(dir)) return;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, BlobUploads.UPLOAD_PREFIX + "*")) {
            for (Path f : files) Files.deleteIfExists(f);
        } catch (IOException e) {
            log.warn("cannot remove leftover uploads under {}: {}", dir, e.toString());
        }
    }

    /** Whether a connection's request is with the application (its head was read), shared by the two sides. */
    static final class Gate {
        private final AtomicLong open = new AtomicLong();
        /** Changes at every request and answer: a deadline armed before it no longer applies. */
        private final AtomicLong generation = new AtomicLong();

        void requestStarted() {
            open.incrementAndGet();
            generation.incrementAndGet();
        }

        void answered() {
            open.decrementAndGet();
            generation.incrementAndGet();
        }

        boolean readingHead() {
            return open.get() == 0;
        }

        long generation() {
            return generation.get();
        }
    }

    /**
     * Passes the bytes a client sends; while no request of the connection is with the application (a request head is
     * being read, or awaited), a deadline of {@code timeout} runs from the connection's start or its last answer, and
     * a client that has not completed a request head by then is disconnected — one idle between requests after an
     * answer too (within twice the timeout), so idle kept-alive connections cannot hold {@code max-connections}.
     */
    static final class HeaderDeadline extends GraphStage<FlowShape<ByteString, ByteString>> {
        private final Inlet<ByteString> in = Inlet.create("HeaderDeadline.in");
        private final Outlet<ByteString> out = Outlet.create("HeaderDeadline.out");
        private final FlowShape<ByteString, ByteString> shape = FlowShape.of(in, out);
        private final Gate gate;
        private final Duration timeout;

        HeaderDeadline(Gate gate, Duration timeout) {
            this.gate = gate;
            this.timeout = timeout;
        }

        @Override
        public FlowShape<ByteString, ByteString> shape() {
            return shape;
        }

        @Override
        public GraphStageLogic createLogic(Attributes attributes) {
            return new TimerGraphStageLogic(shape) {
                private boolean armed;
                /** The gate's generation when the deadline was armed. */
                private long armedAt;

                {
                    setHandler(in, new AbstractInHandler() {
                        @Override
                        public void onPush() {
                            // bytes while no request is open: a request head is on its way, and must arrive in time
                            if (!armed && gate.readingHead()) arm();
                            push(out, grab(in));
                        }
                    });
                    setHandler(out, new AbstractOutHandler() {
                        @Override
                        public void onPull() {
                            pull(in);
                        }
                    });
                }

                @Override
                public void preStart() {
                    arm(); // a connection that sends nothing at all is as slow as one that sends too little
                }

                private void arm() {
                    armed = true;
                    armedAt = gate.generation();
                    scheduleOnce("head", timeout);
                }

                @Override
                public void onTimer(Object key) {
                    armed = false;
                    if (!gate.readingHead()) return; // a request is with the application: its head arrived
                    if (gate.generation() != armedAt) {
                        // a request came and was answered since: the next head gets its own time from now, whether
                        // bytes came after that answer or none did — an idle kept-alive connection is closed too
                        // (at most twice header-timeout after its last answer), so that idle sockets cannot hold
                        // max-connections until the idle timeout (issue 20: 1,024 of them locked the API out)
                        arm();
                        return;
                    }
                    log.debug("admin API connection: no complete request head within {}: closed", timeout);
                    completeStage();
                }
            };
        }
    }
}
