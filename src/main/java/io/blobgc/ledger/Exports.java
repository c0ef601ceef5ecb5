package io.blobgc.ledger;

import io.blobgc.BlobHash;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.IntFunction;

/**
 * What this partition exports to each other one (partitions.md §1, "State in A" and "Flush"): the hashes that
 * partition owns which are remote callees ({@link RemoteEdges}) of blobs protected here — held, or reachable from a
 * held blob (S2). Sent as a {@link NodeReport} from reporter {@code partition:<self>}, one per target partition and
 * flush, ordered by this partition's (incarnation, seq) to that target; the target holds them in its partition view.
 *
 * <p>Soft and derived: rebuilt by the first flush after a start (which recomputes every remote callee). Between
 * flushes the {@link Holds} feed {@link #flipped} with the blobs whose direct hold changed, the callees of new local
 * edges under a protected caller, and the callers of new remote edges. <b>Exact, never cached</b>: a flush recomputes
 * every remote callee below a flipped blob from its local callers' protection at that moment; nothing else can have
 * changed (a callee's protection changes only through a hold flip or a new edge above it, or an edge removed, which
 * {@link #recheck}s). A FULL — the first to a target, after a new incarnation, on {@link #resendFull}, and when the
 * reports turn from provisional to settled — recomputes every remote callee.
 *
 * <p><b>Reservations</b> (partitions.md §3, phase 2; partitions-part2-plan S1.7): a registration whose caller is
 * this partition's and whose callees are not asks their owners to protect them ({@code Protect}), and persists only
 * after the answers. Its caller is not registered yet, so no local caller protects those callees: an export built
 * between the answer and the persist would not list them, and, built after the ask, it would drop the sticky the
 * {@code Protect} recorded — the callee could be marked and deleted under a registration about to be accepted (S11).
 * So the driver {@link #reserve}s them first: a reserved hash is exported to its owner whatever its callers' protection
 * (a FULL lists it too), until the last reservation of it is {@link #release}d, after the persist; the next flush
 * then recomputes it from its callers, as any other. Counted per hash: two pending registrations may name one callee,
 * and the first to end must not uncover the other. Soft, like everything here: a restart loses the pending
 * registrations with them (their requests fail, and are retried).
 *
 * <p>At P = 1 there are no targets and no remote edges: {@link #flipped} returns at once and a flush sends nothing.
 */
final class Exports {

    /** Whether a local blob is protected now, with one flush's caches ({@link Holds#isProtected(int, IntSet, IntSet)}). */
    interface Protection {
        boolean isProtected(int b, IntSet yes, IntSet no);
    }

    private final Partitioning partitioning;
    private final int self;
    private final String reporter;
    private final RemoteEdges remote;
    private final IntFunction<int[]> callees;
    private final Protection protection;
    private final IntFunction<IntSet> newSet;
    /**
     * Blobs whose protection may have changed, and so every remote callee below them, since the last flush. Made at
     * the first flip (there is none at P = 1: the ledger's other sets keep their seeds).
     */
    private IntSet flipped;
    /** Remote callees that lost a caller (a pruned tombstone) since the last flush. */
    private final Set<BlobHash> recheck = new LinkedHashSet<>();
    /** Remote callees reserved by pending registrations, with how many reserve each ({@link #reserve}). */
    private final Map<BlobHash, Integer> reserved = new HashMap<>();
    /** The next flush recomputes every remote callee: nothing was computed yet, or a FULL is owed. */
    private boolean recomputeAll = true;
    /** By partition; null at {@link #self}. */
    private final Target[] targets;
    /**
     * The settle round's cut this partition has taken (partitions-part2-plan §10, tier 2; {@link Cut}); 0: none. Its
     * content to each target — the remote callees below everything held here when it was taken (the base), and below
     * every blob here named as cut content by another partition since (the imports) — only grows, and is what the
     * round counts instead of every export with content.
     */
    private long cut;
    /** The cut was taken since the last flush: the next one takes every target's exports as its cut content. */
    private boolean cutBase;
    /** Own blobs named as cut content by another partition's export since the last flush (made at the first). */
    private IntSet cutImports;

    /** What this partition told one target partition. */
    private static final class Target {
        /** The hashes the last report left the target's view holding (what the next DELTA is the difference to). */
        final Set<BlobHash> sent = new LinkedHashSet<>();
        /**
         * Hashes a frontier named since the last flush: a {@code Protect} may record them in the target's view of this
         * partition, as sticky acquires, whether or not they are exported. The next report, built after the ask, lists
         * those not exported as removed: it covers the sticky and drops it, or the ask, arriving after it, is stale.
         * Without it a DELTA, which lists only changes against {@link #sent}, would leave them held there for ever.
         */
        final Set<BlobHash> asked = new LinkedHashSet<>();
        long incarnation = Long.MIN_VALUE;
        /** The seq of the last report sent in {@link #incarnation}; 0: none yet. */
        long seq;
        /**
         * The seq of the last report with content sent in {@link #incarnation}; 0: none yet. What the settle round
         * compares ({@link SettleStatus}): unlike {@link #seq}, a heartbeat leaves it alone. Every report carries it
         * (its content stamp, {@link #contentStamp}), and the target keeps the stamp of the last report it applied:
         * whether a provisional report has content is decided here ({@link #hasContent}), where {@link #union} is
         * known.
         */
        long contentSeq;
        /**
         * While the reports to this target are provisional: every hash listed to it since the last FULL (reset to the
         * FULL's list), removed ones included. The target applies provisional reports add-only and in order (a gap
         * makes it ask for a FULL), so its view of this partition holds every hash of it that it could hold when it
         * was listed: a provisional DELTA that adds only hashes of it changes no view, and has no content. Empty
         * once the reports are settled.
         */
        final Set<BlobHash> union = new LinkedHashSet<>();
        boolean fullOwed = true;
        /** Whether the last report sent was settled. */
        boolean settled;
        /**
         * The generation of the target named by its last ask for a FULL ({@link #resendFull}): every report to it
         * echoes it, so a target that recovered tells the FULL it asked for from one built before its recovery
         * (partitions-part2-plan S1.4). 0: it asked for none.
         */
        int echo;
        /** The hashes of the cut content to this target ({@link #cut}): only grows while the cut lasts. */
        final Set<BlobHash> cutSet = new LinkedHashSet<>();
        /** The seq of the last report with cut content to this target in {@link #cut}; 0: none. */
        long cutSeq;
        /** The cut part of the last report to this target ({@link #cutPart}); null: none (no cut). */
        Cut lastCut;
    }

    Exports(Partitioning partitioning, int self, RemoteEdges remote, IntFunction<int[]> callees, Protection protection,
            IntFunction<IntSet> newSet) {
        if (self < 0 || self >= partitioning.count()) {
            throw new IllegalArgumentException("no partition " + self + " of " + partitioning.count());
        }
        this.partitioning = partitioning;
        this.self = self;
        this.reporter = reporterOf(self);
        this.remote = remote;
        this.callees = callees;
        this.protection = protection;
        this.newSet = newSet;
        this.targets = new Target[partitioning.count()];
        for (int p = 0; p < targets.length; p++) if (p != self) targets[p] = new Target();
    }

    /** The reporter id partition {@code p} reports its exports under: {@code partition:<p>}. */
    static String reporterOf(int p) {
        return REPORTER_PREFIX + p;
    }

    /** What every partition's reporter id begins with, and no node's may. */
    static final String REPORTER_PREFIX = "partition:";

    String reporter() {
        return reporter;
    }

    // ---- fed by the holds

    /** {@code b}'s protection may have changed (its hold flipped, or a new edge reached it): see the class comment. */
    void flipped(int b) {
        if (remote.isEmpty()) return; // nothing to export (always so at P = 1); a remote edge added later flips its caller
        if (flipped == null) flipped = newSet.apply(8);
        flipped.add(b);
    }

    /** The remote callee {@code c} lost a caller: the next flush recomputes it. */
    void recheck(BlobHash c) {
        recheck.add(c);
    }

    /** {@code b} is forgotten; its id may be reused. */
    void forget(int b) {
        if (flipped != null) flipped.remove(b);
        if (cutImports != null) cutImports.remove(b);
    }

    /**
     * The next report to {@code target} is a FULL (it asked: a gap in its view, or it recovered), and the reports to it
     * echo {@code echo}, the target's generation when it asked.
     */
    void resendFull(int target, int echo) {
        Target t = target(target);
        t.fullOwed = true;
        t.echo = echo;
    }

    /** The generation of {@code target} its reports echo: its last ask for a FULL named it (0: none). */
    int echo(int target) {
        return target(target).echo;
    }

    // ---- flush

    /**
     * One report per other partition (an empty DELTA when nothing changed: also the heartbeat), by partition.
     *
     * @param incarnation this partition's incarnation ({@link Ledger#generation}): a new one restarts the seqs with a
     *                    FULL to every target
     * @param settled     false while this partition warms up: the reports are provisional (add-only in the target),
     *                    and the first settled one after them is a FULL
     */
    Map<Integer, NodeReport> flush(long incarnation, boolean settled) {
        Map<Integer, NodeReport> out = new TreeMap<>();
        if (partitioning.count() == 1) return out;
        for (Target t : targets) {
            if (t == null) continue;
            if (t.incarnation != incarnation) {
                t.incarnation = incarnation;
                t.seq = 0;
                t.contentSeq = 0;
                t.fullOwed = true;
            }
            if (settled && !t.settled) t.fullOwed = true;
            if (t.fullOwed) recomputeAll = true;
        }
        Map<Integer, List<BlobHash>> added = new TreeMap<>(), removed = new TreeMap<>();
        IntSet yes = newSet.apply(8), no = newSet.apply(8);
        Collection<BlobHash> todo = toRecompute();
        for (Target t : targets) if (t != null) todo.addAll(t.asked);
        for (BlobHash c : todo) {
            int p = partitioning.partitionOf(c);
            Target t = p == self ? null : targets[p];
            if (t == null) continue; // never: a remote callee is another partition's
            boolean exported = reserved.containsKey(c);
            if (!exported) for (int x : remote.callers(c)) {
                if (protection.isProtected(x, yes, no)) {
                    exported = true;
                    break;
                }
            }
            if (exported ? t.sent.add(c) : t.sent.remove(c) || t.asked.contains(c)) {
                (exported ? added : removed).computeIfAbsent(p, k -> new ArrayList<>()).add(c);
            }
        }
        for (Target t : targets) if (t != null) t.asked.clear();
        if (flipped != null) flipped.clear();
        recheck.clear();
        recomputeAll = false;
        Map<Integer, List<BlobHash>> cutAdded = cut == 0 ? Map.of() : cutContent();
        for (int p = 0; p < targets.length; p++) {
            Target t = targets[p];
            if (t == null) continue;
            t.seq++;
            NodeReport r = t.fullOwed
                    ? NodeReport.full(reporter, incarnation, t.seq, List.copyOf(t.sent), List.of())
                    : NodeReport.delta(reporter, incarnation, t.seq, added.getOrDefault(p, List.of()),
                    removed.getOrDefault(p, List.of()), List.of(), List.of());
            out.put(p, settled ? r : r.provisional());
            if (hasContent(t, r, settled)) t.contentSeq = t.seq;
            t.lastCut = cut == 0 ? null : cutPart(t, cutBase || t.fullOwed, cutAdded.getOrDefault(p, List.of()));
            t.fullOwed = false;
            t.settled = settled;
        }
        cutBase = false;
        return out;
    }

    /**
     * The cut content this flush adds, by target, after its exact recompute: the base, when the cut was taken since
     * the last flush (each target's exports now: the remote callees below everything held here, reservations
     * included), then the remote callees below the cut imports that are not cut content yet. Each target's
     * {@link Target#cutSet} grows by them; the imports are forwarded, and cleared.
     */
    private Map<Integer, List<BlobHash>> cutContent() {
        if (cutBase) for (Target t : targets) if (t != null) t.cutSet.addAll(t.sent);
        Map<Integer, List<BlobHash>> out = new TreeMap<>();
        if (cutImports == null || cutImports.size() == 0) return out;
        for (BlobHash c : remoteCalleesBelow(cutImports.toArray())) {
            int p = partitioning.partitionOf(c);
            Target t = p == self ? null : targets[p];
            if (t != null && t.cutSet.add(c)) out.computeIfAbsent(p, k -> new ArrayList<>()).add(c);
        }
        cutImports.clear();
        return out;
    }

    /**
     * The cut part of a report to {@code t}: a {@code base} (the first report since the cut was taken, and every
     * FULL — the target's view then holds all that {@link Target#sent} holds, which joins the cut content) or hashes
     * {@code added} move the cut seq.
     */
    private Cut cutPart(Target t, boolean base, List<BlobHash> added) {
        if (base) t.cutSet.addAll(t.sent);
        if (base || !added.isEmpty()) t.cutSeq++;
        return new Cut(cut, t.cutSeq, base, added);
    }

    /** The remote callees whose export may have changed since the last flush (all of them when recomputing all). */
    private Set<BlobHash> toRecompute() {
        Set<BlobHash> out = new LinkedHashSet<>(recheck);
        if (recomputeAll) {
            out.addAll(remote.allCallees());
            out.addAll(reserved.keySet()); // a reserved callee may have no local caller yet
            for (Target t : targets) if (t != null) out.addAll(t.sent); // those that lost every caller too
            return out;
        }
        if (flipped != null && flipped.size() > 0) out.addAll(remoteCalleesBelow(flipped.toArray()));
        return out;
    }

    /**
     * The remote callees of the blobs in the local dependency closures of {@code roots} (themselves included). Reads
     * only: unlike {@link #frontier}, nothing is remembered as asked.
     */
    Set<BlobHash> remoteCalleesBelow(int[] roots) {
        walks++;
        Set<BlobHash> out = new LinkedHashSet<>();
        if (remote.isEmpty()) return out;
        IntSet seen = newSet.apply(roots.length);
        ArrayDeque<Integer> todo = new ArrayDeque<>();
        for (int r : roots) todo.add(r);
        while (!todo.isEmpty()) {
            int x = todo.poll();
            if (!seen.add(x)) continue;
            walked++;
            out.addAll(remote.callees(x));
            for (int d : callees.apply(x)) todo.add(d);
        }
        return out;
    }

    /** How many closure walks {@link #remoteCalleesBelow} made, and the blobs they visited in all: for tests. */
    private long walks, walked;

    long[] walkCounts() {
        return new long[]{walks, walked};
    }

    // ---- for the acquire fence

    /**
     * The remote callees below {@code roots} (their local closures), grouped by owner partition, each with this
     * partition's (incarnation, seq) of its last report to that owner, read now (partitions.md §2): a report to the
     * owner after that seq was built after now, so it lists each of them as long as its caller stays protected here.
     * Before the first report to an owner: ({@code incarnation}, 0). The hashes are remembered as asked: the next
     * report to their owner lists each that is not exported then as removed (see {@link Target#asked}).
     */
    List<ProtectOutcome.Frontier> frontier(int[] roots, long incarnation) {
        return frontierOf(remoteCalleesBelow(roots), incarnation);
    }

    /** {@link #frontier} of the remote callees {@code hashes} themselves, remembered as asked. */
    private List<ProtectOutcome.Frontier> frontierOf(Collection<BlobHash> hashes, long incarnation) {
        Map<Integer, List<BlobHash>> byOwner = new TreeMap<>();
        for (BlobHash c : hashes) {
            byOwner.computeIfAbsent(partitioning.partitionOf(c), k -> new ArrayList<>()).add(c);
        }
        List<ProtectOutcome.Frontier> out = new ArrayList<>();
        byOwner.forEach((p, hs) -> {
            Target t = target(p);
            t.asked.addAll(hs);
            boolean sent = t.incarnation != Long.MIN_VALUE;
            out.add(new ProtectOutcome.Frontier(p, sent ? t.incarnation : incarnation, sent ? t.seq : 0, List.copyOf(hs)));
        });
        return out;
    }

    // ---- for registrations (partitions.md §3, phase 2)

    /**
     * Reserves the remote callees {@code hashes} for a pending registration (see the class comment), each once more,
     * and gives their frontier as {@link #frontier} does, read after the reservation: a report after that seq is
     * built after it, so it lists each of them until {@link #release}. Remembered as asked, too: a reservation
     * released before the next flush still has that flush list the hash removed, covering the sticky. Refused (IllegalArgumentException, nothing
     * reserved) for a hash this partition owns: it needs no export, and no report would carry it.
     */
    List<ProtectOutcome.Frontier> reserve(Collection<BlobHash> hashes, long incarnation) {
        Set<BlobHash> distinct = new LinkedHashSet<>(hashes);
        for (BlobHash c : distinct) {
            if (partitioning.partitionOf(c) == self) {
                throw new IllegalArgumentException(c + " is partition " + self + "'s own: nothing to reserve");
            }
        }
        for (BlobHash c : distinct) {
            reserved.merge(c, 1, Integer::sum);
            recheck.add(c); // listed by the next flush
        }
        return frontierOf(distinct, incarnation);
    }

    /**
     * Ends one reservation of each of {@code hashes} ({@link #reserve}); the last one's end makes the next flush
     * recompute the hash from its callers. A hash not reserved is left alone: the count never goes below zero.
     */
    void release(Collection<BlobHash> hashes) {
        for (BlobHash c : new LinkedHashSet<>(hashes)) {
            Integer n = reserved.get(c);
            if (n == null) continue;
            if (n > 1) {
                reserved.put(c, n - 1);
            } else {
                reserved.remove(c);
                recheck.add(c);
            }
        }
    }

    /** How many pending registrations reserve {@code c} (0: none). */
    int reservations(BlobHash c) {
        return reserved.getOrDefault(c, 0);
    }

    // ---- the settle round's cut (partitions-part2-plan §10, tier 2)

    /**
     * Takes cut {@code k} when it is newer than the one taken (a {@code SettleQuery}'s, or the cut part of an applied
     * export: the marker rule): its cut content starts empty, and the next flush takes every target's exports as its
     * base. {@code k} 0 ends the cut ({@link #endCut}); an older one is ignored. Whether it was taken (or ended).
     */
    boolean beginCut(long k) {
        if (k == 0) {
            if (cut == 0) return false;
            endCut();
            return true;
        }
        if (k <= cut) return false;
        endCut();
        cut = k;
        cutBase = true;
        return true;
    }

    /** No cut from now on (the warm-up settled, or the round said 0): the cut content and marks are dropped. */
    void endCut() {
        cut = 0;
        cutBase = false;
        if (cutImports != null) cutImports.clear();
        for (Target t : targets) {
            if (t == null) continue;
            t.cutSet.clear();
            t.cutSeq = 0;
            t.lastCut = null;
        }
    }

    /** The cut taken; 0: none. */
    long cut() {
        return cut;
    }

    /** Own blob {@code b} was named as cut content by another partition: the next flush forwards its remote callees. */
    void cutImported(int b) {
        if (cut == 0 || partitioning.count() == 1) return; // at P = 1 nothing is remote
        if (cutImports == null) cutImports = newSet.apply(8);
        cutImports.add(b);
    }

    /** The cut part of the last flush's report to {@code target}; null: no cut then. */
    Cut cutPart(int target) {
        return target(target).lastCut;
    }

    /** The cut seq to {@code target}: of the last report with cut content sent to it in {@link #cut} (0: none). */
    long cutSent(int target) {
        return target(target).cutSeq;
    }

    /** The cut content to {@code target} so far: for tests. */
    Set<BlobHash> cutContent(int target) {
        return Set.copyOf(target(target).cutSet);
    }

    /**
     * Whether the next flush sends cut content: the cut was taken since the last flush (its base), or cut imports
     * wait to be forwarded. False when no cut is taken.
     */
    boolean cutDirty() {
        return cut != 0 && (cutBase || (cutImports != null && cutImports.size() > 0));
    }

    // ---- queries

    /** What the last flush left {@code target}'s view of this partition holding. */
    Set<BlobHash> exported(int target) {
        return Set.copyOf(target(target).sent);
    }

    /**
     * Whether report {@code r} to {@code t}, about to be sent, may change the target's view (what moves
     * {@link Target#contentSeq}), and {@link Target#union} updated with it (partitions-part2-plan §10, tier 1):
     * <ul>
     *   <li>settled: {@link #withContent} (a settled DELTA's removals change the view);</li>
     *   <li>provisional: a FULL, or a DELTA that adds a hash not in {@code union}. Its removals are never content,
     *       since the target skips them, nor are adds of hashes already listed since the last FULL, since the view
     *       holds them already. So a VM retrying a refused registration — at each retry a reservation (an add) and
     *       its release or its walk's ask (a removal) of the same hash — moves the mark at its first add only, and
     *       the settle round's double collect can happen under that churn.</li>
     * </ul>
     * "No content" still means "changes no view" (the content marks the settle round's debug line reports, and its
     * tier 1, rest on that; the round itself counts only the cut's content, {@link SettleRound}).
     * The one exception, as with {@link #withContent}, is a hash the target could not hold when it was first listed
     * (unknown there, or collected): listing it again is not content, though the target might hold it by then.
     */
    private static boolean hasContent(Target t, NodeReport r, boolean settled) {
        if (settled) {
            t.union.clear();
            return withContent(r);
        }
        if (r.kind() == NodeReport.Kind.FULL) {
            t.union.clear();
            t.union.addAll(r.activeAdded());
            return true;
        }
        boolean content = false;
        for (BlobHash c : r.activeAdded()) content |= t.union.add(c);
        return content;
    }

    /**
     * The content stamp of the reports to {@code target}: the seq of the last report with content sent to it in its
     * incarnation ({@link Target#contentSeq}; 0: none). Read after a flush, it goes with each report of it: the
     * target keeps the stamp of the last report it applied as its mark of the last report with content applied.
     */
    long contentStamp(int target) {
        return target(target).contentSeq;
    }

    /**
     * Whether report {@code r} may change its target's view: a FULL (even an empty one: it replaces, or completes a
     * view with a gap), or a DELTA that lists something. An empty DELTA is a heartbeat: it moves the seq only.
     */
    static boolean withContent(NodeReport r) {
        return r.kind() == NodeReport.Kind.FULL || !r.activeAdded().isEmpty() || !r.activeRemoved().isEmpty()
                || !r.pinsAdded().isEmpty() || !r.pinsRemoved().isEmpty();
    }

    /**
     * The (incarnation, seq) of the last report with content ({@link #withContent}) sent to {@code target}:
     * (incarnation of the last report, 0) when none in it; ({@code Long.MIN_VALUE}, 0) before the first flush.
     */
    long[] lastContentSent(int target) {
        Target t = target(target);
        return new long[]{t.incarnation, t.contentSeq};
    }

    /**
     * Whether the next flush may send more than heartbeats: something flipped or is to be rechecked since the last
     * flush, a frontier named a hash, a FULL is owed to a target (it asked, or a new incarnation {@code incarnation}
     * restarts the seqs), or nothing was computed yet. Conservative: a flip need not change what is exported.
     */
    boolean dirty(long incarnation) {
        if (partitioning.count() == 1) return false;
        if (recomputeAll || !recheck.isEmpty() || (flipped != null && flipped.size() > 0)) return true;
        for (Target t : targets) {
            if (t != null && (t.fullOwed || t.incarnation != incarnation || !t.asked.isEmpty())) return true;
        }
        return false;
    }

    /** The seq of the last report to {@code target} (0: none yet in its incarnation). */
    long lastSentSeq(int target) {
        return target(target).seq;
    }

    private Target target(int p) {
        Target t = p < 0 || p >= targets.length ? null : targets[p];
        if (t == null) throw new IllegalArgumentException("partition " + self + " exports nothing to partition " + p);
        return t;
    }
}
