package io.blobgc.ledger;

import io.blobgc.BlobHash;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;
import java.util.function.Predicate;

/**
 * The dependency edges between known blobs (a caller and the callees it runs), and the walks over them: whether a
 * blob is protected by a held caller (S2), what a closure holds, and whether a closure has all its content (nothing
 * DELETING or COLLECTED in it), with a cache of the closures known clean. The edges are persistent (registrations
 * add them, pruning a tombstone removes them); the cache is derived and never persisted.
 */
final class DependencyGraph {

    private final BlobTable table;
    private final IntFunction<IntSet> newSet;
    private final Adjacency deps = new Adjacency();
    private final Adjacency dependents = new Adjacency();
    /**
     * Blobs known to have nothing DELETING or COLLECTED in their dependency closure. It holds every blob of a cached
     * blob's closure; a blob going DELETING or COLLECTED (or pruned), and an edge to a callee not known clean, take it
     * and every cached blob above it out ({@link #uncache}).
     */
    private final IntSet cleanClosure;

    /** @param newSet makes a set of ids for a given expected size (the ledger's, so each set has its own seed) */
    DependencyGraph(BlobTable table, IntFunction<IntSet> newSet) {
        this.table = table;
        this.newSet = newSet;
        this.cleanClosure = newSet.apply(8);
    }

    /** The blobs {@code b} depends on. */
    int[] callees(int b) {
        return deps.targets(b);
    }

    /** The blobs that depend on {@code b}. */
    int[] callers(int b) {
        return dependents.targets(b);
    }

    boolean hasCallees(int b) {
        return deps.has(b);
    }

    /** Adds the edge {@code caller -> callee}; false when it was there. */
    boolean add(int caller, int callee) {
        if (!deps.add(caller, callee)) return false;
        dependents.add(callee, caller);
        if (!cleanClosure.contains(callee)) uncache(caller); // the caller's closure grew by one not known clean
        table.flag(caller, BlobTable.FLAG_HAS_DEPS, true);
        table.flag(callee, BlobTable.FLAG_HAS_DEPENDENTS, true);
        return true;
    }

    /** Removes every edge of {@code b} (it is forgotten; its id may be reused). */
    void removeAll(int b) {
        for (int d : deps.targets(b)) {
            dependents.remove(d, b);
            table.flag(d, BlobTable.FLAG_HAS_DEPENDENTS, dependents.has(d));
        }
        for (int p : dependents.targets(b)) {
            deps.remove(p, b);
            table.flag(p, BlobTable.FLAG_HAS_DEPS, deps.has(p));
        }
        deps.removeAll(b);
        dependents.removeAll(b);
    }

    /**
     * Whether {@code b} is protected: held directly, or reachable through dependencies from a blob that is. For many
     * blobs of one unchanging state (a cycle's plan, a deletion's), {@code yes} and {@code no} keep what the walks
     * learned — the blobs on a path up to a held blob are protected, and every blob of a walk that found none is not —
     * so the dirty blobs of a long chain held at its top cost one walk up the chain, not one each (issue 20).
     */
    boolean isProtected(int b, IntPredicate held, IntSet yes, IntSet no) {
        if (held.test(b) || yes.contains(b)) return true;
        if (no.contains(b) || !table.flag(b, BlobTable.FLAG_HAS_DEPENDENTS)) return false;
        Map<Integer, Integer> cameFrom = new HashMap<>();
        cameFrom.put(b, b);
        ArrayDeque<Integer> todo = new ArrayDeque<>();
        todo.add(b);
        while (!todo.isEmpty()) {
            int x = todo.poll();
            for (int p : dependents.targets(x)) {
                if (cameFrom.containsKey(p) || no.contains(p)) continue;
                cameFrom.put(p, x);
                if (held.test(p) || yes.contains(p)) {
                    for (int y = p; y != b; y = cameFrom.get(y)) yes.add(y);
                    yes.add(b);
                    return true;
                }
                todo.add(p);
            }
        }
        for (int x : cameFrom.keySet()) no.add(x); // none of them reaches a held blob
        return false;
    }

    /** The blobs in the dependency closures of {@code roots} (themselves included) whose status passes {@code which}. */
    List<BlobHash> inClosure(Collection<Integer> roots, Predicate<BlobStatus> which) {
        List<BlobHash> out = new ArrayList<>();
        ArrayDeque<Integer> todo = new ArrayDeque<>(roots);
        IntSet seen = newSet.apply(8);
        while (!todo.isEmpty()) {
            int x = todo.poll();
            if (!seen.add(x)) continue;
            inClosureVisits++;
            if (which.test(table.status(x))) out.add(table.hash(x));
            for (int d : deps.targets(x)) todo.add(d);
        }
        return out;
    }

    /** The blobs {@link #inClosure} walks visited so far: for tests (a walk per root would show as k × n). */
    long inClosureVisits;

    /**
     * The blobs in {@code b}'s dependency closure (itself included) that are DELETING or COLLECTED: a holder of
     * {@code b} uses its callees too, so none of them may be gone.
     */
    List<BlobHash> goneInClosure(int b) {
        if (hasContentInClosure(b)) return List.of(); // the walk that finds nothing gone is cached for the next ask
        return goneInClosures(List.of(b));
    }

    /**
     * The blobs of the dependency closures of {@code roots} that are DELETING or COLLECTED, in one walk (one visited
     * set, so roots sharing a closure walk it once; no cache: what {@link GoneWalk} asks is mostly gone).
     */
    List<BlobHash> goneInClosures(Collection<Integer> roots) {
        return callersFirst(roots, s -> s == BlobStatus.DELETING || s == BlobStatus.COLLECTED);
    }

    /**
     * {@link #inClosure}'s blobs in an order where each comes before its callees (a reverse post-order of the walk;
     * within a cycle, any): so a suffix of it holds every callee of what it holds, and a VM that uploads the last of
     * a long list of gone blobs can upload each of them at once (review 32b: the last of a breadth-first list, in a
     * DAG, could be callers of one blob listed early).
     */
    List<BlobHash> callersFirst(Collection<Integer> roots, Predicate<BlobStatus> which) {
        List<BlobHash> postOrder = new ArrayList<>();
        IntSet seen = newSet.apply(8);
        ArrayDeque<int[]> stack = new ArrayDeque<>(); // {blob, index of its next callee}
        for (int root : roots) {
            if (!seen.add(root)) continue;
            inClosureVisits++;
            stack.push(new int[]{root, 0});
            while (!stack.isEmpty()) {
                int[] top = stack.peek();
                int[] callees = deps.targets(top[0]);
                if (top[1] < callees.length) {
                    int next = callees[top[1]++];
                    if (seen.add(next)) {
                        inClosureVisits++;
                        stack.push(new int[]{next, 0});
                    }
                } else {
                    stack.pop();
                    if (which.test(table.status(top[0]))) postOrder.add(table.hash(top[0]));
                }
            }
        }
        java.util.Collections.reverse(postOrder);
        return postOrder;
    }

    /**
     * Whether nothing in {@code b}'s dependency closure is DELETING or COLLECTED. What a walk learns is kept in
     * {@link #cleanClosure}, so checking callers onto one long chain — many in one request, or one per request —
     * walks the chain once, not once per caller (issue 20).
     */
    boolean hasContentInClosure(int b) {
        if (cleanClosure.contains(b)) return true;
        IntSet seen = newSet.apply(8);
        ArrayDeque<Integer> todo = new ArrayDeque<>(List.of(b));
        while (!todo.isEmpty()) {
            int x = todo.poll();
            if (cleanClosure.contains(x) || !seen.add(x)) continue;
            BlobStatus s = table.status(x);
            if (s == BlobStatus.DELETING || s == BlobStatus.COLLECTED) return false;
            for (int d : deps.targets(x)) todo.add(d);
        }
        for (int x : seen.toArray()) cleanClosure.add(x); // each closure below them is clean too
        return true;
    }

    /**
     * {@code b} may have something gone in its closure now (it goes DELETING or COLLECTED, or is forgotten): it and
     * every cached blob above it leave the cache. Walking up through cached blobs reaches them all: the cache holds
     * every blob of a cached blob's closure.
     */
    void uncache(int b) {
        if (!cleanClosure.remove(b)) return;
        ArrayDeque<Integer> todo = new ArrayDeque<>();
        todo.add(b);
        while (!todo.isEmpty()) {
            for (int p : dependents.targets(todo.poll())) if (cleanClosure.remove(p)) todo.add(p);
        }
    }
}
