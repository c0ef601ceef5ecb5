package io.blobgc.sim;

import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.StaleNodePolicy;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The reference model, written from the rules (src/site/markdown/design.md §3), not from the ledger: it knows what each VM was answered (what it
 * holds, what it pinned, what the operators pinned), the callees each upload declared, and what the store holds. It
 * never asks the ledger who holds what; it only reads the ledger's statuses to compare them with the rules.
 *
 * <p>Checked after every step: nothing in use (a granted frame hold or node pin, an operator pin, or a callee of one
 * as declared when it was granted) is DELETING or missing from the store; a grant (ACQUIRED) never comes for content
 * that is not there; the store never loses content while the coordinator runs dry; deletions keep to the rate limit;
 * every few steps, a coordinator recovered from the journal has the live one's statuses and pins (nothing changes
 * without a persisted event). At the end of a quiet period, everything unused is collected.
 */
final class Oracle {

    /** Heartbeats, ResendFull rounds and message delays take a few seconds; this is generous. */
    static final long WARM_UP_LIMIT = 15_000;
    /**
     * The same in the sharded world ({@link ShardedWorld}), from the last takeover of any partition or the conductor:
     * its warm-ups end by the settle round, two equal polls of every partition, each over this world's network (one
     * message in five delayed up to 1.5 s, in order per channel) — at 15 s, 2 of 60 seeds (100–159) stalled past it
     * under a steady workload, none past 30 s.
     */
    static final long SHARDED_WARM_UP_LIMIT = Long.getLong("sim.shardedWarmUpLimit", 30_000);

    private final Simulation sim;
    /** holder (member/frame or member/pin) -> hash -> the closure it was granted with. */
    private final Map<String, Map<BlobHash, Set<BlobHash>>> holds = new HashMap<>();
    /**
     * hash -> owner -> expiry (as the operator sees it: no later than the coordinator's), from the moment the pin
     * was taken until an unpin is, as the coordinator answers them (a lost unpin leaves the pin in force).
     */
    private final Map<BlobHash, Map<String, Long>> operatorPins = new HashMap<>();
    /**
     * How long content the registry does not account for (an orphan: a registration refused or lost, a crash between
     * an upload's write and its registration) may stay in the store: the grace, the coordinators' clock skew, a walk
     * through the whole store (a page per cycle) and a sweep.
     */
    static final long ORPHAN_WINDOW = Simulation.ORPHAN_GRACE + Simulation.MAX_SKEW
            + (Simulation.HASHES / Simulation.ORPHAN_PAGE + 2) * Simulation.CYCLE + 5_000;
    /** Each persistence id's recent deletions (its sweepers keep to the rate limit: one sweeper per partition entity). */
    private final Map<String, ArrayDeque<Long>> deletions = new HashMap<>();
    /** When each blob was last in use (held, pinned, or reachable from either as the callees are now). */
    private final Map<BlobHash, Long> lastUsed = new HashMap<>();
    long grants, storeDeletions, journalChecks;

    Oracle(Simulation sim) {
        this.sim = sim;
    }

    // ---- what happened

    /** A VM was answered ACQUIRED (a frame's hold or a node pin): the blob and its callees must be in the store. */
    void granted(BlobHash h) {
        grants++;
        for (BlobHash x : closure(h)) {
            if (!sim.store.containsKey(x)) {
                throw sim.failure("ACQUIRED " + Simulation.short_(h) + " but " + Simulation.short_(x)
                        + " is not in the store (status " + sim.status(x) + ")");
            }
        }
    }

    void hold(String holder, BlobHash h) {
        holds.computeIfAbsent(holder, k -> new HashMap<>()).put(h, closure(h));
    }

    void unhold(String holder, BlobHash h) {
        Map<BlobHash, Set<BlobHash>> mine = holds.get(holder);
        if (mine != null) mine.remove(h);
    }

    void crashed(Simulation.Member m) {
        holds.keySet().removeIf(k -> k.startsWith(m.node() + "/"));
    }

    void operatorPinned(BlobHash h, String owner, long expiresAt) {
        operatorPins.computeIfAbsent(h, k -> new HashMap<>()).put(owner, expiresAt);
    }

    void operatorUnpinned(BlobHash h, String owner) {
        Map<String, Long> pins = operatorPins.get(h);
        if (pins != null) pins.remove(owner);
    }

    /** When each blob was last registered or touched (see {@link #touched}). */
    private final Map<BlobHash, Long> registeredAt = new HashMap<>();

    /**
     * The coordinator accepted {@code h}'s registration: its content was in the store then. A registration may restart
     * the grace of the blob and of its callees (a new edge from a caller in use, or one the journal last saw in use,
     * is a use of the callee): the calm check does not expect any of them collected in that calm.
     */
    void registered(BlobHash h) {
        touched(h);
    }

    /**
     * The coordinator took a command that may restart the grace of {@code h} and its callees: a registration, or an
     * acquire whatever its answer (a use is persisted before the answer is known, so one that ends STALE or REFUSED
     * restarts the grace too — a cost in liveness only). The calm check does not expect them collected in that calm.
     */
    void touched(BlobHash h) {
        for (BlobHash x : closure(h)) registeredAt.put(x, sim.now);
    }

    /**
     * S10, the fence: an instance writes only while no later instance of its persistence id has begun to act (its
     * takeover written) — else the later one decided on a journal that was about to change under it.
     */
    void writing(Simulation.Instance c, List<Coordinator.Event> events) {
        for (Simulation.Instance n : sim.samePid(c)) {
            if (n.generation > c.generation && n.tookOverAt >= 0) {
                throw sim.failure("coordinator #" + c.generation + " wrote " + events + " after #" + n.generation
                        + " took over at " + n.tookOverAt + " ms (S10)");
            }
        }
        // S10: "no earlier instance deletes any more" is written only when true: no earlier sweeper is in time
        if (events.stream().anyMatch(e -> e instanceof Coordinator.PredecessorsDone)) {
            for (Simulation.Instance o : sim.samePid(c)) {
                if (o.generation < c.generation && o.alive && o.sweeper.inTime(sim.now * 1_000_000L)
                        && o.sweeper.holdsAny()) {
                    throw sim.failure("coordinator #" + c.generation + " wrote that its predecessors are done while #"
                            + o.generation + "'s sweeper may still delete (S10)");
                }
            }
        }
    }

    /** S10: a sweeper gets a batch only under a write of its instance, so never once a later instance took over. */
    void handingOut(Simulation.Instance c, List<BlobHash> batch) {
        for (Simulation.Instance n : sim.samePid(c)) {
            if (n.generation > c.generation && n.tookOverAt >= 0) {
                throw sim.failure("coordinator #" + c.generation + " handed its sweeper " + batch.size()
                        + " blob(s) after #" + n.generation + " took over at " + n.tookOverAt + " ms (S10)");
            }
        }
    }

    /**
     * S10: a hash takes new content (a registration accepted) only when no earlier instance's sweeper may still
     * delete it: none holds it in a batch whose deadline has not come.
     */
    void newContent(Simulation.Instance c, BlobHash h) {
        for (Simulation.Instance o : sim.samePid(c)) {
            if (o.generation < c.generation && o.alive && o.sweeper.pending(h)
                    && o.sweeper.inTime(sim.now * 1_000_000L)) {
                throw sim.failure("coordinator #" + c.generation + " accepted new content for " + Simulation.short_(h)
                        + " while #" + o.generation + "'s sweeper may still delete it (S10)");
            }
        }
    }

    /** The sweeper of coordinator {@code c} deletes {@code h} from the store, now. */
    void deleting(Simulation.Instance c, BlobHash h) {
        storeDeletions++;
        // S10: a successor takes new content for what a predecessor may still delete once twice the batch deadline
        // passed after its takeover; from then on the predecessor's sweeper deletes nothing
        for (Simulation.Instance n : sim.samePid(c)) {
            if (n.generation > c.generation && n.tookOverAt >= 0 && sim.now >= n.tookOverAt + 2 * Simulation.BATCH_DEADLINE) {
                throw sim.failure("coordinator #" + c.generation + "'s sweeper deleted " + Simulation.short_(h) + " "
                        + (sim.now - n.tookOverAt) + " ms after #" + n.generation + " took over (S10)");
            }
        }
        if (c.core == null || sim.dryRun && c == sim.current(c.partition)) {
            throw sim.failure("a dry-run coordinator's sweeper deleted " + Simulation.short_(h) + " (S9)");
        }
        if (inUse().contains(h)) throw sim.failure("deleted " + Simulation.short_(h) + " while in use");
        Long used = lastUsed.get(h);
        // a failover between machines whose clocks disagree may shrink the grace by their skew (design.md §4), no more
        if (used != null && sim.now - used < Simulation.GRACE - 2 * Simulation.MAX_SKEW) {
            throw sim.failure("deleted " + Simulation.short_(h) + " " + (sim.now - used) + " ms after its last use, "
                    + "within the grace period (S3)");
        }
        ArrayDeque<Long> deletions = this.deletions.computeIfAbsent(c.pid(), pid -> new ArrayDeque<>());
        deletions.addLast(sim.now);
        while (deletions.peekFirst() <= sim.now - 1_000) deletions.removeFirst();
        double limit = Simulation.DELETES_PER_SECOND + Math.max(1, Simulation.DELETES_PER_SECOND * 0.1);
        if (deletions.size() > limit) {
            throw sim.failure(deletions.size() + " deletions within a second by " + c.pid() + ", limit "
                    + Simulation.DELETES_PER_SECOND);
        }
    }

    // ---- checks

    void check() {
        for (BlobHash h : inUse()) for (BlobHash x : closure(h)) lastUsed.put(x, sim.now);
        for (BlobHash h : inUse()) {
            if (!sim.store.containsKey(h)) {
                throw sim.failure("in use (" + whyInUse(h) + "), but " + Simulation.short_(h)
                        + " is gone from the store (status " + sim.status(h) + ")");
            }
            Simulation.Instance owner = sim.owner(h);
            if (owner != null && owner.alive && sim.status(h) == BlobStatus.DELETING) {
                throw sim.failure("in use, but " + Simulation.short_(h) + " is DELETING");
            }
        }
        for (Simulation.Instance c : sim.current()) {
            if (sim.liveness && c.alive && !c.recovering && c.ledger.warmingUp()) checkWarmUpProgress(c);
        }
        if (sim.step % 97 != 0) return;
        for (Simulation.Instance c : sim.current()) { // each persistence id's live state against its own journal
            if (!c.alive || c.recovering) continue; // a recovering one has no live state yet
            journalChecks++;
            PartitionedLedger recovered = sim.recover(c.journal, c.ledger.settings(), c.partition);
            String live = sim.persistentState(c.ledger), replayed = sim.persistentState(recovered);
            if (!live.equals(replayed)) {
                throw sim.failure("the live state differs from the journal's:\n--- live\n" + live
                        + "--- journal\n" + replayed);
            }
        }
    }

    /**
     * S5's barrier opens once every Up member delivered a FULL report: with every member alive, Up and handling its mail
     * for a while, a coordinator still warming up long after its recovery waits for something that is gone.
     */
    private void checkWarmUpProgress(Simulation.Instance c) {
        long settled = c.recoveredAt;
        for (Simulation.Member m : sim.members) {
            if (!m.alive || !m.up) return;
            settled = Math.max(settled, m.lastTrouble);
        }
        // sharded: a partition's warm-up settles with every other partition's, under a conductor
        long others = sim.sharded == null ? 0 : sim.sharded.lastTakeOver();
        if (others < 0) return;
        settled = Math.max(settled, others);
        if (sim.now - settled > (sim.sharded == null ? WARM_UP_LIMIT : SHARDED_WARM_UP_LIMIT)) {
            throw sim.failure("still warming up " + (sim.now - settled) + " ms after every member was Up and "
                    + "reporting; waiting for " + c.ledger.warmUpBlockers());
        }
    }

    /**
     * The end of a calm (no faults for {@link Simulation#STORM} ms): if the cluster stayed whole through it — the
     * coordinator recovered before it, every member alive, Up and handling its mail — every blob unused and not
     * uploaded since it began is collected by now (grace + cycles + confirmations + a sweep fit in a calm).
     */
    void checkCalm(long calmStart) {
        if (!sim.liveness) return;
        List<Simulation.Instance> current = sim.current();
        if (current.isEmpty() || sim.dryRun) return; // S9: dry
        for (Simulation.Instance c : current) if (!c.alive || c.recovering || c.recoveredAt > calmStart) return;
        if (sim.maxTransitions != Integer.MAX_VALUE) return; // paged cycles: a calm is too short (see maxTransitions)
        if (!sim.conductedSince(calmStart)) return; // no conductor, or a partition without its entity, through it
        for (Simulation.Member m : sim.members) {
            if (!m.alive || !m.up || m.lastTrouble > calmStart || m.stuckUntil > calmStart) return;
        }
        Set<BlobHash> used = new LinkedHashSet<>();
        for (BlobHash h : inUse()) used.addAll(closure(h));
        List<String> kept = new ArrayList<>();
        for (BlobHash h : sim.universe) {
            if (used.contains(h) || lastUsed.getOrDefault(h, 0L) >= calmStart
                    || registeredAt.getOrDefault(h, 0L) >= calmStart) {
                continue;
            }
            BlobStatus s = sim.status(h);
            if ((s != null && s != BlobStatus.COLLECTED) || sim.store.containsKey(h) && !youngOrphan(h, s)) {
                kept.add(Simulation.short_(h) + "=" + s + (sim.store.containsKey(h) ? "+content" : ""));
            }
        }
        if (!kept.isEmpty()) {
            String views = String.join("; ", current.stream().map(c -> String.valueOf(c.ledger.nodes(sim.now))).toList());
            throw sim.failure("unused through a calm of " + Simulation.STORM + " ms, not collected: " + kept
                    + "; views " + views + "; " + kept.stream().map(k -> info(k)).toList());
        }
    }

    /** After a quiet period: every blob nobody uses is collected (or forgotten), and its content is gone. */
    void checkCollected() {
        // S2 keeps what the callees declared since (a re-upload adding a callee) alive too: the closure as it is now
        Set<BlobHash> used = new LinkedHashSet<>();
        for (BlobHash h : inUse()) used.addAll(closure(h));
        List<String> kept = new ArrayList<>();
        for (BlobHash h : sim.universe) {
            if (used.contains(h)) continue;
            BlobStatus s = sim.status(h);
            if ((s != null && s != BlobStatus.COLLECTED) || sim.store.containsKey(h)) {
                kept.add(Simulation.short_(h) + "=" + s + (sim.store.containsKey(h) ? "+content" : ""));
            }
        }
        if (!kept.isEmpty()) {
            throw sim.failure("unused, not collected after a quiet period: " + kept + "\n" + kept.stream()
                    .map(k -> info(k)).toList());
        }
    }

    /** What the owner's current instance says of the blob {@code kept} names (it starts with its short hash). */
    private String info(String kept) {
        BlobHash h = sim.universe.stream().filter(x -> kept.startsWith(Simulation.short_(x))).findFirst().orElseThrow();
        Simulation.Instance owner = sim.owner(h);
        return owner == null ? "no instance acts for its partition" : owner.ledger.info(h).toString();
    }

    private String whyInUse(BlobHash h) {
        List<String> why = new ArrayList<>();
        holds.forEach((holder, mine) -> mine.forEach((root, closure) -> {
            if (closure.contains(h)) why.add(holder + " holds " + Simulation.short_(root));
        }));
        operatorPins.forEach((root, pins) -> {
            if (closure(root).contains(h)) why.add("operator pins " + Simulation.short_(root) + " " + pins.keySet());
        });
        return String.join(", ", why);
    }

    /** Everything in use: held or pinned, and the callees each was granted with. */
    Set<BlobHash> inUse() {
        Set<BlobHash> used = new LinkedHashSet<>();
        for (Map<BlobHash, Set<BlobHash>> mine : holds.values()) mine.values().forEach(used::addAll);
        operatorPins.forEach((h, pins) -> {
            if (pins.values().stream().anyMatch(expiry -> expiry > sim.now)) used.addAll(closure(h));
        });
        return used;
    }

    private Set<BlobHash> closure(BlobHash h) {
        Set<BlobHash> out = new LinkedHashSet<>();
        ArrayDeque<BlobHash> todo = new ArrayDeque<>(List.of(h));
        while (!todo.isEmpty()) {
            BlobHash x = todo.poll();
            if (out.add(x)) todo.addAll(sim.declaredDeps.getOrDefault(x, List.of()));
        }
        return out;
    }

    /** Content in the store that the registry does not account for, written too recently to be deleted by now. */
    private boolean youngOrphan(BlobHash h, BlobStatus s) {
        Long written = sim.store.get(h);
        return (s == null || s == BlobStatus.COLLECTED) && written != null && written > sim.now - ORPHAN_WINDOW;
    }

    static LedgerSettings settings() {
        return new LedgerSettings(Simulation.GRACE, Simulation.STALE, 1, StaleNodePolicy.RETAIN,
                Simulation.TOMBSTONE_TTL, 20);
    }
}
