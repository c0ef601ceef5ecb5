package io.blobgc.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import io.blobgc.BlobHash;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.Acquire;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import io.blobgc.protocol.ReporterProtocol.Register;
import io.blobgc.protocol.ReporterProtocol.Registered;
import io.blobgc.protocol.ReporterProtocol.Report;
import io.blobgc.protocol.ReporterProtocol.ReportAck;
import io.blobgc.protocol.ReporterProtocol.ReportRejected;
import io.blobgc.protocol.ReporterProtocol.ResendFull;
import io.blobgc.protocol.ReporterProtocol.ToReporter;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every message of the reporter protocol crosses the wire as jackson-cbor, round-trips, and keeps the fields it had
 * as {@code Coordinator}'s and {@code NodeReporter}'s records (issue 23 moved them: only their class names, the
 * manifests, changed).
 */
class ReporterProtocolSerializationTest {

    private static ActorTestKit kit;

    @BeforeAll
    static void start() {
        kit = ActorTestKit.create("ReporterProtocolSerializationTest");
    }

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    @Test
    void everyMessageRoundTripsAsJacksonCborWithItsFields() throws Exception {
        BlobHash h = BlobHash.sha256(new byte[] {1});
        BlobHash g = BlobHash.sha256(new byte[] {2});
        var toReporter = kit.<ToReporter>createTestProbe().getRef();
        var acquired = kit.<AcquireReply>createTestProbe().getRef();
        var registered = kit.<Registered>createTestProbe().getRef();
        check(new Report(NodeReport.full("n1", 3, 7, List.of(h), List.of(g)), toReporter), "report", "replyTo");
        check(new Acquire("n1", 3, 7, h, acquired), "node", "incarnation", "afterSeq", "hash", "replyTo");
        check(new Register(List.of(new Registration(h, List.of(g))), registered), "registrations", "replyTo");
        check(new AcquireReply(h, AcquireResult.GONE, List.of(g), "gone"), "hash", "result", "gone", "message");
        check(new Registered(List.of(h), List.of(g), List.of(g), List.of(), List.of(g)), "accepted", "rejected",
                "noContent", "retry", "goneCallees");
        check(new ReportAck(3, 7), "incarnation", "seq");
        check(new ResendFull(Long.MIN_VALUE, Long.MIN_VALUE, "warm-up"), "incarnation", "seq", "reason");
        check(new ReportRejected(3, 7, "STALE"), "incarnation", "seq", "reason");
        check(new ReporterProtocol.Heartbeat(NodeReport.delta("n1", 3, 8, List.of(), List.of(), List.of(), List.of()),
                List.of(0, 5), toReporter), "report", "skip", "replyTo");
        check(new ReporterProtocol.PartitionsHosted(3, 8, List.of(1, 4)), "incarnation", "seq", "partitions");
    }

    /**
     * {@code NodeReport.settled} is additive (partitions.md §1): a report serialized before the field existed — every
     * node's — reads as settled, and a provisional one keeps its flag across the wire.
     */
    @Test
    void aNodeReportWithoutSettledReadsAsSettledAndAProvisionalOneStaysProvisional() throws Exception {
        BlobHash h = BlobHash.sha256(new byte[] {1});
        Serialization serialization = SerializationExtension.get(kit.system().classicSystem());
        NodeReport provisional = NodeReport.full("partition:1", 3, 7, List.of(h), List.of()).provisional();
        Serializer serializer = serialization.findSerializerFor(provisional);
        String manifest = Serializers.manifestFor(serializer, provisional);
        byte[] bytes = serialization.serialize(provisional).get();
        NodeReport back = (NodeReport) serialization.deserialize(bytes, serializer.identifier(), manifest).get();
        assertEquals(provisional, back);
        assertFalse(back.settled());
        // the same report as an older sender wrote it: no settled field
        ObjectMapper cbor = new ObjectMapper(new CBORFactory());
        ObjectNode tree = (ObjectNode) cbor.readTree(bytes);
        assertTrue(tree.has("settled"));
        tree.remove("settled");
        NodeReport old = (NodeReport) serialization.deserialize(cbor.writeValueAsBytes(tree), serializer.identifier(),
                manifest).get();
        assertTrue(old.settled());
        assertEquals(NodeReport.full("partition:1", 3, 7, List.of(h), List.of()), old);
    }

    /**
     * An export between linked partition entities carries the FULLs its sender had fenced, by node
     * (partitions-part2-plan §8): they round-trip with the export.
     */
    @Test
    void aPartitionExportRoundTripsWithTheFullsItsSenderFenced() throws Exception {
        BlobHash h = BlobHash.sha256(new byte[] {1});
        check(new io.blobgc.coordinator.Coordinator.PartitionExport(1, 0, 2,
                NodeReport.delta("partition:1", 3, 7, List.of(h), List.of(), List.of(), List.of()),
                java.util.Map.of("n1", new io.blobgc.ledger.FencedFull(3, 17)), 5L), "from", "to", "echo", "report",
                "fenced", "contentStamp", "cut");
    }

    /**
     * An export carries its sender's part of the settle round's cut (partitions-part2-plan §10, tier 2); one written
     * by an older sender, without it, reads as having none.
     */
    @Test
    void aPartitionExportRoundTripsWithItsCutAndWithoutOneReadsAsNone() throws Exception {
        BlobHash h = BlobHash.sha256(new byte[] {1});
        var export = new io.blobgc.coordinator.Coordinator.PartitionExport(1, 0, 2,
                NodeReport.delta("partition:1", 3, 7, List.of(h), List.of(), List.of(), List.of()), null, 5L,
                new io.blobgc.ledger.Cut(4, 2, true, List.of(h)));
        check(export, "from", "to", "echo", "report", "fenced", "contentStamp", "cut");
        check(export.cut(), "id", "seq", "base", "added");
        var old = (io.blobgc.coordinator.Coordinator.PartitionExport) withoutFields(export, "cut");
        assertEquals(new io.blobgc.coordinator.Coordinator.PartitionExport(1, 0, 2, export.report(), null, 5L),
                old);
        assertEquals(null, old.cut());
    }

    /**
     * A settle status carries the cut's marks (partitions-part2-plan §10, tier 2): additive, so that one written by
     * an older partition, without them, reads as on no cut.
     */
    @Test
    void aSettleStatusRoundTripsWithItsCutMarksAndWithoutThemReadsAsNoCut() throws Exception {
        var sent = java.util.Map.of(0, new io.blobgc.ledger.SettleStatus.ReportId(3, 7));
        var applied = java.util.Map.of(0, new io.blobgc.ledger.SettleStatus.ReportId(2, 5));
        var status = new io.blobgc.ledger.SettleStatus(1, 3, true, true, sent, applied, false, 9,
                java.util.Map.of(0, 2L), java.util.Map.of(0, 1L), true);
        check(status, "partition", "generation", "warming", "haveAllInputs", "sent", "applied", "dirty", "cut",
                "cutSent", "cutApplied", "cutDirty");
        var old = (io.blobgc.ledger.SettleStatus) withoutFields(status, "cut", "cutSent", "cutApplied", "cutDirty");
        assertEquals(new io.blobgc.ledger.SettleStatus(1, 3, true, true, sent, applied, false), old);
        assertEquals(0, old.cut());
        assertEquals(0, old.cutSentTo(0));
        assertFalse(old.cutDirty());
    }

    /** {@code message} serialized, {@code fields} removed from it (as an older sender wrote it), and read back. */
    private static Object withoutFields(Object message, String... fields) throws Exception {
        Serialization serialization = SerializationExtension.get(kit.system().classicSystem());
        Serializer serializer = serialization.findSerializerFor(message);
        String manifest = Serializers.manifestFor(serializer, message);
        ObjectMapper cbor = new ObjectMapper(new CBORFactory());
        ObjectNode tree = (ObjectNode) cbor.readTree(serialization.serialize(message).get());
        for (String f : fields) {
            assertTrue(tree.has(f), f);
            tree.remove(f);
        }
        return serialization.deserialize(cbor.writeValueAsBytes(tree), serializer.identifier(), manifest).get();
    }

    /**
     * An export carries its sender's content stamp (partitions-part2-plan §10, tier 1); one written by an older
     * sender, without it, reads as having none (null: its target judges the content itself).
     */
    @Test
    void aPartitionExportWithoutAContentStampReadsAsHavingNone() throws Exception {
        BlobHash h = BlobHash.sha256(new byte[] {1});
        var export = new io.blobgc.coordinator.Coordinator.PartitionExport(1, 0, 2,
                NodeReport.delta("partition:1", 3, 7, List.of(h), List.of(), List.of(), List.of()), null, 5L);
        Serialization serialization = SerializationExtension.get(kit.system().classicSystem());
        Serializer serializer = serialization.findSerializerFor(export);
        String manifest = Serializers.manifestFor(serializer, export);
        ObjectMapper cbor = new ObjectMapper(new CBORFactory());
        ObjectNode tree = (ObjectNode) cbor.readTree(serialization.serialize(export).get());
        assertTrue(tree.has("contentStamp"));
        tree.remove("contentStamp");
        var old = (io.blobgc.coordinator.Coordinator.PartitionExport) serialization.deserialize(
                cbor.writeValueAsBytes(tree), serializer.identifier(), manifest).get();
        assertEquals(new io.blobgc.coordinator.Coordinator.PartitionExport(1, 0, 2, export.report(), null), old);
        assertEquals(null, old.contentStamp());
    }

    private static void check(Object message, String... fields) throws Exception {
        Serialization serialization = SerializationExtension.get(kit.system().classicSystem());
        Serializer serializer = serialization.findSerializerFor(message);
        assertEquals("JacksonCborSerializer", serializer.getClass().getSimpleName(),
                message.getClass().getSimpleName());
        byte[] bytes = serialization.serialize(message).get();
        String manifest = Serializers.manifestFor(serializer, message);
        assertEquals(message.getClass().getName(), manifest);
        assertEquals(message, serialization.deserialize(bytes, serializer.identifier(), manifest).get());
        JsonNode tree = new ObjectMapper(new CBORFactory()).readTree(bytes);
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = tree.fieldNames(); it.hasNext(); ) names.add(it.next());
        assertEquals(List.of(fields), names, message.getClass().getSimpleName() + "'s fields");
    }
}
