package io.blobgc.coordinator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import io.blobgc.BlobHash;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.Partitioning;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.Registered;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review 31b (adversarial, of 7fd212c: {@code Registered.goneCallees}): what held. Each test names the mutation it
 * catches.
 */
class Review31bHeldTest {

    static final long NOW = Review31bTest.NOW;

    static BlobHash h(String s) {
        return BlobHash.sha256(s.getBytes());
    }

    /** A hash of {@code partition} of {@code pt}. */
    static BlobHash in(Partitioning pt, int partition, String name) {
        for (int i = 0; ; i++) {
            BlobHash x = h(name + "#" + i);
            if (pt.partitionOf(x) == partition) return x;
        }
    }

    /** {@code regs} registered, then {@code gone} collected (DELETING only for {@code deleting}), per partition. */
    static void seed(PartitionedLedger l, Partitioning pt, List<Registration> regs, List<BlobHash> gone,
                     List<BlobHash> deleting) {
        CoordinatorCore.apply(l, new Coordinator.BlobsRegistered(regs));
        List<BlobHash> all = new ArrayList<>(gone);
        all.addAll(deleting);
        for (int p = 0; p < pt.count(); p++) {
            int q = p;
            List<BlobHash> mine = all.stream().filter(x -> pt.partitionOf(x) == q && l.ownsHash(x)).toList();
            if (mine.isEmpty()) continue;
            List<CycleOutcome.MarkedBlob> marked = mine.stream().map(x -> new CycleOutcome.MarkedBlob(x, NOW)).toList();
            CoordinatorCore.apply(l, new Coordinator.CycleCompleted(new CycleOutcome(1, NOW, false, false, false, mine,
                    List.of(), List.of(), List.of(), marked, List.of(), List.of(), List.of(), List.of(), 0), p));
            CoordinatorCore.apply(l, new Coordinator.DeletionStarted(mine, NOW));
            List<BlobHash> collected = mine.stream().filter(gone::contains).toList();
            if (!collected.isEmpty()) CoordinatorCore.apply(l, new Coordinator.BlobsCollected(collected, NOW, 0));
        }
    }

    static CoordinatorCore.Decision<Registered> decide(PartitionedLedger l, List<Registration> batch) {
        CoordinatorCore core = new CoordinatorCore(false);
        core.recovered(l, null, NOW);
        return core.register(l, batch, x -> true, NOW);
    }

    /**
     * Safety: the names change nothing written. A batch of a → c (c collected) and z → y (live): the events are the
     * accepted z alone, a refused, c named. Catches: accepting a caller whose gone callee was named (e.g. the
     * {@code rejected.add} moved under {@code goneCallees.addAll(...).isEmpty()}), or naming a live callee.
     */
    @Test
    void theNamesChangeNeitherTheRefusalNorWhatIsWritten() {
        Partitioning pt = Partitioning.of(1);
        PartitionedLedger l = new PartitionedLedger(LedgerSettings.DEFAULTS);
        BlobHash c = h("c"), y = h("y"), a = h("a"), z = h("z");
        seed(l, pt, List.of(Registration.of(c), Registration.of(y)), List.of(c), List.of());
        var d = decide(l, List.of(new Registration(a, List.of(c)), new Registration(z, List.of(y))));
        Registered r = d.reply().apply(l);
        assertEquals(List.of(a), r.rejected());
        assertEquals(List.of(z), r.accepted());
        assertEquals(List.of(c), r.goneCallees());
        assertEquals(List.of(new Coordinator.BlobsRegistered(List.of(new Registration(z, List.of(y))))), d.events());
    }

    /**
     * P = 1: an unknown callee names itself; a DELETING one names itself; a collected 2-cycle (c1 ⇄ c2) below a live
     * callee names both, once, and ends; a callee in the same batch is not named (its own gone callee is). Catches:
     * goneBelow's unknown case removed (ledger.goneInClosure answers [] for unknown), DELETING left out of the gone
     * statuses, in-batch callees walked.
     */
    @Test
    void unknownDeletingCyclicAndInBatchCallees() {
        Partitioning pt = Partitioning.of(1);
        PartitionedLedger l = new PartitionedLedger(LedgerSettings.DEFAULTS);
        BlobHash never = h("never"), del = h("del"), c1 = h("c1"), c2 = h("c2"), live = h("live"), g = h("g");
        seed(l, pt, List.of(Registration.of(del), new Registration(c1, List.of(c2)), new Registration(c2, List.of(c1)),
                new Registration(live, List.of(c1)), Registration.of(g)), List.of(c1, c2, g), List.of(del));
        assertEquals(BlobStatus.DELETING, l.status(del).orElseThrow());
        BlobHash a1 = h("a1"), a2 = h("a2"), a3 = h("a3"), m = h("m"), a4 = h("a4");
        Registered r = decide(l, List.of(new Registration(a1, List.of(never)), new Registration(a2, List.of(del)),
                new Registration(a3, List.of(live)), new Registration(m, List.of(g)),
                new Registration(a4, List.of(m)))).reply().apply(l);
        assertEquals(Set.of(a1, a2, a3, m, a4), Set.copyOf(r.rejected()));
        assertEquals(Set.of(never, del, c1, c2, g), Set.copyOf(r.goneCallees()));
        assertEquals(r.goneCallees().size(), Set.copyOf(r.goneCallees()).size(), "each once");
    }

    /**
     * P = 4 hosted in one ledger (the coordinator hosting every partition): a(0) → b(1) → c(2) → d(3), d collected:
     * a's refusal names d, across partitions, without a crash. Catches: goneBelow using localGoneInClosure when not
     * linked (names nothing), or ownsHash inverted.
     */
    @Test
    void fourPartitionsInOneLedgerNameTheGoneBlobAcrossPartitions() {
        Partitioning pt = Partitioning.of(4);
        PartitionedLedger l = new PartitionedLedger(LedgerSettings.DEFAULTS, 16, pt);
        BlobHash a = in(pt, 0, "a"), b = in(pt, 1, "b"), c = in(pt, 2, "c"), d = in(pt, 3, "d");
        seed(l, pt, List.of(Registration.of(d), new Registration(c, List.of(d)), new Registration(b, List.of(c))),
                List.of(d), List.of());
        Registered r = decide(l, List.of(new Registration(a, List.of(b)))).reply().apply(l);
        assertEquals(List.of(a), r.rejected());
        assertEquals(List.of(d), r.goneCallees());
        BlobHash u = in(pt, 2, "unknown");
        Registered r2 = decide(l, List.of(new Registration(a, List.of(u)))).reply().apply(l);
        assertEquals(List.of(u), r2.goneCallees());
    }

    /**
     * An isolated partition entity's ledger (hosts partition 0 alone, not linked): a callee of partition 1 refuses
     * the registration (elsewhere) and names nothing, no crash; a local unknown callee names itself. Catches:
     * goneBelow asking status/closure of a partition not hosted (IllegalArgument/IllegalState).
     */
    @Test
    void anIsolatedPartitionNamesOnlyWhatItHosts() {
        Partitioning pt = Partitioning.of(4);
        PartitionedLedger l = PartitionedLedger.hosting(LedgerSettings.DEFAULTS, 16, pt, 0);
        BlobHash a = in(pt, 0, "a"), remote = in(pt, 1, "r"), local = in(pt, 0, "l");
        Registered r = decide(l, List.of(new Registration(a, List.of(remote)))).reply().apply(l);
        assertEquals(List.of(a), r.rejected());
        assertEquals(List.of(), r.goneCallees());
        Registered r2 = decide(l, List.of(new Registration(a, List.of(local)))).reply().apply(l);
        assertEquals(List.of(local), r2.goneCallees());
    }

    /** A too-large batch is refused whole, naming nothing, without walking. Catches: the names computed before the cap. */
    @Test
    void aTooLargeBatchNamesNothing() {
        PartitionedLedger l = new PartitionedLedger(LedgerSettings.DEFAULTS);
        List<BlobHash> deps = new ArrayList<>();
        for (int i = 0; i <= CoordinatorCore.MAX_REGISTRATION_ITEMS; i++) deps.add(h("d" + i));
        Registered r = decide(l, List.of(new Registration(h("a"), deps))).reply().apply(l);
        assertEquals(List.of(h("a")), r.rejected());
        assertEquals(List.of(), r.goneCallees());
    }

    /** The conductor's merge keeps every level's names, each once. Catches: merge dropping r.goneCallees(). */
    @Test
    void theLevelsMergeTheNames() {
        BlobHash x = h("x"), y = h("y"), g = h("g"), k = h("k");
        Registered before = new Registered(List.of(), List.of(x), List.of(), List.of(), List.of(g));
        Map<Integer, Registered> answers = new LinkedHashMap<>();
        answers.put(1, new Registered(List.of(), List.of(y), List.of(), List.of(), List.of(g, k)));
        Registered m = RegistrationLevels.merge(before, answers, List.of(), Map.of());
        assertEquals(List.of(g, k), m.goneCallees());
    }

    /**
     * Compatibility: an old node's CBOR Registered (no goneCallees; also no retry) decodes with goneCallees = [], and a
     * field this node does not know is ignored (what an old node does with the new one). Catches: the compact
     * constructor's null default removed, FAIL_ON_UNKNOWN_PROPERTIES on.
     */
    @Test
    void anOldNodesRegisteredDecodesAndANewFieldIsIgnored() throws Exception {
        ActorTestKit kit = ActorTestKit.create("Review31bHeld");
        try {
            Serialization s = SerializationExtension.get(kit.system().classicSystem());
            Registered sample = new Registered(List.of(h("a")), List.of(h("b")), List.of(), List.of(), List.of(h("g")));
            Serializer ser = s.findSerializerFor(sample);
            String manifest = Serializers.manifestFor(ser, sample);
            ObjectMapper cbor = new ObjectMapper(new CBORFactory());
            ObjectNode tree = (ObjectNode) cbor.readTree(s.serialize(sample).get());
            ObjectNode old = tree.deepCopy();
            old.remove("goneCallees");
            old.remove("retry");
            Registered fromOld = (Registered) s.deserialize(cbor.writeValueAsBytes(old), ser.identifier(), manifest).get();
            assertEquals(List.of(), fromOld.goneCallees());
            assertEquals(List.of(), fromOld.retry());
            assertEquals(sample.accepted(), fromOld.accepted());
            ObjectNode future = tree.deepCopy();
            future.putArray("somethingNewer").add("x");
            Registered fromNew = (Registered) s.deserialize(cbor.writeValueAsBytes(future), ser.identifier(), manifest)
                    .get();
            assertEquals(sample, fromNew);
        } finally {
            kit.shutdownTestKit();
        }
    }

    /** An accepted registration names nothing. Catches: goneBelow called for callees with content. */
    @Test
    void anAcceptedRegistrationNamesNothing() {
        Partitioning pt = Partitioning.of(1);
        PartitionedLedger l = new PartitionedLedger(LedgerSettings.DEFAULTS);
        BlobHash c = h("c"), a = h("a");
        seed(l, pt, List.of(Registration.of(c)), List.of(), List.of());
        Registered r = decide(l, List.of(new Registration(a, List.of(c)))).reply().apply(l);
        assertEquals(List.of(a), r.accepted());
        assertTrue(r.goneCallees().isEmpty());
    }
}
