package io.blobgc;

import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Cluster members as ActorSystems of one JVM, on one journal and store under a directory of the test's own
 * ({@link TestNodes#config}): started joining a seed, stopped one at a time after each test, the directory then
 * deleted. A JUnit extension: {@code @RegisterExtension final InJvmCluster cluster = new InJvmCluster();}.
 */
public final class InJvmCluster implements BeforeEachCallback, AfterEachCallback, AutoCloseable {

    private Path dir;
    private final List<ActorSystem<Void>> systems = new ArrayList<>();

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        dir = Files.createTempDirectory("blobgc-cluster");
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
        }
    }

    /** A member with {@code extraConfig} on top of the test nodes' config, joining {@code seed} (itself: null). */
    public ActorSystem<Void> start(ActorSystem<Void> seed, String extraConfig) {
        ActorSystem<Void> s = ActorSystem.create(Behaviors.empty(), "blobgc", TestNodes.config(dir, extraConfig));
        Cluster c = Cluster.get(s);
        c.manager().tell(Join.create(seed == null ? c.selfMember().address() : Cluster.get(seed).selfMember().address()));
        systems.add(s);
        return s;
    }

    /** Waits until {@code member} sees {@code count} members Up. */
    public static void awaitUp(ActorSystem<?> member, int count, Duration wait) {
        TestProbe.create(member).awaitAssert(wait, () -> {
            long up = StreamSupport.stream(Cluster.get(member).state().getMembers().spliterator(), false)
                    .filter(m -> m.status() == MemberStatus.up()).count();
            assertEquals(count, up);
            return null;
        });
    }

    /** Stops {@code member} now and waits for it: not stopped again at {@link #close}. */
    public void stop(ActorSystem<Void> member) throws Exception {
        systems.removeIf(s -> s == member); // by identity: systems of one name are equal
        member.terminate();
        member.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    /** The members started and not stopped, in the order they started. */
    public List<ActorSystem<Void>> members() {
        return List.copyOf(systems);
    }

    /** Stops every member left, one at a time. */
    @Override
    public void close() throws Exception {
        for (ActorSystem<Void> s : List.copyOf(systems)) stop(s);
    }
}
