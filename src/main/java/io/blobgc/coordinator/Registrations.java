package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.coordinator.CoordinatorCore.Decision;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.Registered;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * An upload's registration ({@link CoordinatorCore#register(PartitionedLedger, List, Predicate, long, long)}): which hashes are
 * refused and why, and what the accepted ones persist — their registration, and a use of the callees in grace they
 * make reachable from a caller in use.
 */
final class Registrations {

    private Registrations() {
    }

    /** @param window this instance's takeover window: a hash a predecessor may still be deleting waits it out */
    static Decision<Registered> decide(PartitionedLedger l, List<Registration> registrations, Predicate<BlobHash> stored,
                                       long now, long localNow, InheritedWindow window) {
        return decide(l, registrations, stored, now, localNow, window, false, Set.of());
    }

    /**
     * @param linked a linked partition entity's ({@link Hosting#linked}): a callee another partition owns is taken
     *               here as having content — the entity's walk asks its owner ({@link LinkedRegistrations}) — and the
     *               uses this decides are of this partition's blobs only (the walk's owners write theirs)
     * @param fallen callers refused already: a callee their walk found gone
     */
    static Decision<Registered> decide(PartitionedLedger l, List<Registration> registrations, Predicate<BlobHash> stored,
                                       long now, long localNow, InheritedWindow window, boolean linked,
                                       Set<BlobHash> fallen) {
        List<Registration> given = registrations == null ? List.of()
                : registrations.stream().filter(Objects::nonNull).toList();
        Set<BlobHash> hashes = new LinkedHashSet<>();
        for (Registration r : given) hashes.add(r.hash());
        if (CoordinatorCore.items(given) > CoordinatorCore.MAX_REGISTRATION_ITEMS) {
            Registered tooLarge = new Registered(List.of(), List.copyOf(hashes), List.of());
            return Decision.answer(st -> tooLarge);
        }
        Set<BlobHash> rejected = new LinkedHashSet<>(l.checkRegister(hashes));
        for (Registration r : given) if (elsewhere(l, r, linked) || fallen.contains(r.hash())) rejected.add(r.hash());
        List<BlobHash> retry = new ArrayList<>();
        boolean waiting = window.lasts(localNow);
        for (BlobHash h : hashes) {
            if (waiting && !rejected.contains(h) && window.inherited(h)) {
                rejected.add(h);
                retry.add(h);
            }
        }
        List<BlobHash> noContent = new ArrayList<>();
        for (BlobHash h : hashes) {
            if (rejected.contains(h)) continue;
            Optional<BlobStatus> s = l.status(h);
            if ((s.isEmpty() || s.get() == BlobStatus.COLLECTED) && !inStore(stored, h)) {
                rejected.add(h);
                noContent.add(h);
            }
        }
        // to a fixpoint, whatever the order: a caller falls with a callee that has no content below it — outside the
        // batch, or in it and refused. Each edge is looked at once and each callee's closure walked once, so a batch
        // costs time linear in its size (issue 20: one request must not hold the coordinator for seconds)
        Map<BlobHash, Boolean> contentBelow = new HashMap<>();
        Map<BlobHash, List<BlobHash>> callersInBatch = new HashMap<>();
        ArrayDeque<BlobHash> falling = new ArrayDeque<>(rejected);
        Set<BlobHash> withoutContent = new LinkedHashSet<>();
        for (Registration r : given) {
            for (BlobHash d : r.dependencies()) {
                if (hashes.contains(d)) {
                    callersInBatch.computeIfAbsent(d, k -> new ArrayList<>()).add(r.hash());
                } else if (!contentBelow.computeIfAbsent(d, h -> hasContentHere(l, h, linked))) {
                    withoutContent.add(d);
                    if (rejected.add(r.hash())) falling.add(r.hash());
                }
            }
        }
        while (!falling.isEmpty()) {
            BlobHash d = falling.poll();
            if (contentBelow.computeIfAbsent(d, h -> hasContentHere(l, h, linked))) continue;
            for (BlobHash caller : callersInBatch.getOrDefault(d, List.of())) {
                if (rejected.add(caller)) falling.add(caller);
            }
        }
        List<Registration> accepted = given.stream().filter(r -> !rejected.contains(r.hash())).toList();
        List<BlobHash> acceptedHashes = accepted.stream().map(Registration::hash).distinct().toList();
        Registered reply = new Registered(acceptedHashes, List.copyOf(rejected), List.copyOf(noContent),
                List.copyOf(retry), goneCallees(l, withoutContent, linked, acceptedHashes));
        if (accepted.isEmpty()) return Decision.answer(st -> reply);
        // a new edge from a caller in use to a callee waiting out its grace is a use of that callee (S2), persisted as
        // an acquire's is: a successor that recovers before the next cycle must not count the grace from before it
        // (S3; found by the simulation, seed 301125: the caller released right after, the coordinator restarted, and
        // its successor deleted the callee 5 s after that use)
        // — on the state after the batch: a caller in use reaches through the batch's own edges too (P->C, C->D).
        // "In use" is what this coordinator sees (a held caller) or what the journal last said (an ACTIVE or PINNED
        // caller): a coordinator warming up after a failover has not seen every member's holds yet (seed 514552: the
        // edge was registered before the holder's FULL report arrived, the holder crashed, and a successor deleted
        // the callee 3 s after that use)
        Map<BlobHash, List<BlobHash>> calleesInBatch = new HashMap<>();
        for (Registration r : accepted) {
            calleesInBatch.computeIfAbsent(r.hash(), k -> new ArrayList<>()).addAll(r.dependencies());
        }
        Set<BlobHash> reached = new LinkedHashSet<>();
        for (Registration r : accepted) if (inUse(l, r.hash())) reached.add(r.hash());
        ArrayDeque<BlobHash> todo = new ArrayDeque<>(reached);
        Set<BlobHash> usedCallees = new LinkedHashSet<>();
        while (!todo.isEmpty()) {
            for (BlobHash d : calleesInBatch.getOrDefault(todo.poll(), List.of())) {
                usedCallees.add(d);
                if (reached.add(d)) todo.add(d);
            }
        }
        List<BlobHash> used = linked ? l.localWaitingOutGrace(usedCallees.stream().filter(l::ownsHash).toList())
                : l.waitingOutGrace(usedCallees); // one walk below all of them
        List<Coordinator.Event> events = used.isEmpty() ? List.of(new Coordinator.BlobsRegistered(accepted))
                : List.of(new Coordinator.BlobsRegistered(accepted), new Coordinator.BlobsUsed(used, now));
        return new Decision<>(events, st -> reply);
    }

    /**
     * Whether {@code r} names a hash or a callee of a partition not hosted here (a partition entity's ledger): refused,
     * not answered accepted and kept nowhere, nor asked of a partition it cannot reach. The conductor routes
     * registrations by owner and refuses cross-partition edges until they are built (partitions-part2-plan S1.3,
     * S1.7). Never for a ledger hosting every partition.
     */
    private static boolean elsewhere(PartitionedLedger l, Registration r, boolean linked) {
        if (!l.ownsHash(r.hash())) return true;
        if (linked) return false; // its callees of other partitions are asked of their owners
        for (BlobHash d : r.dependencies()) if (!l.ownsHash(d)) return true;
        return false;
    }

    /**
     * Whether a registration may name {@code hash} as a callee ({@link PartitionedLedger#hasContentInClosure}); not
     * when another partition owns it and this ledger does not host it: a partition entity cannot ask that partition.
     */
    private static boolean hasContentHere(PartitionedLedger l, BlobHash hash, boolean linked) {
        if (!l.ownsHash(hash)) return linked; // a linked entity's walk asks the owner
        return linked ? l.hasLocalContentInClosure(hash) : l.hasContentInClosure(hash);
    }

    /** The most blobs a refusal names to upload again ({@link Registered#goneCallees}): one answer, one frame. */
    static final int MAX_GONE_CALLEES = 1_000;

    /**
     * What the callees {@code withoutContent} name to upload again ({@link Registered#goneCallees}): the gone blobs
     * of their closures, in one walk ({@link PartitionedLedger#goneInClosures}; a linked entity's, of its local
     * closures, {@link PartitionedLedger#localGoneInClosures}: another partition's callee is named by its walk), the deepest first and at most
     * {@link #MAX_GONE_CALLEES} — a VM uploads those, which have content below them, and the next refusal names the
     * next ones (review 31b: a walk per callee cost k × n, and a huge gone closure overflowed the remote frame).
     * Those the batch registers are left out.
     */
    private static List<BlobHash> goneCallees(PartitionedLedger l, Set<BlobHash> withoutContent, boolean linked,
                                              List<BlobHash> accepted) {
        if (withoutContent.isEmpty()) return List.of();
        List<BlobHash> own = withoutContent.stream().filter(l::ownsHash).toList();
        List<BlobHash> gone = new ArrayList<>(linked ? l.localGoneInClosures(own) : l.goneInClosures(own));
        gone.removeAll(accepted);
        java.util.Collections.reverse(gone); // breadth first from the callees: the deepest last, so first now
        return firstNamed(gone);
    }

    /** The first {@link #MAX_GONE_CALLEES} of {@code gone}: what one answer names, in one frame. */
    static List<BlobHash> firstNamed(List<BlobHash> gone) {
        return List.copyOf(gone.subList(0, Math.min(gone.size(), MAX_GONE_CALLEES)));
    }

    /** Held now as far as this coordinator sees, or in use by the journal's last word (ACTIVE or PINNED). */
    static boolean inUse(PartitionedLedger l, BlobHash h) {
        Optional<BlobStatus> s = l.status(h);
        return s.isPresent() && (s.get() == BlobStatus.ACTIVE || s.get() == BlobStatus.PINNED || l.isProtected(h));
    }

    /** A store that cannot answer counts as "not there": the registration is refused and the uploader tries again. */
    private static boolean inStore(Predicate<BlobHash> stored, BlobHash h) {
        try {
            return stored.test(h);
        } catch (RuntimeException e) {
            return false;
        }
    }
}
