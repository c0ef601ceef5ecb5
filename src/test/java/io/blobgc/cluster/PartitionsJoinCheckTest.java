package io.blobgc.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.blobgc.PartitionsJoinCheck;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Invalid;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.Valid$;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.Test;
import scala.jdk.javaapi.CollectionConverters;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A member configured with another {@code blob-gc.partitions} than the cluster's is refused at join, and at more than one
 * partition one with another {@code blob-gc.partition-hosting}.
 */
class PartitionsJoinCheckTest {

    private static Config member(int partitions, String seed) {
        return ConfigFactory.parseString("""
                        pekko.actor.provider = cluster
                        pekko.remote.artery.canonical.hostname = "127.0.0.1"
                        pekko.remote.artery.canonical.port = 0
                        pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
                        pekko.cluster.seed-nodes = [%s]
                        blob-gc.partitions = %d
                        """.formatted(seed == null ? "" : "\"" + seed + "\"", partitions))
                .withFallback(ConfigFactory.defaultReference()).resolve();
    }

    @Test
    void theCheckNamesBothNumbersAndLetsInAMemberWithoutBlobGc() {
        PartitionsJoinCheck check = new PartitionsJoinCheck();
        Config four = ConfigFactory.parseString("blob-gc.partitions = 4"), one = ConfigFactory.parseString("blob-gc.partitions = 1");
        Invalid refused = assertInstanceOf(Invalid.class, check.check(four, one));
        String message = String.join(" ", CollectionConverters.asJava(refused.errorMessages()));
        assertTrue(message.contains("blob-gc.partitions = 4 on the joining member, 1 in the cluster"), message);
        assertEquals(Valid$.MODULE$, check.check(four, ConfigFactory.parseString("blob-gc.partitions = 4")));
        assertEquals(Valid$.MODULE$, check.check(ConfigFactory.empty(), one), "a member without blob-gc");
    }

    @Test
    void anyOtherNumberIsRefusedAndAMissingKeyLetIn() {
        PartitionsJoinCheck check = new PartitionsJoinCheck();
        Invalid refused = assertInstanceOf(Invalid.class, check.check(config("partitions = 2"), config("partitions = 4")));
        assertEquals(List.of("blob-gc.partitions = 2 on the joining member, 4 in the cluster: every member of a blob-gc "
                + "cluster must have the same number of partitions (it is fixed for the journal's life)"), messages(refused));
        assertEquals(Valid$.MODULE$, check.check(config("partitions = 2"), config("partitions = 2")));
        assertEquals(Valid$.MODULE$, check.check(config("partition-hosting = sharded"), config("partitions = 4")),
                "no number on the joining member");
    }

    @Test
    void atMoreThanOnePartitionAnotherHostingIsRefusedNamingBoth() {
        PartitionsJoinCheck check = new PartitionsJoinCheck();
        Invalid refused = assertInstanceOf(Invalid.class, check.check(
                config("partitions = 4, partition-hosting = sharded"), config("partitions = 4, partition-hosting = coordinator")));
        assertEquals(List.of("blob-gc.partition-hosting = sharded on the joining member, coordinator in the cluster: "
                + "every member of a blob-gc cluster with more than one partition must host them the same way (it is "
                + "fixed for the journal's life)"), messages(refused));
        assertEquals(Valid$.MODULE$, check.check(config("partitions = 4, partition-hosting = sharded"),
                config("partitions = 4, partition-hosting = sharded")));
        assertEquals(Valid$.MODULE$, check.check(config("partitions = 4"), config("partitions = 4, partition-hosting = "
                + "sharded")), "a member from before the hosting was a setting");
        assertEquals(Valid$.MODULE$, check.check(config("partitions = 4, partition-hosting = auto"),
                config("partitions = 4, partition-hosting = sharded")), "auto is sharded in a cluster");
        assertEquals(Valid$.MODULE$, check.check(config("partitions = 4, partition-hosting = sharded"),
                config("partitions = 4, partition-hosting = auto")), "both ways");
        assertEquals(List.of("blob-gc.partition-hosting = auto on the joining member, coordinator in the cluster: "
                        + "every member of a blob-gc cluster with more than one partition must host them the same way "
                        + "(it is fixed for the journal's life)"),
                messages(assertInstanceOf(Invalid.class, check.check(config("partitions = 4, partition-hosting = auto"),
                        config("partitions = 4, partition-hosting = coordinator")))));
        assertEquals(Valid$.MODULE$, check.check(config("partitions = 1, partition-hosting = sharded"),
                config("partitions = 1, partition-hosting = coordinator")), "one partition ignores the hosting");
        assertEquals(List.of("blob-gc.partition-hosting", "blob-gc.partitions").stream().sorted().toList(),
                CollectionConverters.asJava(check.requiredKeys()).stream().sorted().toList());
    }

    private static Config config(String blobGc) {
        return ConfigFactory.parseString("blob-gc { " + blobGc + " }");
    }

    private static List<String> messages(Invalid refused) {
        return CollectionConverters.asJava(refused.errorMessages());
    }

    @Test
    void aMemberWithAnotherNumberOfPartitionsIsRefusedAndStops() throws Exception {
        ActorSystem<Void> first = ActorSystem.create(Behaviors.empty(), "blobgc", member(1, null));
        try {
            Cluster.get(first).manager().tell(Join.create(Cluster.get(first).selfMember().address()));
            String seed = Cluster.get(first).selfMember().address().toString();
            ActorSystem<Void> same = ActorSystem.create(Behaviors.empty(), "blobgc", member(1, seed));
            try {
                awaitMembers(first, 2); // the same number: it joins (the setup can join at all)
                ActorSystem<Void> other = ActorSystem.create(Behaviors.empty(), "blobgc", member(4, seed));
                other.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS); // refused: it shuts down
                assertEquals(2, upMembers(first), "the member with 4 partitions never joined");
            } finally {
                same.terminate();
                same.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
        } finally {
            first.terminate();
            first.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    private static long upMembers(ActorSystem<?> s) {
        return StreamSupport.stream(Cluster.get(s).state().getMembers().spliterator(), false)
                .filter(m -> m.status() == MemberStatus.up()).count();
    }

    private static void awaitMembers(ActorSystem<?> s, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (upMembers(s) < n) {
            assertTrue(System.nanoTime() < deadline, "no " + n + " members up");
            Thread.sleep(100);
        }
    }
}
