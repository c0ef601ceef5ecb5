package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.Partitioning;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.Registered;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * How the conductor sends a registration batch to linked partitions (partitions-part2-plan S1.7), in plain Java (the
 * conductor's {@link PartitionAsks} does the asking; the deterministic simulation can plan the same way): the batch
 * split by the registered hashes' partitions, the shares in levels — a partition's once the partitions that own its
 * callees registered in the same batch have answered, since a callee must be known to its owner when the caller's
 * walk asks it. Partitions that call each other round a cycle in one batch cannot be ordered: their hashes are refused
 * for now ({@code retry}: register the callees first, then their callers). And how the levels' answers merge.
 */
public final class RegistrationLevels {

    private RegistrationLevels() {
    }

    /**
     * A batch's plan.
     *
     * @param byOwner the registrations by owning partition
     * @param levels  the partitions in the order their shares go, each level after the one before answered
     * @param cyclic  the hashes of the partitions left out, which call each other round a cycle (refused, retry)
     */
    public record Plan(Map<Integer, List<Registration>> byOwner, List<List<Integer>> levels, List<BlobHash> cyclic) {
    }

    /** The plan of {@code registrations} over {@code partitioning}. */
    public static Plan plan(List<Registration> registrations, Partitioning partitioning) {
        Map<Integer, List<Registration>> byOwner = new TreeMap<>();
        Set<BlobHash> inBatch = new HashSet<>();
        for (Registration r : registrations) {
            byOwner.computeIfAbsent(PartitionAsks.owner(partitioning, r.hash()), q -> new ArrayList<>()).add(r);
            inBatch.add(r.hash());
        }
        Map<Integer, Set<Integer>> needs = new TreeMap<>();
        byOwner.forEach((p, rs) -> {
            Set<Integer> qs = new TreeSet<>();
            for (Registration r : rs) {
                for (BlobHash d : r.dependencies()) {
                    int q = PartitionAsks.owner(partitioning, d);
                    if (d != null && inBatch.contains(d) && q != p) qs.add(q);
                }
            }
            needs.put(p, qs);
        });
        List<List<Integer>> levels = new ArrayList<>();
        Set<Integer> left = new TreeSet<>(byOwner.keySet());
        while (!left.isEmpty()) {
            List<Integer> level = left.stream().filter(p -> Collections.disjoint(needs.get(p), left)).toList();
            if (level.isEmpty()) break; // the rest call each other round a cycle
            levels.add(level);
            level.forEach(left::remove);
        }
        List<BlobHash> cyclic = new ArrayList<>();
        for (int p : left) for (Registration r : byOwner.get(p)) cyclic.add(r.hash());
        return new Plan(byOwner, List.copyOf(levels), List.copyOf(cyclic));
    }

    /** The answer before any level: the cyclic hashes refused for now. */
    public static Registered start(Plan plan) {
        return new Registered(List.of(), plan.cyclic(), List.of(), plan.cyclic());
    }

    /**
     * {@code before} and one level's {@code answers}, merged; a partition of the level in {@code missing} (it did not
     * answer in time) has its hashes refused for now.
     */
    public static Registered merge(Registered before, Map<Integer, Registered> answers, Collection<Integer> missing,
                                   Map<Integer, List<Registration>> byOwner) {
        List<BlobHash> accepted = new ArrayList<>(before.accepted()), rejected = new ArrayList<>(before.rejected()),
                noContent = new ArrayList<>(before.noContent()), retry = new ArrayList<>(before.retry());
        Set<BlobHash> goneCallees = new java.util.LinkedHashSet<>(before.goneCallees());
        answers.values().forEach(r -> {
            accepted.addAll(r.accepted());
            rejected.addAll(r.rejected());
            noContent.addAll(r.noContent());
            retry.addAll(r.retry());
            goneCallees.addAll(r.goneCallees());
        });
        for (int p : missing) {
            for (Registration r : byOwner.get(p)) {
                rejected.add(r.hash());
                retry.add(r.hash());
            }
        }
        return new Registered(accepted, rejected, noContent, retry, List.copyOf(goneCallees));
    }
}
