package io.blobgc.http;

import io.blobgc.BlobGc;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.cluster.javadsl.ClusterHttpManagementRoutes;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;
import org.apache.pekko.management.javadsl.PekkoManagement;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Pekko Management for a {@code blob-gc node}: the cluster HTTP management routes (members, leave, down) and
 * blob-gc's readiness and liveness as Management health checks ({@code /ready}, {@code /alive}), on
 * {@code pekko.management.http.hostname:port}. The routes that change the cluster follow the admin API's token rule:
 * with {@code blob-gc.http.token} set they need {@code Authorization: Bearer <token>}; without one, Management
 * must be bound to a loopback address.
 */
public final class Management {

    private Management() {
    }

    /** Starts Pekko Management and waits for its binding; a clear exception when the token rule is broken. */
    public static URI start(ActorSystem<?> system) {
        var config = system.settings().config();
        String host = config.getString("pekko.management.http.hostname");
        boolean loopback;
        try {
            loopback = InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("pekko.management.http.hostname: unknown host '" + host + "'");
        }
        if (!loopback && config.getString("blob-gc.http.token").isEmpty()) {
            throw new IllegalStateException("pekko.management.http.hostname is " + host + ", not loopback: refusing to "
                    + "serve the cluster management routes (leave, down) without blob-gc.http.token");
        }
        try {
            var uri = PekkoManagement.get(Adapter.toClassic(system)).start().toCompletableFuture().get(30, TimeUnit.SECONDS);
            system.log().info("Pekko Management (cluster routes, /ready, /alive) on {}", uri);
            return URI.create(uri.toString());
        } catch (Exception e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new IllegalStateException("cannot start Pekko Management on " + host + ": " + cause.getMessage(), e);
        }
    }

    /** The cluster HTTP management routes, with the admin API's token rule on the ones that change the cluster. */
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
            if (token.isEmpty()) return all;
            return extractMethod(method -> {
                if (method.equals(HttpMethods.GET) || method.equals(HttpMethods.HEAD)) return all;
                return optionalHeaderValueByName("Authorization", auth -> auth.isPresent()
                        && auth.get().equals("Bearer " + token) ? all
                        : complete(AdminRoutes.error(StatusCodes.UNAUTHORIZED, "unauthorized",
                        "this call changes the cluster: send 'Authorization: Bearer <blob-gc.http.token>'")));
            });
        }
    }

    /** Ready when this node's coordinator proxy gets an answer: the same as the admin API's {@code /health/ready}. */
    public static final class Ready implements Supplier<CompletionStage<Boolean>> {
        private final org.apache.pekko.actor.ActorSystem system;

        public Ready(org.apache.pekko.actor.ActorSystem system) {
            this.system = system;
        }

        @Override
        public CompletionStage<Boolean> get() {
            return BlobGc.get(Adapter.toTyped(system)).summary().thenApply(s -> true)
                    .exceptionally(e -> false);
        }
    }

    /** Alive while blob-gc runs on this node (its extension started and the actor system not terminating). */
    public static final class Alive implements Supplier<CompletionStage<Boolean>> {
        private final org.apache.pekko.actor.ActorSystem system;

        public Alive(org.apache.pekko.actor.ActorSystem system) {
            this.system = system;
        }

        @Override
        public CompletionStage<Boolean> get() {
            return CompletableFuture.completedFuture(!system.whenTerminated().isCompleted()
                    && BlobGc.get(Adapter.toTyped(system)) != null);
        }
    }
}
