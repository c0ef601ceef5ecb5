package io.blobgc.http;

import io.blobgc.BlobGcSettings;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.cluster.javadsl.ClusterHttpManagementRoutes;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;
import org.apache.pekko.management.javadsl.PekkoManagement;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Pekko Management for a {@code blob-gc node}: the cluster HTTP management routes (members, join, leave, down) and
 * blob-gc's readiness and liveness as Management health checks ({@code /ready}, {@code /alive}), on
 * {@code pekko.management.http.hostname:port} (or {@code bind-hostname:bind-port} when set).
 *
 * <p>Management gets the admin API's edge: its routes (every provider's, {@link PekkoManagement#getRoutes()}) are
 * served by {@link AdminServer#bind} rather than by {@code PekkoManagement.start()}, so the same connection limits
 * apply ({@code blob-gc.http.header-timeout}, {@code idle-timeout}, {@code max-connections}, {@code backlog}), and
 * every request — {@code /ready} and {@code /alive} included — must carry a Host naming Management's own host (the
 * names {@link AllowedHosts} accepts for its hostname and bound address, and {@code blob-gc.http.allowed-hosts}),
 * else 403: a page on an attacker's name resolving to this address (DNS rebinding) can neither read nor call it.
 *
 * <p>The cluster routes that change the cluster (anything but GET and HEAD: join, leave, down,
 * prepare-for-full-shutdown) take their fields as form data ({@code application/x-www-form-urlencoded} or
 * {@code multipart/form-data}) — exactly what a cross-site HTML form can send without a CORS preflight, so the
 * admin API's Content-Type rule cannot apply. Instead such a call must carry a header no cross-site form can set:
 * {@code Authorization: Bearer <blob-gc.http.token>} when a token is set (compared in constant time), else
 * {@code X-Requested-By} (any non-empty value, e.g. {@code X-Requested-By: blob-gc}); a browser sends either only
 * after a preflight, which Management never answers. On top of that the admin API's origin check applies: an
 * {@code Origin} other than {@code http://<Host>} or a {@code Sec-Fetch-Site} other than same-origin/none is 403.
 * Without a token, Management must be bound to a loopback address.
 */
public final class Management {

    /** The header a mutating Management call needs when no token is set. */
    public static final String REQUESTED_BY = "X-Requested-By";

    private Management() {
    }

    /**
     * Starts Pekko Management and waits for its binding; a clear exception when the token rule is broken, or when
     * blob-gc has not started on {@code system} (start it first: Management is served with its edge settings).
     */
    public static URI start(ActorSystem<?> system) {
        var config = system.settings().config();
        String host = config.getString("pekko.management.http.hostname");
        String bindHost = config.getString("pekko.management.http.bind-hostname");
        if (bindHost.isEmpty()) bindHost = host;
        String bindPort = config.getString("pekko.management.http.bind-port");
        int port = bindPort.isEmpty() ? config.getInt("pekko.management.http.port") : Integer.parseInt(bindPort);
        InetAddress address;
        try {
            address = InetAddress.getByName(bindHost);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("pekko.management.http.hostname: unknown host '" + bindHost + "'");
        }
        if (!address.isLoopbackAddress() && config.getString("blob-gc.http.token").isEmpty()) {
            throw new IllegalStateException("pekko.management.http.hostname is " + bindHost + ", not loopback: "
                    + "refusing to serve the cluster management routes (leave, down) without blob-gc.http.token");
        }
        BlobGcSettings.HttpEdge edge = AdminBackends.running(system).orElseThrow(() -> new IllegalStateException(
                "blob-gc has not started on " + system.name() + ": start it before Pekko Management"))
                .settings().http();
        AllowedHosts hosts = new AllowedHosts(host, address, edge.allowedHosts());
        Route routes;
        try {
            routes = PekkoManagement.get(Adapter.toClassic(system)).getRoutes();
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot start Pekko Management: " + e.getMessage(), e);
        }
        Route guarded = Edge.hostChecked(hosts, "Pekko Management", () -> routes);
        InetSocketAddress bound = AdminServer.bind(system, "Pekko Management (cluster routes, /ready, /alive)",
                "blob-gc-management-unbind", bindHost, port, edge, guarded.flow(system)).localAddress();
        String uriHost = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        return URI.create("http://" + uriHost + ":" + bound.getPort());
    }

    /**
     * The cluster HTTP management routes; the ones that change the cluster need the token (when set) or
     * {@link #REQUESTED_BY} (when not), and pass the admin API's origin check (see the class comment).
     */
    public static final class ClusterRoutes extends AllDirectives implements ManagementRouteProvider {
        private final ExtendedActorSystem system;

        public ClusterRoutes(ExtendedActorSystem system) {
            this.system = system;
        }

        @Override
        public Route routes(ManagementRouteProviderSettings settings) {
            Cluster cluster = Cluster.get(system);
            if (settings.readOnly()) return ClusterHttpManagementRoutes.readOnly(cluster);
            String token = system.settings().config().getString("blob-gc.http.token");
            Route all = ClusterHttpManagementRoutes.all(cluster);
            return extractRequest(req -> {
                if (req.method().equals(HttpMethods.GET) || req.method().equals(HttpMethods.HEAD)) return all;
                if (!token.isEmpty() && !Edge.hasToken(req, token)) {
                    return complete(Responses.error(StatusCodes.UNAUTHORIZED, "unauthorized",
                            "this call changes the cluster: send 'Authorization: Bearer <blob-gc.http.token>'"));
                }
                if (token.isEmpty() && req.getHeader(REQUESTED_BY).map(h -> h.value().isBlank()).orElse(true)) {
                    return complete(Responses.error(StatusCodes.FORBIDDEN, "requested_by_missing",
                            "this call changes the cluster: send '" + REQUESTED_BY + ": <anything>' (a header no "
                                    + "cross-site form can send)"));
                }
                Optional<HttpResponse> refused = Edge.crossOrigin(req);
                return refused.isPresent() ? complete(refused.get()) : all;
            });
        }
    }

    /**
     * Ready when blob-gc runs on this node and its coordinator proxy gets an answer. Registered with Pekko
     * Management's health checks by blob-gc's reference.conf: an application that starts Management gets it.
     */
    public static final class Ready implements Supplier<CompletionStage<Boolean>> {
        private final org.apache.pekko.actor.ActorSystem system;

        public Ready(org.apache.pekko.actor.ActorSystem system) {
            this.system = system;
        }

        @Override
        public CompletionStage<Boolean> get() {
            return AdminBackends.running(Adapter.toTyped(system))
                    .map(gc -> gc.summary().thenApply(s -> true).exceptionally(e -> false))
                    .orElse(CompletableFuture.completedFuture(false)); // not started (yet): not ready
        }
    }

    /**
     * Alive unless the actor system is terminating or blob-gc's reporter on this node stopped (an Error escaped it: the
     * node reports nothing any more, and only a restart helps). Registered by reference.conf, as {@link Ready}.
     */
    public static final class Alive implements Supplier<CompletionStage<Boolean>> {
        private final org.apache.pekko.actor.ActorSystem system;

        public Alive(org.apache.pekko.actor.ActorSystem system) {
            this.system = system;
        }

        @Override
        public CompletionStage<Boolean> get() {
            boolean reporterStopped = AdminBackends.running(Adapter.toTyped(system))
                    .map(gc -> gc.reporter() != null && !gc.reporterRunning()).orElse(false);
            return CompletableFuture.completedFuture(!system.whenTerminated().isCompleted() && !reporterStopped);
        }
    }
}
