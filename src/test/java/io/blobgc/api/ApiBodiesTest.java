package io.blobgc.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.blobgc.BlobHash;
import io.blobgc.NodeIds;
import io.blobgc.coordinator.Coordinator;
import io.blobgc.ledger.BlobInfo;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.ledger.HistoryEntry;
import io.blobgc.ledger.NodeInfo;
import io.blobgc.ledger.Pin;
import io.blobgc.ledger.Ledger;
import io.blobgc.protocol.ReporterProtocol;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The records of {@code io.blobgc.api} write, byte for byte, what the admin API wrote before them (issue 23, step 5):
 * the journal types serialized directly (a cycle's outcome, the history), and the maps {@code AdminRoutes} built by
 * hand (the summary, a blob, the pins), kept here as they were. And the CLI reads them back into the same records.
 */
class ApiBodiesTest {

    /** What AdminRoutes wrote with. */
    private static final ObjectMapper OLD = new ObjectMapper();

    private static final BlobHash A = BlobHash.sha256(new byte[]{1});
    private static final BlobHash B = BlobHash.sha256(new byte[]{2});
    private static final String NODE = "pekko://blob-gc@10.0.0.1:25520#42";

    private static CycleOutcome outcome() {
        return new CycleOutcome(7, 1_700_000_000_000L, false, true, false, List.of(A), List.of(B), List.of(),
                List.of(A, B), List.of(new CycleOutcome.MarkedBlob(B, 1_699_000_000_000L)),
                List.of(new CycleOutcome.PinRef(A, "ops")), List.of(B), List.of(NODE), List.of(), 5L);
    }

    private static HistoryEntry entry() {
        return new HistoryEntry(7, 1_700_000_000_000L, true, false, true, 3, 2, List.of(A),
                List.of(new CycleOutcome.MarkedBlob(B, 1_699_000_000_000L)), List.of(NODE), List.of("n2"), 1, 4);
    }

    @Test
    void aCycleAndTheHistoryAsTheJournalTypesWereWritten() throws Exception {
        assertEquals(OLD.writeValueAsString(outcome()), ApiJson.MAPPER.writeValueAsString(CycleRun.from(outcome())));
        assertEquals(OLD.writeValueAsString(Map.of("cycles", List.of(entry(), entry()))),
                ApiJson.MAPPER.writeValueAsString(CyclesPage.from(List.of(entry(), entry()))));
        assertEquals(OLD.writeValueAsString(Map.of("cycles", List.of())),
                ApiJson.MAPPER.writeValueAsString(CyclesPage.from(List.of())));
    }

    @Test
    void theSummaryAsItWasBuiltByHand() throws Exception {
        Map<String, Long> counts = new LinkedHashMap<>();
        counts.put("ACTIVE", 3L);
        counts.put("MARKED_FOR_COLLECTION", 1L);
        for (HistoryEntry last : new HistoryEntry[]{entry(), null}) {
            Coordinator.Summary s = new Coordinator.Summary(9, NODE, true, List.of(NODE), false, counts,
                    List.of(new NodeInfo(NODE, NodeInfo.State.STALE, 1234, 5, 6, true, false)), last, 1.5, 10, 2048,
                    1, Map.of("ok", 1L), 2, 3, 4, 5, new Coordinator.SweeperStatus(12.5, 100, 3, true,
                    "java.io.IOException: down"));
            String json = ApiJson.MAPPER.writeValueAsString(SummaryBody.from(s));
            assertEquals(OLD.writeValueAsString(oldSummaryJson(s)), json);
            assertEquals(SummaryBody.from(s), ApiJson.read(ApiJson.MAPPER.readTree(json), SummaryBody.class));
        }
    }

    @Test
    void aBlobAndThePinsAsTheyWereBuiltByHand() throws Exception {
        BlobInfo i = new BlobInfo(A, BlobStatus.COLLECTED, 100L, 7L, 300L, null, List.of(NODE),
                List.of(new Pin("ops", "incident", 50, null), new Pin("me", "why", 60, 90L)), List.of(NODE),
                List.of(B), List.of(), 0);
        String json = ApiJson.MAPPER.writeValueAsString(BlobDetail.from(i));
        assertEquals(OLD.writeValueAsString(oldBlobJson(i)), json);
        assertEquals(BlobDetail.from(i), ApiJson.read(ApiJson.MAPPER.readTree(json), BlobDetail.class));

        Coordinator.Pins p = new Coordinator.Pins(12, List.of(new Ledger.PinnedBlob(A, new Pin("ops", "r", 1, null)),
                new Ledger.PinnedBlob(B, new Pin("me", "s", 2, 3L))));
        assertEquals(OLD.writeValueAsString(oldPinsJson(p, 10)), ApiJson.MAPPER.writeValueAsString(PinsPage.from(p, 10)));
    }

    @Test
    void theSmallAnswersAndErrors() throws Exception {
        assertEquals("{\"error\":\"not_found\",\"message\":\"unknown blob x\"}",
                ApiJson.MAPPER.writeValueAsString(new ErrorBody("not_found", "unknown blob x")));
        var reg = new ReporterProtocol.Registered(List.of(A), List.of(B), List.of(), null, List.of(A));
        assertEquals("{\"accepted\":[\"" + A.toHex() + "\"],\"rejected\":[\"" + B.toHex() + "\"],\"noContent\":[],"
                        + "\"goneCallees\":[\"" + A.toHex() + "\"]}",
                ApiJson.MAPPER.writeValueAsString(Answers.Registered.from(reg)));
        var held = new LinkedHashSet<>(List.of(A, B));
        Map<String, Object> lease = new LinkedHashMap<>();
        lease.put("holder", "h");
        lease.put("held", held);
        lease.put("pinned", Set.of());
        lease.put("gone", Set.of());
        lease.put("unavailable", Set.of());
        assertEquals(OLD.writeValueAsString(lease), ApiJson.MAPPER.writeValueAsString(
                Answers.Lease.of("h", held, Set.of(), Set.of(), Set.of(), null, null)));
        lease.put("gone", Set.of(B));
        lease.put("error", "gone");
        lease.put("message", "m");
        assertEquals(OLD.writeValueAsString(lease), ApiJson.MAPPER.writeValueAsString(
                Answers.Lease.of("h", held, Set.of(), Set.of(B), Set.of(), "gone", "m")));
        assertEquals("{\"hash\":\"" + A.toHex() + "\",\"bytes\":5,\"dependencies\":[\"" + B.toHex() + "\"]}",
                ApiJson.MAPPER.writeValueAsString(Answers.Uploaded.of(A, 5, List.of(B))));
        assertEquals("{\"owner\":\"o\",\"reason\":\"r\"}",
                ApiJson.MAPPER.writeValueAsString(new PinRequest("o", "r", null)));
    }

    private static final class Set {
        @SafeVarargs
        static <T> java.util.Set<T> of(T... ts) {
            return new LinkedHashSet<>(List.of(ts));
        }
    }

    // ---- what AdminRoutes built by hand before the records

    private static Map<String, Object> oldSummaryJson(Coordinator.Summary s) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("cycle", s.cycle());
        out.put("coordinatorNode", s.coordinatorNode());
        out.put("warmingUp", s.warmingUp());
        out.put("warmUpBlockers", s.warmUpBlockers().stream().map(NodeIds::address).toList());
        out.put("dryRun", s.dryRun());
        out.put("counts", s.counts());
        List<Map<String, Object>> nodes = new ArrayList<>();
        for (NodeInfo n : s.nodes()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("node", NodeIds.address(n.node()));
            m.put("state", n.state().name());
            m.put("lastReportAgeMs", n.lastReportAgeMs());
            m.put("active", n.active());
            m.put("pinned", n.pinned());
            m.put("complete", n.complete());
            nodes.add(m);
        }
        out.put("nodes", nodes);
        out.put("lastCycle", s.lastCycle());
        out.put("lastCycleMs", s.lastCycleMs());
        out.put("collected", s.totalCollected());
        out.put("collectedBytes", s.totalCollectedBytes());
        out.put("failedDeletions", s.totalFailedDeletions());
        out.put("orphansFound", s.orphansCondemned());
        out.put("orphansDeleted", s.orphansDeleted());
        out.put("sweepRate", s.sweeper().rate());
        out.put("sweepRateLimit", s.sweeper().rateLimit());
        out.put("storeThrottling", s.sweeper().rate() < s.sweeper().rateLimit());
        out.put("storeThrottledRequests", s.sweeper().throttledRequests());
        out.put("storeFailing", s.sweeper().storeFailing());
        out.put("lastStoreError", s.sweeper().lastStoreError());
        return out;
    }

    private static Map<String, Object> oldBlobJson(BlobInfo i) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("hash", i.hash().toHex());
        out.put("status", i.status().name());
        out.put("unreferencedSince", i.unreferencedSince());
        out.put("referencedBy", i.referencedBy().stream().map(NodeIds::address).toList());
        List<Map<String, Object>> pins = new ArrayList<>();
        for (Pin p : i.pins()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("owner", p.owner());
            m.put("reason", p.reason());
            m.put("expiresAt", p.expiresAt());
            pins.add(m);
        }
        out.put("pins", pins);
        out.put("nodePinnedBy", i.nodePinnedBy().stream().map(NodeIds::address).toList());
        out.put("dependencies", i.dependencies());
        out.put("dependents", i.dependents());
        out.put("markedCycle", i.markedCycle());
        out.put("deletionStartedAt", i.deletionStartedAt());
        out.put("collectedAt", i.collectedAt());
        return out;
    }

    private static Map<String, Object> oldPinsJson(Coordinator.Pins p, int from) {
        List<Map<String, Object>> pins = new ArrayList<>();
        for (var pb : p.pins()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("hash", pb.hash().toHex());
            m.put("owner", pb.pin().owner());
            m.put("reason", pb.pin().reason());
            m.put("pinnedAt", pb.pin().pinnedAt());
            m.put("expiresAt", pb.pin().expiresAt());
            pins.add(m);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("total", p.total());
        out.put("offset", from);
        out.put("pins", pins);
        return out;
    }
}
