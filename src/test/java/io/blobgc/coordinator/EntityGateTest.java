package io.blobgc.coordinator;

import io.blobgc.coordinator.Coordinator.CycleTick;
import io.blobgc.coordinator.Coordinator.ExportResend;
import io.blobgc.coordinator.Coordinator.GetSummary;
import io.blobgc.coordinator.Coordinator.KeepAlive;
import io.blobgc.coordinator.Coordinator.PartitionExport;
import io.blobgc.coordinator.Coordinator.PartitionStop;
import io.blobgc.coordinator.Coordinator.PartitionsSettled;
import io.blobgc.coordinator.Coordinator.Protect;
import io.blobgc.coordinator.Coordinator.Protected;
import io.blobgc.coordinator.Coordinator.SettleQuery;
import io.blobgc.coordinator.Coordinator.TakeOver;
import io.blobgc.coordinator.EntityGate.Admission;
import io.blobgc.ledger.NodeReport;
import io.blobgc.protocol.ReporterProtocol.Acquire;
import io.blobgc.protocol.ReporterProtocol.Report;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which commands a coordinator takes, and when it takes over ({@link EntityGate}), with no actor system: a partition
 * entity takes over only once a conductor's keep-alive came, and drops what is sent again until then; the whole takes
 * over at once.
 */
class EntityGateTest {

    private static final NodeReport FULL = NodeReport.full("n1", 5, 1, List.of(), List.of());
    private static final Report REPORT = new Report(FULL, null);
    /** Every message from the other partitions or the conductor's settle round. */
    private static final List<ToCoordinator> FROM_PEERS = List.of(
            new PartitionExport(1, 0, 0, FULL),
            new ExportResend(1, 2),
            new Protect(7, 1, 1, 5, 1, List.of(), false),
            new Protected(7, 1, null),
            new Coordinator.FindGone(7, 1, List.of()),
            new Coordinator.GoneFound(7, 1, List.of(), null),
            new SettleQuery(null),
            new PartitionsSettled(List.of(1, 1)));
    /** Commands of neither kind: stashed until the takeover by an entity and the whole alike. */
    private static final List<ToCoordinator> OTHERS = List.of(
            new Acquire("n1", 5, 1, null, null), new GetSummary(null), CycleTick.INSTANCE);

    @Test
    void anEntityTakesOverOnTheFirstKeepAliveNotOnItsOwnTakeOver() {
        EntityGate gate = new EntityGate(true);
        assertEquals(Admission.IGNORE, gate.admit(TakeOver.INSTANCE, false), "no conductor heard: no takeover");
        assertFalse(gate.conductorHeard());

        assertEquals(Admission.TAKE_OVER, gate.admit(KeepAlive.INSTANCE, false), "the first keep-alive");
        assertTrue(gate.conductorHeard());

        // the takeover is written: a keep-alive decides nothing any more
        assertEquals(Admission.IGNORE, gate.admit(KeepAlive.INSTANCE, true));
        assertTrue(gate.conductorHeard());
    }

    @Test
    void anEntityThatHeardItsConductorTakesOverOnItsOwnTakeOver() {
        // a restart in place recovers again and sends itself a TakeOver: the conductor was heard already
        EntityGate gate = new EntityGate(true);
        gate.admit(KeepAlive.INSTANCE, true);
        assertEquals(Admission.TAKE_OVER, gate.admit(TakeOver.INSTANCE, false));
        assertEquals(Admission.TAKE_OVER, gate.onTakeOver());
        // a keep-alive before that recovery's takeover is written lets it take over too
        assertEquals(Admission.TAKE_OVER, gate.admit(KeepAlive.INSTANCE, false));
    }

    @Test
    void theWholeTakesOverAtOnceAndIgnoresKeepAlives() {
        EntityGate gate = new EntityGate(false);
        assertEquals(Admission.TAKE_OVER, gate.admit(TakeOver.INSTANCE, false), "no conductor needed");
        assertEquals(Admission.IGNORE, gate.admit(KeepAlive.INSTANCE, false));
        assertEquals(Admission.IGNORE, gate.admit(KeepAlive.INSTANCE, true));
        assertEquals(Admission.TAKE_OVER, gate.admit(TakeOver.INSTANCE, true), "the fence ignores a second one");
    }

    @Test
    void theWholeWarnsOfAPartitionStop() {
        assertEquals(Admission.WARN_IGNORED, new EntityGate(false).admit(PartitionStop.INSTANCE, false));
        assertEquals(Admission.WARN_IGNORED, new EntityGate(false).admit(PartitionStop.INSTANCE, true));
    }

    @Test
    void anEntityBeforeItsTakeOverDropsReportsAndPeersMessagesAndStashesTheRest() {
        EntityGate gate = new EntityGate(true);
        assertEquals(Admission.DROP, gate.admit(REPORT, false));
        for (ToCoordinator m : FROM_PEERS) {
            assertTrue(EntityGate.fromPeers(m), m.toString());
            assertEquals(Admission.DROP, gate.admit(m, false), m.toString());
        }
        for (ToCoordinator m : OTHERS) {
            assertFalse(EntityGate.fromPeers(m), m.toString());
            assertEquals(Admission.STASH, gate.admit(m, false), m.toString());
        }
        // heard its conductor, still not taken over: the same
        gate.admit(KeepAlive.INSTANCE, false);
        assertEquals(Admission.DROP, gate.admit(REPORT, false));
        assertEquals(Admission.DROP, gate.admit(FROM_PEERS.get(0), false));
        assertEquals(Admission.STASH, gate.admit(OTHERS.get(0), false));
    }

    @Test
    void theWholeBeforeItsTakeOverStashesReportsAndEverythingElse() {
        EntityGate gate = new EntityGate(false);
        assertEquals(Admission.STASH, gate.admit(REPORT, false));
        for (ToCoordinator m : FROM_PEERS) assertEquals(Admission.STASH, gate.admit(m, false), m.toString());
        for (ToCoordinator m : OTHERS) assertEquals(Admission.STASH, gate.admit(m, false), m.toString());
    }

    @Test
    void afterTheTakeOverEverythingIsHandled() {
        for (boolean partition : new boolean[] {true, false}) {
            EntityGate gate = new EntityGate(partition);
            if (partition) gate.admit(KeepAlive.INSTANCE, false);
            assertEquals(Admission.HANDLE, gate.admit(REPORT, true));
            for (ToCoordinator m : FROM_PEERS) assertEquals(Admission.HANDLE, gate.admit(m, true), m.toString());
            for (ToCoordinator m : OTHERS) assertEquals(Admission.HANDLE, gate.admit(m, true), m.toString());
        }
    }
}
