package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.Partitioning;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.Registered;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * How the conductor orders a registration batch over linked partitions ({@link RegistrationLevels}): callees'
 * partitions first, a cycle of partitions refused for now, the levels' answers merged.
 */
class RegistrationLevelsTest {

    private static final Partitioning P4 = Partitioning.of(4);
    private static final BlobHash A0 = P4.lowest(0), A1 = P4.lowest(1), A2 = P4.lowest(2), A3 = P4.lowest(3),
            B0 = P4.highest(0), B1 = P4.highest(1);

    private static Registration calls(BlobHash caller, BlobHash... callees) {
        return new Registration(caller, List.of(callees));
    }

    @Test
    void aCalleeInTheBatchPutsItsPartitionFirstAndOneOutsideOrdersNothing() {
        // A0's callee A3 is not in the batch: its owner knows it already, or the caller's walk finds it gone
        var plan = RegistrationLevels.plan(List.of(calls(A0, A3), calls(A1), calls(A2, B0), calls(B0)), P4);
        assertEquals(List.of(List.of(0, 1), List.of(2)), plan.levels(), "A2's callee B0 is registered by 0 first");
        assertEquals(List.of(), plan.cyclic());
        assertEquals(List.of(calls(A0, A3), calls(B0)), plan.byOwner().get(0));
    }

    @Test
    void aCalleesPartitionGoesBeforeItsCallersAndAChainTakesALevelAHop() {
        // A0 (0) -> A1 (1) -> A2 (2), all in the batch: 2, then 1, then 0; 3 has no callee in the batch
        var plan = RegistrationLevels.plan(List.of(calls(A0, A1), calls(A1, A2), calls(A2), calls(A3, A3)), P4);
        assertEquals(List.of(List.of(2, 3), List.of(1), List.of(0)), plan.levels());
        assertEquals(List.of(), plan.cyclic());
    }

    @Test
    void partitionsThatCallEachOtherRoundACycleAreRefusedForNowAndTheRestGoes() {
        // 0 calls 1 (A0 -> A1) and 1 calls 0 (B1 -> B0); 2 calls 0 (A2 -> A0), so it waits behind the cycle; 3 is free
        var plan = RegistrationLevels.plan(List.of(calls(A0, A1), calls(B1, B0), calls(B0), calls(A1), calls(A2, A0),
                calls(A3)), P4);
        assertEquals(List.of(List.of(3)), plan.levels());
        assertEquals(Set.of(A0, B0, B1, A1, A2), Set.copyOf(plan.cyclic()));
        Registered start = RegistrationLevels.start(plan);
        assertEquals(plan.cyclic(), start.rejected());
        assertEquals(plan.cyclic(), start.retry(), "refused for now: register the callees first");
        assertEquals(List.of(), start.accepted());
    }

    @Test
    void aLevelsAnswersAreMergedAndAPartitionThatDidNotAnswerHasItsHashesRefusedForNow() {
        var plan = RegistrationLevels.plan(List.of(calls(A0), calls(B0), calls(A1), calls(A2)), P4);
        Registered before = new Registered(List.of(A3), List.of(), List.of(), List.of());
        Registered merged = RegistrationLevels.merge(before, Map.of(
                        0, new Registered(List.of(A0), List.of(B0), List.of(B0), List.of()),
                        1, new Registered(List.of(), List.of(A1), List.of(), List.of(A1))),
                List.of(2), plan.byOwner());
        assertEquals(List.of(A3, A0), merged.accepted());
        assertEquals(Set.of(B0, A1, A2), Set.copyOf(merged.rejected()));
        assertEquals(List.of(B0), merged.noContent());
        assertEquals(Set.of(A1, A2), Set.copyOf(merged.retry()), "A2's partition did not answer: retry");
    }
}
