package io.blobgc.cluster;

import io.blobgc.BlobGc;
import io.blobgc.BlobHash;
import io.blobgc.TestNodes;
import io.blobgc.ledger.Registration;
import io.blobgc.node.ActiveSetSource;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Transport at scale: a node whose VM reports 100,000 active blobs (pull mode) sends them to a coordinator on
 * another ActorSystem over Artery as one FULL report in chunks of {@code max-report-chunk} (each under the frame
 * size), and the coordinator counts every one of them (registered, as uploads are, beforehand).
 */
class LargeFullReportTest {

    static final int COUNT = 100_000;

    /** The VM of the second node: 100,000 blobs in use. */
    public static final class LargeActiveSet implements ActiveSetSource {
        private static final Set<BlobHash> ACTIVE = new HashSet<>();

        static {
            for (int i = 0; i < COUNT; i++) ACTIVE.add(BlobHash.sha256(("large " + i).getBytes()));
        }

        @Override
        public Set<BlobHash> activeBlobs() {
            return ACTIVE;
        }
    }

    /**
     * The store of this test: a {@link FileBlobStore} that also holds the {@link #COUNT} generated blobs of
     * {@link LargeActiveSet} without a file each (writing 100,000 files takes CI's disk about 40 s; this test is about
     * the report, not the store, which the other tests use for real).
     */
    public static final class LargeStore extends FileStoreWrapper {
        public LargeStore(Path root) {
            super(root);
        }

        @Override
        public boolean exists(BlobHash hash) {
            return LargeActiveSet.ACTIVE.contains(hash) || files.exists(hash);
        }
    }

    @TempDir
    Path dir;

    @Test
    void aFullReportOf100kHashesArrivesInChunks() throws Exception {
        // only members with the role "vm" report: the coordinator's member has none and runs no reporter
        ActorSystem<Void> coordinatorNode = ActorSystem.create(Behaviors.empty(), "blobgc",
                TestNodes.config(dir.resolve("a"), """
                        blob-gc.node-role = vm
                        blob-gc.store.class = "io.blobgc.cluster.LargeFullReportTest$LargeStore"
                        """));
        ActorSystem<Void> vmNode = null;
        try {
            Cluster c = Cluster.get(coordinatorNode);
            c.manager().tell(Join.create(c.selfMember().address()));
            BlobGc gc = BlobGc.get(coordinatorNode);
            vmNode = ActorSystem.create(Behaviors.empty(), "blobgc", TestNodes.config(dir.resolve("b"), """
                    pekko.cluster.roles = [vm]
                    blob-gc.node-role = vm
                    blob-gc.reporter.active-set-source = "io.blobgc.cluster.LargeFullReportTest$LargeActiveSet"
                    blob-gc.heartbeat-interval = 1s
                    """));
            Cluster.get(vmNode).manager().tell(Join.create(c.selfMember().address()));
            TestProbe<Object> probe = TestProbe.create(coordinatorNode);
            probe.awaitAssert(Duration.ofSeconds(30), () -> {
                assertEquals(2, Cluster.get(coordinatorNode).state().members().size());
                return null;
            });
            // the VM's blobs were uploaded (written, then registered) before it uses them: a report never registers
            // anything, and a registration needs the content in the store (LargeStore holds it)
            List<BlobHash> all = List.copyOf(LargeActiveSet.ACTIVE);
            for (int i = 0; i < all.size(); i += gc.settings().maxReportChunk()) {
                List<Registration> batch = all.subList(i, Math.min(all.size(), i + gc.settings().maxReportChunk()))
                        .stream().map(Registration::of).toList();
                gc.register(batch).toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
            long t0 = System.nanoTime();
            BlobGc.get(vmNode);
            probe.awaitAssert(Duration.ofSeconds(60), () -> {
                var s = gc.summary().toCompletableFuture().get(10, TimeUnit.SECONDS);
                assertEquals(1, s.nodes().size(), "only the member with the role reports");
                assertEquals(COUNT, s.nodes().stream().mapToInt(n -> n.active()).max().orElse(0));
                assertEquals(COUNT, (long) s.counts().get("ACTIVE") + s.counts().get("UNREFERENCED"));
                return null;
            });
            System.out.printf("LargeFullReportTest: a FULL report of %d hashes (chunks of %d) applied %.1f s after the "
                    + "reporter started%n", COUNT, gc.settings().maxReportChunk(), (System.nanoTime() - t0) / 1e9);
        } finally {
            if (vmNode != null) {
                vmNode.terminate();
                vmNode.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
            coordinatorNode.terminate();
            coordinatorNode.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }
}
