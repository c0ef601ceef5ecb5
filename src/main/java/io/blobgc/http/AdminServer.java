package io.blobgc.http;

import io.blobgc.BlobGc;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Binds the admin API on {@code blob-gc.http.host:port}; refuses a non-loopback address without a token. */
public final class AdminServer {

    private AdminServer() {
    }

    /** Binds and waits for the binding; a clear exception when the port is taken or the token rule is broken. */
    public static InetSocketAddress start(ActorSystem<?> system, BlobGc gc) {
        String host = gc.settings().httpHost();
        int port = gc.settings().httpPort();
        boolean loopback;
        try {
            loopback = InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("blob-gc.http.host: unknown host '" + host + "'");
        }
        if (!loopback && gc.settings().httpToken().isEmpty()) {
            throw new IllegalStateException("blob-gc.http.host is " + host + ", not loopback: refusing to serve the "
                    + "admin API without blob-gc.http.token (or BLOB_GC_HTTP_TOKEN)");
        }
        try {
            ServerBinding binding = Http.get(system).newServerAt(host, port)
                    .bind(new AdminRoutes(system, gc).route())
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
            binding.addToCoordinatedShutdown(Duration.ofSeconds(5), system);
            system.log().info("blob-gc admin API on http://{}:{}", host, binding.localAddress().getPort());
            return binding.localAddress();
        } catch (Exception e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new IllegalStateException("cannot serve the admin API on " + host + ":" + port + ": "
                    + cause.getMessage(), e);
        }
    }
}
