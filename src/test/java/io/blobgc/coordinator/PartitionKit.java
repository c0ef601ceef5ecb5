package io.blobgc.coordinator;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;
import io.blobgc.LogCapture;
import io.blobgc.ledger.Partitioning;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.store.FileBlobStore;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The fixture of the partition entity and conductor reviews: an actor system under Pekko's persistence test kit (its
 * in-memory journal), a file store, everything logged, and the entities of one {@link Partitioning} with the helpers
 * their tests share (a hash a partition owns, an entity's journal, an answer or a failure saying why not). One a test;
 * {@link #close()} it after.
 */
final class PartitionKit implements AutoCloseable {

    /** How long an answer may take. */
    static final Duration SHORT = Duration.ofSeconds(5);

    final ActorTestKit kit;
    final PersistenceTestKit journal;
    final FileBlobStore store;
    final BlobGcSettings settings;
    final Partitioning partitioning;
    /** Everything logged: a failing test names the exception that ended the actor. */
    final LogCapture log;
    /** The entities a conductor is spawned over ({@link #conductor()}), by partition. */
    final Map<Integer, ActorRef<ToCoordinator>> entities = new HashMap<>();

    private PartitionKit(String name, Config config, Path storeRoot) {
        log = LogCapture.root();
        settings = BlobGcSettings.from(config);
        partitioning = settings.partitioning();
        kit = ActorTestKit.create(name, config);
        journal = PersistenceTestKit.create(kit.system());
        store = new FileBlobStore(storeRoot);
    }

    /** A local actor system of {@link CoordinatorTestKit#config} with {@code blobGc}, its store at {@code storeRoot}. */
    static PartitionKit local(String name, String blobGc, Path storeRoot) {
        return new PartitionKit(name, CoordinatorTestKit.config(blobGc), storeRoot);
    }

    /**
     * An actor system for a conductor: partition-hosting = sharded, {@code blobGc} after it, and provider cluster
     * (never joined): the conductor reads Cluster.get(system).selfMember() in its constructor, which a local
     * provider's system refuses.
     */
    static PartitionKit sharded(String name, String blobGc, Path storeRoot) {
        Config config = ConfigFactory.parseString("""
                pekko.actor.provider = cluster
                pekko.remote.artery.canonical.port = 0
                """).withFallback(CoordinatorTestKit.config("""
                partition-hosting = sharded
                """ + blobGc)).resolve();
        return new PartitionKit(name, config, storeRoot);
    }

    @Override
    public void close() {
        journal.resetPolicy();
        kit.shutdownTestKit();
        log.close();
    }

    // ---- the actor system

    <T> TestProbe<T> createTestProbe() {
        return kit.createTestProbe();
    }

    <T> ActorRef<T> spawn(Behavior<T> behavior) {
        return kit.spawn(behavior);
    }

    <T> void stop(ActorRef<T> ref) {
        kit.stop(ref);
    }

    ActorSystem<Void> system() {
        return kit.system();
    }

    // ---- entities and the conductor

    /** Entity {@code p} of {@link #partitioning}, with {@link #settings}, not spawned. */
    Behavior<ToCoordinator> behavior(int p) {
        return behavior(settings, p, partitioning);
    }

    Behavior<ToCoordinator> behavior(BlobGcSettings s, int p, Partitioning parts) {
        return conducted(Coordinator.create(s, store, Clock.systemUTC(), null, Timings.NONE,
                Hosting.partition(p, parts)));
    }

    /**
     * An entity as a conductor that took over would keep it: told a {@link Coordinator.KeepAlive} as it starts (an
     * entity takes over only once it got one).
     */
    static Behavior<ToCoordinator> conducted(Behavior<ToCoordinator> entity) {
        return Behaviors.setup(ctx -> {
            ctx.getSelf().tell(Coordinator.KeepAlive.INSTANCE);
            return entity;
        });
    }

    /** Entity {@code p}, spawned (not supervised, as under no test kit). */
    ActorRef<ToCoordinator> entity(int p) {
        return kit.spawn(behavior(p));
    }

    /** A conductor over {@link #entities} as they are, spawned (not waited for). */
    ActorRef<ToCoordinator> spawnConductor() {
        return kit.spawn(Conductor.create(settings, PartitionPeers.local(entities, kit.system().scheduler()),
                Clock.systemUTC()));
    }

    /**
     * An entity for every partition not in {@link #entities} yet, and a conductor over them, which answered a summary
     * (so it took over).
     */
    ActorRef<ToCoordinator> conductor() {
        for (int p = 0; p < partitioning.count(); p++) entities.putIfAbsent(p, entity(p));
        ActorRef<ToCoordinator> c = spawnConductor();
        TestProbe<Coordinator.Summary> summary = kit.createTestProbe();
        c.tell(new Coordinator.GetSummary(summary.getRef()));
        summary.expectMessageClass(Coordinator.Summary.class, SHORT);
        return c;
    }

    // ---- journals and hashes

    static String pid(int p) {
        return "blob-gc-partition|" + p;
    }

    /** What entity {@code p} wrote to its journal. */
    List<Object> written(int p) {
        return journal.persistedInStorage(pid(p));
    }

    /** A hash partition {@code p} of {@code parts} owns. */
    static BlobHash in(Partitioning parts, int p, String name) {
        for (int i = 0; ; i++) {
            BlobHash h = BlobHash.sha256(content(p, name, i));
            if (parts.partitionOf(h) == p) return h;
        }
    }

    /** A hash partition {@code p} owns. */
    BlobHash in(int p, String name) {
        return in(partitioning, p, name);
    }

    /** A hash partition {@code p} owns, its content in the store. */
    BlobHash stored(int p, String name) throws IOException {
        for (int i = 0; ; i++) {
            byte[] content = content(p, name, i);
            BlobHash h = BlobHash.sha256(content);
            if (partitioning.partitionOf(h) != p) continue;
            store.put(h, content);
            return h;
        }
    }

    private static byte[] content(int p, String name, int i) {
        return (name + "/" + p + "/" + i).getBytes(StandardCharsets.UTF_8);
    }

    // ---- answers

    /** It answers a summary (so it took over and is running). */
    void assertAlive(ActorRef<ToCoordinator> c) {
        TestProbe<Coordinator.Summary> summary = kit.createTestProbe();
        c.tell(new Coordinator.GetSummary(summary.getRef()));
        answered(summary, Coordinator.Summary.class, c);
    }

    /**
     * The answer {@code probe} gets within {@link #SHORT}; else a failure saying whether {@code c} stopped, what was
     * logged as errors, and what the entities wrote.
     */
    <T> T answered(TestProbe<T> probe, Class<T> type, ActorRef<ToCoordinator> c) {
        try {
            return probe.expectMessageClass(type, SHORT);
        } catch (AssertionError noAnswer) {
            boolean stopped;
            try {
                kit.createTestProbe().expectTerminated(c, Duration.ofMillis(500));
                stopped = true;
            } catch (AssertionError running) {
                stopped = false;
            }
            throw new AssertionError("no " + type.getSimpleName() + " within " + SHORT + "; the actor " + c.path() + " "
                    + (stopped ? "STOPPED" : "is still running") + "; errors logged: " + errors()
                    + "; journals " + IntStream.range(0, partitioning.count()).boxed()
                    .collect(Collectors.toMap(PartitionKit::pid, this::written)), noAnswer);
        }
    }

    /** What was logged as an error or with an exception, with the exception's class and message. */
    List<String> errors() {
        return log.events().stream().filter(e -> e.getLevel() == ch.qos.logback.classic.Level.ERROR
                        || e.getThrowableProxy() != null)
                .map(e -> e.getFormattedMessage() + (e.getThrowableProxy() == null ? ""
                        : " [" + e.getThrowableProxy().getClassName() + ": " + e.getThrowableProxy().getMessage() + "]"))
                .toList();
    }
}
