package io.blobgc.coordinator;

import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.Partitioning;
import io.blobgc.store.BlobStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Review of S1.2: what was tried against the entity's orphan walk (Deletions.walkStart/walkEnd) and held. These pass
 * on main at e125ed3; they are kept as evidence, not as failures.
 */
class PartitionEntityReviewHeldTest {

    private static final BlobGcSettings SETTINGS = BlobGcSettings.from(CoordinatorTestKit.config("partitions = 4"));
    private static final long NOW = 10_000_000_000L;

    /** The store of a test that runs an actor system. */
    @TempDir
    Path storeRoot;

    /** Every hash at a boundary of every range, and one inside, old enough: each entity condemns exactly its own. */
    @Test
    void eachEntityCondemnsExactlyItsRangeIncludingBothEndsOnePageOrOneEntryAtATime() {
        for (int P : new int[]{1, 2, 4, 256}) {
            Partitioning parts = Partitioning.of(P);
            List<BlobHash> all = new ArrayList<>();
            for (int q = 0; q < P; q++) {
                all.add(parts.lowest(q));
                all.add(new BlobHash(parts.lowest(q).w0() + 1, 7, 7, 7));
                all.add(parts.highest(q));
            }
            for (int p : new int[]{0, P / 2, P - 1}) {
                for (int pageSize : new int[]{1, 2, 1000}) {
                    List<BlobHash> condemned = walkOnePass(parts, p, all, pageSize);
                    List<BlobHash> expected = all.stream().filter(h -> parts.partitionOf(h) == p).toList();
                    assertEquals(expected, condemned, "P " + P + ", entity " + p + ", pages of " + pageSize);
                }
            }
        }
    }

    /** A range with nothing in the store (others full): the pass ends at once and starts again at the range. */
    @Test
    void anEmptyRangeEndsItsPassAndWrapsToItsStart() {
        Partitioning four = Partitioning.of(4);
        List<BlobHash> others = List.of(four.lowest(3), four.highest(3), four.highest(0));
        PartitionedLedger l = PartitionedLedger.hosting(SETTINGS.ledger(), 64, four, 2);
        CoordinatorCore core = new CoordinatorCore(false);
        core.recovered(l, null, 0);
        assertEquals(four.highest(1), core.orphanScanAfter());
        var d = core.storePage(l, core.orphanScanAfter(), entries(List.of(four.lowest(3), four.highest(3))), false,
                false, NOW, 0);
        assertEquals(List.of(), d.reply().apply(l));
        assertEquals(four.highest(1), core.orphanScanAfter());
        assertEquals(3, others.size());
    }

    /**
     * A reporter's FULL report and delta naming hashes of every partition, a chunked FULL, and a GetBlob of another
     * partition's hash, sent to entity 2: applied (each counted as applied, the first chunk as buffered; a partition
     * entity acks no report, and neither asks for a FULL nor rejects these), answered (BlobReply with no info), and
     * the entity lives on.
     */
    @Test
    void reportsAndQueriesNamingOtherPartitionsHashesAreAnswered() {
        try (PartitionKit kit = PartitionKit.local("Held1", "partitions = 4", storeRoot)) {
            var entity = kit.entity(2);
            // taken over first: an entity drops the reports that come before its takeover (the conductor's keep-alive
            // the kit sends it as it starts can come after the reports sent right after the spawn), and a summary is
            // answered only after it
            var first = kit.<Coordinator.Summary>createTestProbe();
            entity.tell(new Coordinator.GetSummary(first.getRef()));
            first.receiveMessage();
            Partitioning four = Partitioning.of(4);
            List<BlobHash> every = List.of(four.lowest(0), four.highest(1), four.lowest(2), four.highest(3));
            var acks = kit.<io.blobgc.protocol.ReporterProtocol.ToReporter>createTestProbe();
            entity.tell(new io.blobgc.protocol.ReporterProtocol.Report(
                    io.blobgc.ledger.NodeReport.full("n1", 1, 1, every, every), acks.getRef()));
            entity.tell(new io.blobgc.protocol.ReporterProtocol.Report(io.blobgc.ledger.NodeReport.delta("n1", 1, 2,
                    List.of(four.highest(0)), every, List.of(four.lowest(3)), every), acks.getRef()));
            entity.tell(new io.blobgc.protocol.ReporterProtocol.Report(new io.blobgc.ledger.NodeReport("n1", 1, 3,
                    io.blobgc.ledger.NodeReport.Kind.FULL, List.of(four.lowest(0)), List.of(), List.of(), List.of(),
                    0, 2, false), acks.getRef()));
            entity.tell(new io.blobgc.protocol.ReporterProtocol.Report(new io.blobgc.ledger.NodeReport("n1", 1, 3,
                    io.blobgc.ledger.NodeReport.Kind.FULL, List.of(four.lowest(2)), List.of(), List.of(four.lowest(1)),
                    List.of(), 1, 2, false), acks.getRef()));
            var summary = kit.<Coordinator.Summary>createTestProbe();
            entity.tell(new Coordinator.GetSummary(summary.getRef()));
            var outcomes = summary.receiveMessage().reportOutcomes();
            assertEquals(3L, outcomes.get("APPLIED"), outcomes.toString());
            assertEquals(1L, outcomes.get("CHUNK_BUFFERED"), outcomes.toString());
            acks.expectNoMessage(java.time.Duration.ofMillis(100));
            var blob = kit.<Coordinator.BlobReply>createTestProbe();
            entity.tell(new Coordinator.GetBlob(four.lowest(0), blob.getRef()));
            assertEquals(null, blob.receiveMessage().info());
            var cycled = kit.<Coordinator.PartitionCycled>createTestProbe();
            entity.tell(new Coordinator.RunPartitionCycle(3, false, cycled.getRef()));
            assertEquals(3, cycled.receiveMessage().outcome().cycle());
        }
    }

    /**
     * Entity 2's snapshot (which records P = 4, partition 2) put in entity 3's snapshot store: entity 3 restores it
     * (PartitionedLedger.hostingFromSnapshot of partition 2) and refuses it before any write; so does an entity of
     * partition 2 of 8.
     */
    @Test
    void anotherPartitionsSnapshotIsRefusedBeforeAnyWrite() {
        try (PartitionKit kit = PartitionKit.local("Held2", "partitions = 4", storeRoot)) {
            var journal = kit.journal;
            var snapshots = org.apache.pekko.persistence.testkit.javadsl.SnapshotTestKit.create(kit.system());
            var settings = BlobGcSettings.from(CoordinatorTestKit.config("partitions = 4\ncoordinator.snapshot-every = 1"));
            var two = kit.spawn(kit.behavior(settings, 2, Partitioning.of(4)));
            var cycled = kit.<Coordinator.PartitionCycled>createTestProbe();
            two.tell(new Coordinator.RunPartitionCycle(7, false, cycled.getRef()));
            cycled.receiveMessage();
            two.tell(Coordinator.PartitionStop.INSTANCE);
            cycled.expectTerminated(two);
            var saved = snapshots.persistedInStorage("blob-gc-partition|2");
            var last = saved.get(saved.size() - 1);
            assertEquals(2, ((io.blobgc.ledger.LedgerSnapshot) last.second()).partition());
            for (var target : List.of(new int[]{3, 4}, new int[]{2, 8})) {
                String pid = "blob-gc-partition|" + target[0];
                if (target[1] == 8) { // partition 2 of 8 has the same persistence id: start it over
                    journal.clearByPersistenceId(pid);
                    snapshots.clearByPersistenceId(pid);
                }
                snapshots.persistForRecovery(pid, List.of(org.apache.pekko.japi.Pair.<org.apache.pekko.persistence.testkit.SnapshotMeta, Object>create(
                        new org.apache.pekko.persistence.testkit.SnapshotMeta(last.first().sequenceNr(), 0),
                        last.second())));
                var refused = kit.spawn(kit.behavior(settings, target[0], Partitioning.of(target[1])));
                var probe = kit.<Coordinator.Summary>createTestProbe();
                refused.tell(new Coordinator.GetSummary(probe.getRef()));
                probe.expectTerminated(refused, java.time.Duration.ofSeconds(10));
                assertEquals(List.of(), journal.persistedInStorage(pid), "nothing written by " + pid + " of " + target[1]);
            }
        }
    }

    /**
     * The takeover write held 1 s and then failed (StorageFailure) while a PartitionStop arrives: the stop is not
     * lost with the failed write — the entity ends.
     */
    @Test
    void aStopWhileTheTakeoverWriteFailsIsNotLost() throws InterruptedException {
        try (PartitionKit kit = PartitionKit.local("Held3", "partitions = 4", storeRoot)) {
            var journal = kit.journal;
            var writing = new java.util.concurrent.CountDownLatch(1);
            var failed = new java.util.concurrent.atomic.AtomicBoolean();
            journal.withPolicy((persistenceId, op) -> {
                if (persistenceId.equals("blob-gc-partition|2")
                        && op instanceof org.apache.pekko.persistence.testkit.WriteEvents
                        && failed.compareAndSet(false, true)) {
                    writing.countDown();
                    try {
                        Thread.sleep(1000); // deliberate, not a wait: the write is held 1 s, a slow journal
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return org.apache.pekko.persistence.testkit.StorageFailure.apply(
                            new RuntimeException("journal down (review test)"));
                }
                return org.apache.pekko.persistence.testkit.ProcessingSuccess$.MODULE$;
            });
            var entity = kit.entity(2);
            org.junit.jupiter.api.Assertions.assertTrue(writing.await(10, java.util.concurrent.TimeUnit.SECONDS));
            entity.tell(Coordinator.PartitionStop.INSTANCE);
            kit.createTestProbe().expectTerminated(entity, java.time.Duration.ofSeconds(10));
            journal.resetPolicy();
        }
    }

    /** One pass of entity {@code p}'s walk over a sorted store holding {@code all}, pages of {@code pageSize}. */
    private static List<BlobHash> walkOnePass(Partitioning parts, int p, List<BlobHash> all, int pageSize) {
        PartitionedLedger l = PartitionedLedger.hosting(SETTINGS.ledger(), 64, parts, p);
        CoordinatorCore core = new CoordinatorCore(false);
        core.recovered(l, null, 0);
        BlobHash start = core.orphanScanAfter();
        List<BlobHash> sorted = all.stream().sorted().toList();
        List<BlobHash> condemned = new ArrayList<>();
        for (int step = 0; step < 10_000; step++) {
            BlobHash after = core.orphanScanAfter();
            List<BlobHash> page = sorted.stream().filter(h -> after == null || h.compareTo(after) > 0)
                    .limit(pageSize).toList();
            boolean more = sorted.stream().filter(h -> after == null || h.compareTo(after) > 0).count() > pageSize;
            var d = core.storePage(l, after, entries(page), more, false, NOW, 0);
            List<BlobHash> named = d.reply().apply(l);
            for (var e : d.events()) CoordinatorCore.apply(l, e);
            condemned.addAll(named);
            if (java.util.Objects.equals(core.orphanScanAfter(), start)) return condemned;
        }
        throw new AssertionError("the pass never ended");
    }

    private static List<BlobStore.Entry> entries(List<BlobHash> hashes) {
        return hashes.stream().map(h -> new BlobStore.Entry(h, 0)).toList();
    }
}
