package io.blobgc.coordinator;

import io.blobgc.BlobHash;
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
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.Registration;
import io.blobgc.ledger.TwoPartitions;
import io.blobgc.protocol.ReporterProtocol.Acquire;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import io.blobgc.protocol.ReporterProtocol.Register;
import io.blobgc.protocol.ReporterProtocol.Registered;
import io.blobgc.protocol.ReporterProtocol.Report;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review 30 (adversarial, of session 30's changes): suspicions that held — the code is right here.
 */
class Review30HeldTest extends FencesReviewBase {

    private static CycleOutcome marking(BlobHash x) {
        return marking(x, 1_000);
    }

    private static CycleOutcome marking(BlobHash x, long at) {
        return new CycleOutcome(1, at, false, false, false, List.of(x), List.of(), List.of(), List.of(),
                List.of(new CycleOutcome.MarkedBlob(x, at)), List.of(), List.of(), List.of(), List.of(), 0);
    }

    private static void collect(PartitionedLedger l, int p, BlobHash x) {
        l.applyCycle(p, marking(x));
        l.applyDeletionStarted(List.of(x), 2_000);
        l.applyCollected(List.of(x), 3_000);
        assertEquals(BlobStatus.COLLECTED, l.status(x).orElseThrow());
    }

    /**
     * goneToUploadAgain changes what a GONE names, never whether the acquire is GONE (empty iff the local gone closure
     * is), and names blobs of the acquired blob's closure only (the whole's closure of it), over every subset of a
     * small graph collected: f(0) → g(0) → lib(1) → lib2(1), f → lib3(1).
     */
    @Test
    void goneToUploadAgainDecidesGoneAsBeforeAndNamesOnlyBlobsOfTheClosure() {
        BlobHash f = TwoPartitions.in(0, 1), g = TwoPartitions.in(0, 2), lib = TwoPartitions.in(1, 1),
                lib2 = TwoPartitions.in(1, 2), lib3 = TwoPartitions.in(1, 3);
        List<Registration> graph = List.of(new Registration(lib2, List.of()), new Registration(lib3, List.of()),
                new Registration(lib, List.of(lib2)), new Registration(g, List.of(lib)),
                new Registration(f, List.of(g, lib3)));
        List<BlobHash> zeros = List.of(f, g);
        for (int mask = 0; mask < 4; mask++) {
            PartitionedLedger p0 = TwoPartitions.hosted(0, graph, 0, false, 0);
            for (int i = 0; i < 2; i++) if ((mask & (1 << i)) != 0) collect(p0, 0, zeros.get(i));
            for (BlobHash root : zeros) {
                List<BlobHash> named = p0.goneToUploadAgain(root);
                assertEquals(p0.localGoneInClosure(root, true).isEmpty(), named.isEmpty(), "mask " + mask);
                Set<BlobHash> closure = new LinkedHashSet<>();
                closure.add(root);
                for (BlobHash x = root; ; ) { // the whole closure, by hand
                    if (x.equals(f)) { closure.addAll(List.of(g, lib3, lib, lib2)); break; }
                    if (x.equals(g)) { closure.addAll(List.of(lib, lib2)); break; }
                    break;
                }
                assertTrue(closure.containsAll(named), "mask " + mask + ": " + named + " within " + closure);
            }
        }
    }

    /** n1 acquires {@code h} from its owner. */
    private AcquireReply acquireOf(BlobHash h) {
        return acquire(h);
    }

    /**
     * A pin refused by its own partition (its blob collected) after a non-empty reservation (the blob's callee b in
     * partition 1): nothing written, and the reservation released — the cycles' flushes do not keep b held for
     * partition 0. The control: an acquire of a live caller of b makes the flushes hold it.
     */
    @Test
    void aPinRefusedLocallyAfterItsReservationWritesNothingAndReleasesIt() throws IOException {
        BlobHash a3 = net.stored(0, "a3");
        startWithACollected(System.currentTimeMillis(), registered(a3, b));
        TestProbe<Coordinator.OpResult> probe = net.kit.createTestProbe();
        net.entities.get(0).tell(new Coordinator.PinBlob(a, "ops", "keep", null, probe.getRef()));
        Coordinator.OpResult refused = probe.expectMessageClass(Coordinator.OpResult.class, ACQUIRE_TIMEOUT);
        assertFalse(refused.ok());
        assertTrue(refused.refusal().message().contains(a.toString()), refused.refusal().message());
        assertEquals(BlobStatus.COLLECTED, net.info(a).status(), "refused for its collected blob");
        assertTrue(net.kit.written(0).stream().noneMatch(e -> e instanceof Coordinator.BlobPinned));
        net.cycle();
        net.cycle();
        assertFalse(net.heldFor(b, 0), "b exported by partition 0 after the refused pin: " + net.info(b));

        AcquireReply got = acquireOf(a3);
        assertEquals(AcquireResult.ACQUIRED, got.result(), got.message());
        net.cycle();
        assertTrue(net.heldFor(b, 0), "the control: a live caller's hold is exported: " + net.info(b));
    }

    private Registered register(BlobHash h, List<BlobHash> dependencies) {
        TestProbe<Registered> probe = net.kit.createTestProbe();
        net.entities.get(net.partitioning.partitionOf(h)).tell(new Register(List.of(new Registration(h,
                dependencies)), probe.getRef()));
        return probe.expectMessageClass(Registered.class, ACQUIRE_TIMEOUT.multipliedBy(2));
    }

    /**
     * A registration that crosses a partition is walked (a Protect of b to partition 1), one that does not is not, and
     * the reservation is released once written: b, which nothing protects, is not kept held for partition 0.
     */
    @Test
    void aCrossingRegistrationIsWalkedAndItsReservationReleasedALocalOneIsNotWalked() throws IOException {
        startChain();
        net.full();
        net.settled();
        BlobHash x = net.stored(0, "x"), y = net.stored(0, "y");
        long protectsBefore = net.told.stream().filter(m -> m instanceof Protect).count();
        Registered local = register(y, List.of());
        assertEquals(List.of(y), local.accepted());
        assertEquals(protectsBefore, net.told.stream().filter(m -> m instanceof Protect).count(), "y walks nothing");
        Registered crossing = register(x, List.of(b));
        assertEquals(List.of(x), crossing.accepted());
        assertTrue(net.told.stream().anyMatch(m -> m instanceof Protect p && p.hashes().contains(b)),
                "x's walk asked b's owner");
        net.cycle();
        net.cycle();
        assertFalse(net.heldFor(b, 0), "released: b not kept for partition 0 by x's reservation: " + net.info(b));
    }

    // ---- EntityGate against the rules of Coordinator.commandHandler at 5db24b3, transcribed

    private static final NodeReport FULL = NodeReport.full("n1", 5, 1, List.of(), List.of());

    private static List<ToCoordinator> commands() {
        return List.of(TakeOver.INSTANCE, KeepAlive.INSTANCE, PartitionStop.INSTANCE, new Report(FULL, null),
                new PartitionExport(1, 0, 0, FULL), new ExportResend(1, 2), new Protect(7, 1, 1, 5, 1, List.of(), false),
                new Protected(7, 1, null), new SettleQuery(null), new PartitionsSettled(List.of(1, 1)),
                new Acquire("n1", 5, 1, null, null), new GetSummary(null), CycleTick.INSTANCE);
    }

    /** The old handler's answer; {@code heard[0]} its conductorHeard field. */
    private static Admission old(boolean partition, boolean[] heard, boolean takenOver, ToCoordinator c) {
        if (c == TakeOver.INSTANCE) return partition && !heard[0] ? Admission.IGNORE : Admission.TAKE_OVER;
        if (c == KeepAlive.INSTANCE) {
            heard[0] = true;
            return partition && !takenOver ? Admission.TAKE_OVER : Admission.IGNORE;
        }
        if (c == PartitionStop.INSTANCE) return Admission.WARN_IGNORED;
        if (takenOver) return Admission.HANDLE;
        boolean fromPeers = c instanceof PartitionExport || c instanceof ExportResend || c instanceof PartitionsSettled
                || c instanceof SettleQuery || c instanceof Protect || c instanceof Protected;
        if (partition && (c instanceof Report || fromPeers)) return Admission.IGNORE; // noReply (the gate: DROP)
        return Admission.STASH;
    }

    @Test
    void theGateAnswersAsTheOldHandlerDidForEverySequenceOfTwoCommands() {
        List<ToCoordinator> all = commands();
        for (boolean partition : new boolean[]{true, false}) {
            for (ToCoordinator first : all) {
                for (boolean takenFirst : new boolean[]{false, true}) {
                    for (ToCoordinator second : all) {
                        for (boolean takenSecond : new boolean[]{takenFirst, true}) {
                            EntityGate gate = new EntityGate(partition);
                            boolean[] heard = {false};
                            List<Admission> got = new ArrayList<>(), want = new ArrayList<>();
                            got.add(norm(gate.admit(first, takenFirst)));
                            want.add(old(partition, heard, takenFirst, first));
                            got.add(norm(gate.admit(second, takenSecond)));
                            want.add(old(partition, heard, takenSecond, second));
                            assertEquals(want, got, partition + " " + first + "/" + takenFirst + " then " + second
                                    + "/" + takenSecond);
                            assertEquals(heard[0], gate.conductorHeard());
                        }
                    }
                }
            }
        }
    }

    /** DROP and IGNORE do the same in the glue (no reply): compared as one. */
    private static Admission norm(Admission a) {
        return a == Admission.DROP ? Admission.IGNORE : a;
    }
}
