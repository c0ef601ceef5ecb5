package io.blobgc.ledger;

/**
 * A planned cycle's outcome with its blobs' ids, list by list, in the outcome's order: applying that very outcome
 * (the live path: nothing runs between a plan and its apply) looks no hash up again. {@code dirtyLookedAt}: how many
 * of the dirty candidates, from the first, the cycle looked at (all unless its transitions reached their limit); the
 * others stay candidates for the next cycle.
 */
record CyclePlan(CycleOutcome outcome, int[] activated, int[] pinned, int[] unreferenced, int[] marked,
                 int dirtyLookedAt) {
}
