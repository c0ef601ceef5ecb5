package io.blobgc;

import io.blobgc.coordinator.Coordinator;
import io.blobgc.coordinator.CoordinatorCore;
import io.blobgc.coordinator.Decision;
import io.blobgc.ledger.BlobInfo;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.ledger.HistoryEntry;
import io.blobgc.ledger.Registration;
import io.blobgc.node.NodeReporter;
import io.blobgc.node.ReporterCore;
import io.blobgc.protocol.ReporterProtocol;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import io.blobgc.protocol.ReporterProtocol.Registered;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.store.BlobStore;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * The one entry point for an embedding application. {@code BlobGc.start(system)} creates the journal schema when
 * missing, binds the admin API when {@code blob-gc.http.enabled} (off unless configured; {@code blob-gc node} turns
 * it on), then starts the coordinator singleton (and its proxy) and this node's {@link NodeReporter}, all from
 * {@code blob-gc { … }} in the configuration — on a blocking thread, completing when the node serves. It cannot
 * half-start: what can fail (settings, the schema, the port) is done before any actor starts, and the server is
 * unbound again if an actor cannot start; a failed start can be retried. Everything stops with the actor system
 * (CoordinatedShutdown unbinds the server). {@code BlobGc.get(system)} does the same, blocking, and returns the
 * running instance after that.
 *
 * <pre>{@code
 * BlobGc gc = BlobGc.start(system).toCompletableFuture().join();
 * gc.acquire(self, hash).thenAccept(r -> ...);   // S6: fenced against a concurrent deletion
 * gc.release(self, hash);                          // or let the holder actor stop
 * }</pre>
 */
public final class BlobGc implements Extension {

    public static final class Id extends ExtensionId<BlobGc> {
        @Override
        public BlobGc createExtension(ActorSystem<?> system) {
            return new BlobGc(system);
        }
    }

    private static final Id ID = new Id();

    /**
     * Starts blob-gc on this node (once: later calls return the running instance), blocking until it serves; throws
     * what {@link #start} fails with. From an actor, prefer {@link #start}.
     */
    public static BlobGc get(ActorSystem<?> system) {
        try {
            return start(system).toCompletableFuture().join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw e;
        }
    }

    /** The running instance on {@code system}, if blob-gc was started there (asking starts nothing). */
    public static Optional<BlobGc> running(ActorSystem<?> system) {
        if (!system.hasExtension(ID)) return Optional.empty();
        BlobGc gc = ID.apply(system);
        return gc.started ? Optional.of(gc) : Optional.empty();
    }

    /**
     * Starts blob-gc on this node without blocking the caller: completes with the running instance once it serves,
     * or exceptionally (a taken port, an unreachable journal database) with nothing left running — and then a later
     * call tries again. Invalid settings fail it for good (they are read when the actor system first asks).
     */
    public static CompletionStage<BlobGc> start(ActorSystem<?> system) {
        return ID.apply(system).startOnce();
    }

    /**
     * {@link #start(ActorSystem)} with a blob store the application made (an object store with its own client and
     * credentials, say) instead of {@code blob-gc.store.class}. Fails when blob-gc already runs on this system with
     * another store.
     */
    public static CompletionStage<BlobGc> start(ActorSystem<?> system, BlobStore store) {
        return start(system, null, java.util.Objects.requireNonNull(store, "store"));
    }

    /**
     * {@link #start(ActorSystem)} with settings made in code ({@code BlobGcSettings.create(system).with…}) instead of
     * the actor system's {@code blob-gc} section. Fails when blob-gc already runs on this system with other settings.
     */
    public static CompletionStage<BlobGc> start(ActorSystem<?> system, BlobGcSettings settings) {
        return start(system, java.util.Objects.requireNonNull(settings, "settings"), null);
    }

    /** Settings made in code and a store the application made (either may be null: from the configuration). */
    public static CompletionStage<BlobGc> start(ActorSystem<?> system, BlobGcSettings settings, BlobStore store) {
        BlobGc gc;
        GIVEN.set(new Given(system, settings, store));
        try {
            gc = ID.apply(system); // made on this thread if it is not yet: the constructor takes what was given
        } finally {
            GIVEN.remove();
        }
        if (settings != null && !gc.settings.equals(settings) || store != null && gc.store != store) {
            return CompletableFuture.failedFuture(new IllegalStateException("blob-gc already runs on " + system.name()
                    + (store != null && gc.store != store ? " with another store (" + gc.store + ")"
                    : " with other settings")));
        }
        return gc.startOnce();
    }

    /**
     * What {@link #start(ActorSystem, BlobGcSettings, BlobStore)} was handed, for the extension made during that call,
     * on that thread. Not a map by system: two actor systems of one name are equal (their guardians' paths are), and an
     * entry left by one would be taken by the other.
     */
    private record Given(ActorSystem<?> system, BlobGcSettings settings, BlobStore store) {
    }

    private static final ThreadLocal<Given> GIVEN = new ThreadLocal<>();

    private final ActorSystem<?> system;
    private final BlobGcSettings settings;
    private final BlobStore store;
    private final BlobGcMetrics metrics;
    /** What the start makes: the coordinator's proxy, the reporter, the admin API, the decisions topic. */
    private final NodeWiring wiring;
    private final Uploads uploads;
    /** Set last: the admin API, bound first, answers 503 until then (and sees every field once it is set). */
    private volatile boolean started;
    /** The start under way or done; replaced when it failed. */
    private CompletableFuture<BlobGc> starting;

    /** Reads the settings and makes the store; starts nothing ({@link #start} does). */
    private BlobGc(ActorSystem<?> system) {
        this.system = system;
        Given given = GIVEN.get() != null && GIVEN.get().system() == system ? GIVEN.get() : null;
        this.settings = given != null && given.settings() != null ? given.settings()
                : BlobGcSettings.from(system.settings().config());
        this.store = given != null && given.store() != null ? given.store() : NodeWiring.createStore(settings, system);
        this.metrics = new BlobGcMetrics(this::summary);
        this.wiring = new NodeWiring(system, settings, store, metrics);
        this.uploads = new Uploads(system, this);
    }

    private synchronized CompletionStage<BlobGc> startOnce() {
        if (starting == null || starting.isCompletedExceptionally()) {
            starting = CompletableFuture.supplyAsync(this::startNow,
                    system.dispatchers().lookup(DispatcherSelector.blocking()));
        }
        return starting;
    }

    /** {@link NodeWiring#start}: it either starts all, or fails with nothing left running; {@code started} last. */
    private BlobGc startNow() {
        wiring.start(this);
        this.started = true;
        return this;
    }

    /** Whether this node's blob-gc has started (its admin API answers 503 before). */
    public boolean started() {
        return started;
    }

    /** Where the admin API listens, or null when {@code blob-gc.http.enabled = off}. */
    public InetSocketAddress httpAddress() {
        return wiring.http();
    }

    public BlobGcSettings settings() {
        return settings;
    }

    public BlobStore store() {
        return store;
    }

    /**
     * blob-gc's meters (Micrometer): {@code gc.metrics().bindTo(hostRegistry)} shows them in the application's own
     * registry as well; {@code GET /metrics} is their Prometheus exposition.
     */
    public BlobGcMetrics metrics() {
        return metrics;
    }

    /** The coordinator singleton's proxy: every command of {@link Coordinator} can be sent to it. */
    public ActorRef<ToCoordinator> coordinator() {
        return wiring.coordinator();
    }

    /** This node's reporter, or null on a member that does not report ({@code reporter.enabled}, {@code node-role}). */
    public ActorRef<NodeReporter.Message> reporter() {
        return wiring.reporter();
    }

    /** False once this node's reporter has stopped (an Error escaped it): the node no longer reports. */
    public boolean reporterRunning() {
        return wiring.reporterRunning();
    }

    /** {@code holder} starts to use {@code hash} (and its callees): fenced, see {@link AcquireResult}. */
    public CompletionStage<AcquireReply> acquire(ActorRef<?> holder, BlobHash hash) {
        return acquireFor(holder, hash);
    }

    /** The acquire fence for any holder the reporter knows: an actor, or a {@link Hold}. */
    private CompletionStage<AcquireReply> acquireFor(Object holder, BlobHash hash) {
        return AskPattern.ask(requireReporter(), r -> new NodeReporter.Acquire(holder, hash, r),
                settings.acquireTimeout().plus(settings.askTimeout()), system.scheduler());
    }

    public void release(ActorRef<?> holder, BlobHash hash) {
        requireReporter().tell(new NodeReporter.Release(holder, hash));
    }

    /**
     * Holds {@code hash} (and its callees) for a holder that is not an actor: completes with a {@link Hold} once the
     * acquire fence answered ACQUIRED — close it to release — or fails with {@link NotHeldException} carrying the
     * answer (GONE: upload again, listed in {@code gone}; UNAVAILABLE: retry).
     */
    public CompletionStage<Hold> hold(BlobHash hash) {
        Hold h = new Hold(hash);
        return acquireFor(h, hash).thenApply(reply -> {
            if (reply.result() != AcquireResult.ACQUIRED) throw new NotHeldException(reply);
            return h;
        });
    }

    /** A hold taken by {@link #hold}: the blob and its callees are not deleted until it is closed. */
    public final class Hold implements AutoCloseable {
        private final BlobHash hash;
        private boolean released;

        private Hold(BlobHash hash) {
            this.hash = hash;
        }

        public BlobHash hash() {
            return hash;
        }

        /** Releases the hold (once); completes when this node's reporter has applied it (its next report drops it). */
        public synchronized CompletionStage<org.apache.pekko.Done> release() {
            if (released) return CompletableFuture.completedFuture(org.apache.pekko.Done.getInstance());
            released = true;
            return AskPattern.ask(requireReporter(), r -> new NodeReporter.Release(this, hash, r),
                    settings.askTimeout(), system.scheduler());
        }

        /** {@link #release()}, waiting for its acknowledgement (at most {@code coordinator.ask-timeout}). */
        @Override
        public void close() {
            release().toCompletableFuture().join();
        }

        @Override
        public String toString() {
            return "Hold[" + hash + "]";
        }
    }

    /** What an acquire answered when it did not hold the blob. */
    public static final class NotHeldException extends RuntimeException {
        private final AcquireReply reply;

        NotHeldException(AcquireReply reply) {
            super(reply.result() + " for " + reply.hash() + (reply.gone().isEmpty() ? "" : ", gone: " + reply.gone())
                    + (reply.message() == null ? "" : ": " + reply.message()), null, false, false);
            this.reply = reply;
        }

        public AcquireReply reply() {
            return reply;
        }
    }

    /**
     * {@code subscriber} is told what the collector decides from now on, wherever the coordinator runs: blobs marked
     * by a cycle, blobs deleted from the store (with the bytes freed). At most once: a subscriber that is away, or a
     * member that is not Up yet, misses what is published meanwhile (the blob's status and the history are the
     * record).
     */
    public void subscribe(ActorRef<Decision> subscriber) {
        wiring.decisions().tell(Topic.subscribe(subscriber));
    }

    public void unsubscribe(ActorRef<Decision> subscriber) {
        wiring.decisions().tell(Topic.unsubscribe(subscriber));
    }

    /** What the coordinator knows of {@code hash}: empty when it does not know it (never registered, or pruned). */
    public CompletionStage<Optional<BlobInfo>> blob(BlobHash hash) {
        return AskPattern.<ToCoordinator, Coordinator.BlobReply>ask(coordinator(),
                r -> new Coordinator.GetBlob(hash, r), settings.askTimeout(), system.scheduler())
                .thenApply(b -> Optional.ofNullable(b.info()));
    }

    /** Runs a GC cycle now (a dry run decides and records what it would do, and changes nothing). */
    public CompletionStage<CycleOutcome> runCycle(boolean dryRun) {
        return AskPattern.ask(coordinator(), r -> new Coordinator.RunCycleNow(dryRun, r), settings.askTimeout(),
                system.scheduler());
    }

    /** The last {@code limit} cycles, newest first (at most {@code history-size}). */
    public CompletionStage<List<HistoryEntry>> history(int limit) {
        return AskPattern.<ToCoordinator, Coordinator.History>ask(coordinator(),
                r -> new Coordinator.GetHistory(limit, r), settings.askTimeout(), system.scheduler())
                .thenApply(Coordinator.History::entries);
    }

    /** A page of the operator pins, newest first ({@code limit} at most 1,000). */
    public CompletionStage<Coordinator.Pins> pins(int offset, int limit) {
        return AskPattern.ask(coordinator(), r -> new Coordinator.GetPins(offset, limit, r), settings.askTimeout(),
                system.scheduler());
    }

    /** A node pin: this node holds {@code hash} until {@link #unpinOnNode}; through the acquire fence (GONE: upload). */
    public CompletionStage<AcquireReply> pinOnNode(BlobHash hash) {
        return AskPattern.ask(requireReporter(), r -> new NodeReporter.PinLocal(hash, r),
                settings.acquireTimeout().plus(settings.askTimeout()), system.scheduler());
    }

    public void unpinOnNode(BlobHash hash) {
        requireReporter().tell(new NodeReporter.UnpinLocal(hash));
    }

    /**
     * Sets the lease of a holder outside this JVM (an out-of-process VM) to {@code hashes} and {@code pins}; it lasts
     * {@code ttl} unless set again. New hashes and pins go through the acquire fence: the reply says what is held.
     */
    public CompletionStage<ReporterCore.LeaseReply> lease(String holder, Set<BlobHash> hashes, Set<BlobHash> pins,
                                                         Duration ttl) {
        return AskPattern.ask(requireReporter(), r -> new NodeReporter.SetLease(holder, hashes, pins, ttl, r),
                settings.acquireTimeout().plus(settings.askTimeout()), system.scheduler());
    }

    public void dropLease(String holder) {
        requireReporter().tell(new NodeReporter.DropLease(holder));
    }

    /**
     * Uploads a blob: checks that {@code content} hashes to {@code hash}, writes it to the store, and only then
     * registers it — content first, so that a registered (ACTIVE) blob always has its content in the store. A write
     * that fails registers nothing (the store leaves no temporary file). The coordinator refuses the registration of
     * a blob being deleted right now, and of one whose content is not in the store when the registration arrives (a
     * deletion came between the write and the registration): see {@link Registered#rejected()}; upload
     * again. Content written but not registered (refused, or the registration lost) is an orphan in the store.
     */
    public CompletionStage<Registered> upload(BlobHash hash, byte[] content, List<BlobHash> dependencies) {
        return uploads.upload(hash, content, dependencies);
    }

    /**
     * {@link #upload(BlobHash, byte[], List)} from a file (a streamed upload: memory stays flat whatever its size).
     * The file is hashed first, then copied into the store, then registered; it stays the caller's to delete.
     */
    public CompletionStage<Registered> upload(BlobHash hash, Path content, List<BlobHash> dependencies) {
        return uploads.upload(hash, content, dependencies);
    }

    /**
     * Registers blobs whose content is in the store already (written by {@link #upload}, or by the host application
     * into the same store): the coordinator refuses a hash whose content it does not find there
     * ({@link Registered#noContent()}).
     */
    public CompletionStage<Registered> register(List<Registration> registrations) {
        if (registrations == null || CoordinatorCore.items(registrations) > CoordinatorCore.MAX_REGISTRATION_ITEMS) {
            throw new IllegalArgumentException("a registration carries at most "
                    + CoordinatorCore.MAX_REGISTRATION_ITEMS + " hashes and edges: split it");
        }
        return AskPattern.ask(coordinator(), r -> new ReporterProtocol.Register(registrations, r),
                settings.askTimeout(), system.scheduler());
    }

    /** An operator pin; {@code ttl} null for none. A refusal (unknown blob, being deleted…) is in the result. */
    public CompletionStage<Coordinator.OpResult> pin(BlobHash hash, String owner, String reason, Duration ttl) {
        return AskPattern.ask(coordinator(),
                r -> new Coordinator.PinBlob(hash, owner, reason, ttl == null ? null : ttl.toMillis(), r),
                settings.askTimeout(), system.scheduler());
    }

    public CompletionStage<Coordinator.OpResult> unpin(BlobHash hash, String owner) {
        return AskPattern.ask(coordinator(), r -> new Coordinator.UnpinBlob(hash, owner, r), settings.askTimeout(),
                system.scheduler());
    }

    public CompletionStage<Coordinator.Summary> summary() {
        return AskPattern.ask(coordinator(), Coordinator.GetSummary::new, settings.askTimeout(), system.scheduler());
    }

    private ActorRef<NodeReporter.Message> requireReporter() {
        ActorRef<NodeReporter.Message> reporter = wiring.reporter();
        if (reporter == null) {
            throw new IllegalStateException("this member runs no blob-gc reporter (blob-gc.reporter.enabled, node-role)");
        }
        return reporter;
    }
}
