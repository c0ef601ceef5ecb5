package io.blobgc;

import com.typesafe.config.Config;
import io.blobgc.coordinator.Conductor;
import io.blobgc.coordinator.Coordinator;
import io.blobgc.coordinator.PartitionHosts;
import io.blobgc.coordinator.PartitionPeers;
import io.blobgc.coordinator.Decision;
import io.blobgc.http.AdminBackend;
import io.blobgc.http.AdminBackends;
import io.blobgc.http.AdminServer;
import io.blobgc.journal.JournalSchema;
import io.blobgc.node.ActiveSetSource;
import io.blobgc.node.CoordinatorRoute;
import io.blobgc.node.NodeReporter;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.store.BlobStore;
import io.blobgc.store.FileBlobStore;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.stream.javadsl.Tcp;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;

/**
 * What {@link BlobGc} runs on this member — the decisions topic, the coordinator singleton (and its proxy), this
 * node's reporter and its watch, the admin API — and the start that makes them; also the store and the active-set
 * source that the settings name.
 */
final class NodeWiring {

    private final ActorSystem<?> system;
    private final BlobGcSettings settings;
    private final BlobStore store;
    private final BlobGcMetrics metrics;
    // set by the start, before BlobGc's `started` (volatile) and before the start's future completes: both publish them
    private ActorRef<ToCoordinator> coordinator;
    private ActorRef<NodeReporter.Message> reporter;
    private InetSocketAddress http;
    /** This member's end of the cluster-wide topic the coordinator publishes its decisions to. */
    private ActorRef<Topic.Command<Decision>> decisions;
    private volatile boolean reporterStopped;

    NodeWiring(ActorSystem<?> system, BlobGcSettings settings, BlobStore store, BlobGcMetrics metrics) {
        this.system = system;
        this.settings = settings;
        this.store = store;
        this.metrics = metrics;
    }

    ActorRef<ToCoordinator> coordinator() {
        return coordinator;
    }

    ActorRef<NodeReporter.Message> reporter() {
        return reporter;
    }

    InetSocketAddress http() {
        return http;
    }

    ActorRef<Topic.Command<Decision>> decisions() {
        return decisions;
    }

    boolean reporterRunning() {
        return reporter != null && !reporterStopped;
    }

    /**
     * What can fail comes first — the schema, the settings' consistency with this member, the port — so that a
     * failure leaves nothing running; the server is unbound again if an actor cannot start.
     */
    void start(BlobGc gc) {
        // the admin API and Management's health checks see the node through this (they name nothing of BlobGc);
        // both answer "not started" until BlobGc's `started` is set
        AdminBackend backend = new BlobGcBackend(gc);
        AdminBackends.set(system, backend);
        Config config = system.settings().config();
        if (settings.createSchema()) {
            String db = config.getString(settings.journalPluginId() + ".use-shared-db");
            JournalSchema.ensure(config.getConfig("pekko-persistence-jdbc.shared-databases." + db));
        }
        Cluster cluster = Cluster.get(system);
        boolean expected = settings.nodeRole().isEmpty() || cluster.selfMember().hasRole(settings.nodeRole());
        if (expected && !settings.reporterEnabled()) {
            // the coordinator waits for a report from every member with the node role: one that never comes would
            // hold up the warm-up and every "confirmed absent by all" for good
            throw new IllegalStateException("blob-gc.reporter.enabled is off, but this member is expected to report ("
                    + (settings.nodeRole().isEmpty() ? "blob-gc.node-role is empty: every member reports"
                    : "it has the role '" + settings.nodeRole() + "'") + "). Give the members that run VMs a role, "
                    + "set blob-gc.node-role to it, and leave it off this member");
        }
        settings.partitionHostingNote().ifPresent(note -> system.log().warn(note));
        // the port first: when it is taken, nothing has started yet (no half-started node)
        Tcp.ServerBinding binding = settings.httpEnabled() ? AdminServer.start(system, backend) : null;
        try {
            if (decisions == null) { // kept across a failed start: its name is taken once made
                decisions = system.systemActorOf(Topic.create(Decision.class, "blob-gc-decisions"),
                        "blob-gc-decisions", Props.empty());
            }
            CoordinatorRoute route;
            if (settings.partitionsSharded()) {
                PartitionPeers partitions = PartitionHosts.init(system, settings, store, Clock.systemUTC(), decisions,
                        metrics.timings());
                this.coordinator = Conductor.initSingleton(system, settings, partitions, Clock.systemUTC());
                route = CoordinatorRoute.byPartition(settings.partitioning(), partitions::ref, coordinator);
            } else {
                this.coordinator = Coordinator.initSingleton(system, settings, store, Clock.systemUTC(), decisions,
                        metrics.timings());
                route = CoordinatorRoute.whole(coordinator);
            }
            this.reporter = expected ? startReporter(system, cluster, route) : null;
        } catch (RuntimeException e) {
            if (binding != null) binding.unbind();
            throw e;
        }
        this.http = binding == null ? null : binding.localAddress();
    }

    private ActorRef<NodeReporter.Message> startReporter(ActorSystem<?> system, Cluster cluster,
                                                         CoordinatorRoute route) {
        // resume: a message that throws is dropped and the view kept (a restart would forget what every frame holds
        // while the frames go on using it); only an Error stops it, and then /health/ready says so
        ActorRef<NodeReporter.Message> r = system.systemActorOf(Behaviors.supervise(NodeReporter.create(
                        NodeIds.of(cluster.selfMember().uniqueAddress()), route, settings, createSource(settings)))
                .onFailure(SupervisorStrategy.resume()), "blob-gc-reporter", Props.empty()).narrow();
        system.systemActorOf(Behaviors.<Void>setup(ctx -> {
            ctx.watch(r);
            return Behaviors.receive(Void.class).onSignal(Terminated.class, t -> {
                reporterStopped = true;
                if (org.apache.pekko.actor.CoordinatedShutdown.get(system).getShutdownReason().isPresent()) {
                    return Behaviors.stopped(); // the node is stopping: nothing to tell
                }
                ctx.getLog().error("this node's blob-gc reporter stopped: the node reports nothing (the coordinator "
                        + "will see it STALE) and /health/ready answers 503; restart the node");
                return Behaviors.stopped();
            }).build();
        }), "blob-gc-reporter-watch", Props.empty());
        return r;
    }

    /**
     * The store {@code blob-gc.store} names. The S3 store gets a client of its own, closed when {@code system}
     * terminates (after the sweeper and the admin API have stopped).
     */
    static BlobStore createStore(BlobGcSettings s, ActorSystem<?> system) {
        if (s.storeClass().equals(FileBlobStore.class.getName())) return new FileBlobStore(s.storeRoot());
        if (s.s3Store()) {
            requireS3Sdk(NodeWiring.class.getClassLoader());
            // named only here, after the check: S3StoreFactory's class names the SDK's
            io.blobgc.store.S3StoreFactory.Made made = io.blobgc.store.S3StoreFactory.open(s.s3());
            system.getWhenTerminated().whenComplete((done, failure) -> {
                try {
                    made.client().close();
                } catch (Exception e) {
                    system.log().warn("closing the S3 client of blob-gc.store failed", e);
                }
            });
            return made.store();
        }
        try {
            return (BlobStore) Class.forName(s.storeClass()).getConstructor(Path.class).newInstance(s.storeRoot());
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalArgumentException("blob-gc.store.class " + s.storeClass()
                    + " must be a BlobStore with a public constructor taking the store root (a Path)", e);
        }
    }

    /** The SDK classes the S3 store needs from the class path, with the Maven artifacts that bring them. */
    static final java.util.Map<String, String> S3_SDK = java.util.Map.of(
            "software.amazon.awssdk.services.s3.S3Client", "software.amazon.awssdk:s3",
            "software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient",
            "software.amazon.awssdk:url-connection-client");

    /** Fails, naming the Maven coordinates, when the AWS SDK classes the S3 store needs are not on the class path. */
    static void requireS3Sdk(ClassLoader loader) {
        java.util.List<String> missing = new java.util.ArrayList<>();
        for (var e : new java.util.TreeMap<>(S3_SDK).entrySet()) {
            try {
                Class.forName(e.getKey(), false, loader);
            } catch (ClassNotFoundException | LinkageError x) {
                missing.add(e.getValue() + " (" + e.getKey() + ")");
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("blob-gc.store.class is " + BlobGcSettings.S3_STORE_CLASS + ", which "
                    + "needs the AWS SDK for Java v2 on the class path: add the Maven dependencies "
                    + "software.amazon.awssdk:s3 and software.amazon.awssdk:url-connection-client (the versions of "
                    + "blob-gc's pom, or the SDK's BOM). Missing: " + String.join(", ", missing)
                    + ". Or hand in a store of your own: BlobGc.start(system, store)");
        }
    }

    private static ActiveSetSource createSource(BlobGcSettings s) {
        if (s.activeSetSource().isEmpty()) return null;
        try {
            return (ActiveSetSource) Class.forName(s.activeSetSource()).getConstructor().newInstance();
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalArgumentException("blob-gc.reporter.active-set-source " + s.activeSetSource()
                    + " must be an ActiveSetSource with a public no-argument constructor", e);
        }
    }
}
