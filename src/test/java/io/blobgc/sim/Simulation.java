package io.blobgc.sim;

import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator;
import io.blobgc.coordinator.CoordinatorCore;
import io.blobgc.coordinator.HostileCommands;
import io.blobgc.coordinator.SweeperCore;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.LedgerDump;
import io.blobgc.ledger.Partitioning;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import io.blobgc.protocol.ReporterProtocol.Registered;
import io.blobgc.store.BlobStore;
import io.blobgc.ledger.ReportOutcome;
import io.blobgc.ledger.StaleNodePolicy;
import io.blobgc.node.ReporterCore;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * A deterministic simulation of the whole protocol (SIMULATION.md): the reporters ({@link ReporterCore}), the
 * coordinator's decisions and event handling ({@link CoordinatorCore} over a {@link PartitionedLedger}, a journal with
 * snapshots, crash and recovery, the warm-up), its sweeper ({@link SweeperCore}), a blob store, membership and a VM
 * workload, all on one seeded scheduler. The actors drive the same cores; this is the world they would live in.
 *
 * <p>Messages between two live parties keep their order (Artery does not reorder one sender's messages to one
 * receiver) but take random delays; a crash loses what was in flight to or from the crashed member. Faults: kill -9
 * of any member (the coordinator moves and recovers from the journal), a coordinator restart (a journal failure),
 * possibly with dry-run switched, failing store deletes. Membership events reach the coordinator late.
 *
 * <p>With {@code sharded}, each partition is an entity of its own under a conductor, exchanging messages
 * ({@link ShardedWorld}): {@code partition-hosting = sharded}.
 *
 * <p>{@link Oracle} checks after every step, from what the VMs were answered, never from the ledger's opinion.
 */
final class Simulation {

    // ---- settings (ms)
    static final long GRACE = 12_000, CYCLE = 3_000, HEARTBEAT = 1_000, STALE = 8_000, TOMBSTONE_TTL = 30_000;
    static final long ACQUIRE_TIMEOUT = 4_000, DOWN_AFTER = 6_000;
    /** Each member's wall clock is off by up to this much (persisted times cross members; local durations do not). */
    static final long MAX_SKEW = 3_000;
    /** Faults strike in storms, with calms between (so the rules that need a quiet while are checked mid-run too). */
    static final long STORM = 40_000;
    static final double DELETES_PER_SECOND = 3;
    /** The store reconciliation: content older than this that the registry does not account for is deleted. */
    static final long ORPHAN_GRACE = 6_000;
    static final int ORPHAN_PAGE = 20;
    /** The sweeper deletes nothing of a batch this long after the coordinator decided to write it (S10). */
    static final long BATCH_DEADLINE = 10_000;
    static final int MEMBERS = 3, HASHES = 40, CHUNK = 4, SNAPSHOT_EVERY = 25;
    /** What the hostile operator sends: commands the coordinator refuses or only reads, about a hash nobody uploads. */
    private static final List<HostileCommands.Named> HOSTILE =
            HostileCommands.refused(BlobHash.sha256("never uploaded by anyone".getBytes()));

    final long seed;
    final Random rnd;
    /**
     * The coordinator's max-transitions-per-cycle: one seed in three pages its cycles (1 to 8 status changes a cycle),
     * drawn apart from {@link #rnd} so the other seeds run as they always did. Such a seed's calms are too short to
     * collect a backlog a page at a time: its liveness is checked after the final quiet period only, made longer.
     */
    final int maxTransitions;
    final Oracle oracle;
    long now;
    long step;
    private long seqNo;
    private final PriorityQueue<Ev> queue = new PriorityQueue<>();
    final ArrayDeque<String> trace = new ArrayDeque<>();
    boolean faults = true;
    /** Whether the oracle checks progress too (warm-ups end, calms and quiet periods collect), not only safety. */
    boolean liveness = true;
    boolean workload = true;

    // the world
    final List<BlobHash> universe = new ArrayList<>();
    /** The store: each blob's content and when it was written (the store's clock: the simulation's). */
    final TreeMap<BlobHash, Long> store = new TreeMap<>();
    final Map<BlobHash, List<BlobHash>> declaredDeps = new HashMap<>();
    /** The callees of each blob: a fact of its content (a third of the blobs call one with a lower index). */
    final Map<BlobHash, List<BlobHash>> callees = new HashMap<>();
    final List<Member> members = new ArrayList<>();
    /** The coordinator's journal ({@code blob-gc-coordinator}): at P = 1, and for P partitions in one coordinator. */
    final Journal whole = new Journal(Coordinator.PERSISTENCE_ID.id());
    /** How the registry is split (partitions.md): P = 1, or P partitions of one coordinator in one JVM. */
    final Partitioning partitioning;
    Instance coordinator;
    /** Every coordinator instance started, in order (the oracle asks which came after which). */
    final List<Instance> instances = new ArrayList<>();
    private int generations;
    boolean dryRun;
    /** When the proxy has no singleton to send to, it buffers (as Pekko's singleton proxy does). */
    private final List<Runnable> proxyBuffer = new ArrayList<>();
    /** The sharded world (partition entities and their conductor, {@link ShardedWorld}); null: one coordinator hosts all. */
    final ShardedWorld sharded;

    Simulation(long seed) {
        this(seed, 1);
    }

    /** @param partitions the coordinator's number of partitions (partitions.md): 1, or P exchanging exports at once */
    Simulation(long seed, int partitions) {
        this(seed, partitions, false);
    }

    /**
     * @param partitions  the number of partitions
     * @param sharded     each partition an entity of its own, with a conductor, exchanging messages ({@link ShardedWorld});
     *                    false: one coordinator hosts every partition
     */
    Simulation(long seed, int partitions, boolean sharded) {
        this.seed = seed;
        this.partitioning = Partitioning.of(partitions);
        this.sharded = sharded ? new ShardedWorld(this) : null;
        this.rnd = new Random(seed);
        Random paging = new Random(seed * 0x9E3779B97F4A7C15L + 1);
        this.maxTransitions = paging.nextInt(3) == 0 ? 1 + paging.nextInt(8) : Integer.MAX_VALUE;
        this.oracle = new Oracle(this);
        for (int i = 0; i < HASHES; i++) universe.add(BlobHash.sha256(("blob-" + i).getBytes()));
        for (int i = 0; i < HASHES; i++) {
            callees.put(universe.get(i), i > 0 && rnd.nextInt(3) == 0 ? List.of(universe.get(rnd.nextInt(i))) : List.of());
        }
        if (this.sharded != null) this.sharded.chain(callees, universe);
        for (int i = 1; i <= MEMBERS; i++) members.add(new Member("m" + i));
        for (Member m : members) m.start();
        startCoordinator();
    }

    // =====================================================================================================
    // scheduler
    // =====================================================================================================

    private record Ev(long time, long seq, String what, Runnable action) implements Comparable<Ev> {
        public int compareTo(Ev o) {
            return time != o.time ? Long.compare(time, o.time) : Long.compare(seq, o.seq);
        }
    }

    void at(long delay, String what, Runnable action) {
        queue.add(new Ev(now + Math.max(0, delay), seqNo++, what, action));
    }

    long delay() {
        return rnd.nextInt(10) < 8 ? rnd.nextInt(40) : rnd.nextInt(1_500);
    }

    /** Runs {@code steps} events (a workload and fault step each 100 ms of simulated time among them). */
    void run(long steps) {
        long end = step + steps;
        while (step < end && !queue.isEmpty()) {
            Ev e = queue.poll();
            now = e.time;
            step++;
            log(e.what);
            try {
                try {
                    e.action.run();
                } catch (Fenced fenced) {
                    log(fenced.getMessage()); // the persist failed: nothing of this command happened
                }
                oracle.check();
            } catch (AssertionError | RuntimeException x) {
                if (x.getMessage() != null && x.getMessage().startsWith("seed ")) throw x;
                AssertionError f = failure("the step threw " + x);
                f.initCause(x);
                throw f;
            }
        }
    }

    void runFor(long ms) {
        long end = now + ms;
        while (!queue.isEmpty() && queue.peek().time <= end) run(1);
        now = end;
    }

    void log(String what) {
        trace.addLast(now + " ms #" + step + ": " + what);
        if (trace.size() > Integer.getInteger("sim.trace", 60)) trace.removeFirst();
    }

    AssertionError failure(String what) {
        return new AssertionError("seed " + seed + ", step " + step + ", " + now + " ms: " + what
                + "\nlast events:\n  " + String.join("\n  ", trace));
    }

    // =====================================================================================================
    // the coordinator: journal, recovery, decisions
    // =====================================================================================================

    final class Instance {
        final int generation = ++generations;
        final Member host;
        /** The partition this instance hosts alone (a partition entity), or -1: the whole registry (the coordinator). */
        final int partition;
        /** The journal this instance recovers from and writes to: its persistence id's. */
        final Journal journal;
        final PartitionedLedger ledger;
        final CoordinatorCore core;
        final SweeperCore sweeper = new SweeperCore(DELETES_PER_SECOND, 200, 2_000, 1_000_000_000L);
        boolean alive = true;
        /** Recovery takes a while: what arrives before it completes is stashed, as the actor does. */
        boolean recovering = true;
        long recoveredAt;
        final List<Runnable> stash = new ArrayList<>();
        /** The journal's length as this instance knows it: its next write takes that sequence number. */
        int position;
        /** When this instance's takeover was written and it began to act (-1: not yet). */
        long tookOverAt = -1;

        /**
         * @param partition -1 for the whole registry; else the partition entity of that partition, its ledger hosting
         *                  it alone (the sharded world's: {@link ShardedWorld.Entity} holds its linked cores)
         */
        Instance(Member host, int partition, Journal journal) {
            this(host, partition, journal, new CoordinatorCore(dryRun));
        }

        /**
         * @param core the actor's decisions, which a restart in place keeps (the same actor object recovers again:
         *             {@code Coordinator}'s restart with backoff on a journal failure)
         */
        Instance(Member host, int partition, Journal journal, CoordinatorCore core) {
            if (partition < -1 || partition >= partitioning.count()) {
                throw new IllegalArgumentException("no partition " + partition + " of " + partitioning.count());
            }
            instances.add(this);
            this.host = host;
            this.partition = partition;
            this.journal = journal;
            this.core = core;
            LedgerSettings settings = new LedgerSettings(GRACE, STALE, 1, StaleNodePolicy.RETAIN, TOMBSTONE_TTL, 20,
                    maxTransitions);
            this.ledger = recover(journal, settings, partition);
            this.position = journal.size();
            host.hosted = this;
        }

        /** The persistence id this instance writes under: instances of one id fence each other out (S10). */
        String pid() {
            return journal.pid;
        }

        /** Recovery completed: membership is read now, then the stashed messages are handled in order. */
        void recovered() {
            core.recovered(ledger, upNodes(), now);
            run(core.takeOver("#" + generation, wall(), BATCH_DEADLINE)); // S10: the first write, before anything is handled
            core.tookOver(ledger, now, BATCH_DEADLINE);
            tookOverAt = now;
            recovering = false;
            recoveredAt = now;
            // subscribed now (Coordinator.onRecovered): membership's initial state as events, then its current state —
            // both arrive after what was stashed, which is handled first
            Instance c = this;
            for (Member m : members) if (m.up) toCoordinator(c, "member up " + m.node(), () -> ledger.memberUp(m.node(), now));
            toCoordinator(c, "members now", () -> membersNow(ledger));
            runAll(stash);
        }

        /** This instance's wall clock (persisted times); {@code now} is its monotonic clock. */
        long wall() {
            return now + host.skew;
        }

        /**
         * A cycle as the actor runs it: planned, persisted, applied, then the partitions' exports flushed. At P &gt; 1
         * each export travels on its own (partitions.md step 5): after a random delay, sometimes duplicated, lost or
         * overtaken by a later one, and only to this instance (a partition's messages die with its JVM).
         */
        CycleOutcome cycle(boolean dryRun) {
            CycleOutcome o = run(core.cycle(ledger, dryRun, wall(), now));
            for (PartitionedLedger.Export e : ledger.flushExports(now)) {
                int copies = rnd.nextInt(20) == 0 ? 0 : rnd.nextInt(10) == 0 ? 2 : 1; // lost, duplicated
                for (int i = 0; i < copies; i++) {
                    Instance c = this;
                    at(rnd.nextInt(3_000), "export " + e.from() + " -> " + e.to() + " seq " + e.report().seq(), () -> {
                        if (c.alive && !c.recovering) ledger.deliverExport(e, now);
                    });
                }
            }
            return o;
        }

        /**
         * Persists the decision's events (appended to this instance's {@link #journal}, then applied) and returns the
         * reply. A write whose sequence number another instance of the same persistence id took since this one
         * recovered (or last wrote) is refused, as the journal's unique key refuses it (S10): this instance restarts,
         * and nothing of the command happens ({@link Fenced}).
         */
        <R> R run(CoordinatorCore.Decision<R> d) {
            if (!d.events().isEmpty() && journal.size() != position) {
                alive = false;
                Instance fenced = this;
                if (coordinator == fenced) {
                    at(500 + rnd.nextInt(2_000), "coordinator restart (fenced)", () -> {
                        if (coordinator == fenced) startCoordinator();
                    });
                }
                if (sharded != null) sharded.fenced(fenced);
                throw new Fenced("coordinator #" + generation + "'s write refused: the journal moved on (" + position
                        + " -> " + journal.size() + "); it restarts");
            }
            if (!d.events().isEmpty()) oracle.writing(this, d.events());
            for (Coordinator.Event e : d.events()) {
                position++;
                journal.events.add(e);
                CoordinatorCore.apply(ledger, e);
                if (journal.size() - journal.snapshotAt >= SNAPSHOT_EVERY) {
                    journal.snapshot = ledger.snapshots();
                    journal.snapshotAt = journal.size();
                }
            }
            return d.reply().apply(ledger);
        }
    }

    /** A write refused by the journal (S10): the command that made it is over, unanswered. */
    static final class Fenced extends RuntimeException {
        Fenced(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * A paused member's JVM runs nothing until it resumes: then {@code action} runs (in order with what else waited).
     * True when it was deferred.
     */
    boolean deferred(Member m, String what, Runnable action) {
        if (now >= m.pausedUntil) return false;
        at(m.pausedUntil - now, what + " (" + m.node() + " resumed)", action);
        return true;
    }

    /** A fresh recovery of the whole registry from {@code j} ({@link #recover(Journal, LedgerSettings, int)}). */
    PartitionedLedger recover(Journal j, LedgerSettings settings) {
        return recover(j, settings, -1);
    }

    /**
     * A fresh recovery from {@code j}: its snapshot, then the events after it, through the actor's event handler — of
     * the whole registry ({@code partition} -1), or of one partition's entity, whose ledger hosts it alone.
     */
    PartitionedLedger recover(Journal j, LedgerSettings settings, int partition) {
        PartitionedLedger l;
        if (partition < 0) {
            l = j.snapshot == null ? new PartitionedLedger(settings, 1024, partitioning)
                    : PartitionedLedger.fromSnapshots(settings, j.snapshot, partitioning);
        } else {
            l = j.snapshot == null ? PartitionedLedger.hosting(settings, 1024, partitioning, partition)
                    : PartitionedLedger.hostingFromSnapshot(settings, j.snapshot.get(0), partitioning, partition);
        }
        for (int i = j.snapshotAt; i < j.size(); i++) CoordinatorCore.apply(l, j.events.get(i));
        return l;
    }

    /** The journal of partition {@code p}'s entity ({@code blob-gc-partition|p}). */
    static Journal partitionJournal(int p) {
        return new Journal("blob-gc-partition|" + p);
    }

    /** The nodes of the members that are Up now (what a recovery reads of membership). */
    List<String> upNodes() {
        List<String> up = new ArrayList<>();
        for (Member m : members) if (m.up) up.add(m.node());
        return up;
    }

    /** Membership's current state as a recovered instance learns it: every node {@code l} knows and is not Up, removed. */
    void membersNow(PartitionedLedger l) {
        Set<String> present = new HashSet<>(upNodes());
        for (String n : l.members()) if (!present.contains(n)) l.memberRemoved(n, now);
    }

    /** The receptionist lists the reporters to a new coordinator or entity: each is asked for a FULL report. */
    void askEveryReporterForAFull(String why) {
        for (Member m : members) if (m.alive) m.toReporter(why, r -> m.run(r.resendFull(Long.MIN_VALUE, Long.MIN_VALUE)));
    }

    /** Runs what {@code waiting} holds, in order, and empties it first (what runs may add to it again). */
    static void runAll(List<Runnable> waiting) {
        List<Runnable> now = new ArrayList<>(waiting);
        waiting.clear();
        now.forEach(Runnable::run);
    }

    Member oldestUp() {
        for (Member m : members) if (m.alive && m.up) return m;
        return null;
    }

    void startCoordinator() {
        if (sharded != null) {
            sharded.ensureRunning();
            return;
        }
        Member host = oldestUp();
        if (host == null) return;
        Instance c = new Instance(host, -1, whole);
        coordinator = c;
        log("coordinator #" + c.generation + " recovering on " + host.node() + (dryRun ? " (dry run)" : "")
                + ", journal " + whole.size());
        at(100 + rnd.nextInt(5_000), "coordinator #" + c.generation + " recovery completes", () -> completeRecovery(c));
        if (faults && rnd.nextInt(4) == 0) {
            // failures come in groups (a rack, a bad deploy): another member dies while the new coordinator recovers
            at(rnd.nextInt(1_500), "a second failure", () -> {
                Member m = members.get(rnd.nextInt(MEMBERS));
                if (faults && m != c.host && m.alive && members.stream().filter(x -> x.alive).count() > 1) m.crash();
            });
        }
        askEveryReporterForAFull("new coordinator");
        runAll(proxyBuffer);
        scheduleCycle(c);
        scheduleStaleness(c);
        wakeSweeper(c, 0);
    }

    private void completeRecovery(Instance c) {
        if (c.alive && !deferred(c.host, "coordinator #" + c.generation + " recovery completes",
                () -> completeRecovery(c))) {
            c.recovered();
        }
    }

    /** A message to the coordinator singleton; lost if the instance it reaches has died since. */
    void toCoordinator(String what, java.util.function.Consumer<Instance> handler) {
        Instance c = coordinator;
        if (c == null || !c.alive) {
            proxyBuffer.add(() -> toCoordinator(what, handler));
            return;
        }
        toCoordinator(c, what, () -> handler.accept(c));
    }

    private final Map<String, Long> channelClock = new HashMap<>();

    /** Delivers in order per channel, after a random delay, unless the receiving instance died. */
    void send(String channel, String what, Runnable action, java.util.function.BooleanSupplier alive) {
        long t = Math.max(now + delay(), channelClock.getOrDefault(channel, 0L));
        channelClock.put(channel, t);
        queue.add(new Ev(t, seqNo++, what, () -> {
            if (alive.getAsBoolean()) action.run();
        }));
    }

    private void toCoordinator(Instance c, String what, Runnable action) {
        send("to-coordinator-" + c.generation, what + " -> coordinator #" + c.generation,
                () -> deliver(c, what, action), () -> c.alive);
    }

    private void deliver(Instance c, String what, Runnable action) {
        if (!c.alive || deferred(c.host, what, () -> deliver(c, what, action))) return;
        if (c.recovering) c.stash.add(action);
        else action.run();
    }

    /**
     * The store reconciliation after a cycle: the sweeper lists a page of the store after the walk's position and
     * the coordinator condemns its orphans (content of hashes it does not know or holds as COLLECTED, older than
     * {@link #ORPHAN_GRACE}), which the sweeper then deletes with its batches.
     */
    void scanStore(Instance c) {
        scanStore(c, false);
    }

    /** {@link #scanStore(Instance)} after a cycle that was {@code dryRun}: its orphans are named only (S9). */
    void scanStore(Instance c, boolean dryRun) {
        BlobHash after = c.core.orphanScanAfter();
        at(delay(), "sweeper #" + c.generation + " lists the store after " + short_(after),
                () -> listStore(c, after, dryRun));
    }

    private void listStore(Instance c, BlobHash after, boolean dryRunAsked) {
        {
            if (!c.alive || deferred(c.host, "sweeper #" + c.generation + " lists the store",
                    () -> listStore(c, after, dryRunAsked))) return;
            List<BlobStore.Entry> entries = new ArrayList<>();
            boolean more = false;
            for (Map.Entry<BlobHash, Long> e : (after == null ? store : store.tailMap(after, false)).entrySet()) {
                if (entries.size() == ORPHAN_PAGE) {
                    more = true;
                    break;
                }
                entries.add(new BlobStore.Entry(e.getKey(), e.getValue()));
            }
            boolean hasMore = more;
            toCoordinator(c, "store page after " + short_(after), () -> {
                List<BlobHash> orphans = c.run(c.core.storePage(c.ledger, after, entries, hasMore, dryRunAsked, c.wall(),
                        ORPHAN_GRACE));
                if (!orphans.isEmpty()) {
                    log("orphans condemned" + (dryRun || dryRunAsked ? " (dry run: named only)" : "") + ": " + orphans.stream()
                            .map(Simulation::short_).toList());
                    wakeSweeper(c, 0);
                }
            });
        }
    }

    private void scheduleCycle(Instance c) {
        at(CYCLE, "cycle tick #" + c.generation, () -> cycleTick(c));
    }

    private void cycleTick(Instance c) {
        {
            if (!c.alive || deferred(c.host, "cycle tick #" + c.generation, () -> cycleTick(c))) return;
            if (c.recovering) {
                scheduleCycle(c);
                return;
            }
            scheduleCycle(c); // a fixed-delay timer: the next tick comes whether this one's write succeeds or not
            c.run(c.core.windowOver(c.ledger, now, c.wall())); // the actor's WindowOver timer, checked every cycle here
            var o = c.cycle(false);
            if (!o.dryRun()) wakeSweeper(c, 0);
            scanStore(c);
        }
    }

    void scheduleStaleness(Instance c) {
        at(HEARTBEAT, "staleness tick #" + c.generation, () -> stalenessTick(c));
    }

    private void stalenessTick(Instance c) {
        {
            if (!c.alive || deferred(c.host, "staleness tick #" + c.generation, () -> stalenessTick(c))) return;
            if (c.recovering) {
                scheduleStaleness(c);
                return;
            }
            if (c.ledger.warmingUp()) {
                List<String> blockers = c.ledger.warmUpBlockers();
                for (Member m : members) {
                    if (m.alive && blockers.contains(m.node())) {
                        m.toReporter("warm-up asks a FULL", r -> m.run(r.resendFull(Long.MIN_VALUE, Long.MIN_VALUE)));
                    }
                }
            }
            scheduleStaleness(c);
        }
    }

    long ghostReports;

    void report(Instance c, Member m, long incarnation, NodeReport r) {
        if (!c.ledger.members().contains(r.node()) && (!m.alive || m.reporter.incarnation() != incarnation)) ghostReports++;
        var result = c.run(c.core.report(r, now));
        if (result.warmUpCompleted()) {
            c.cycle(false);
            wakeSweeper(c, 0);
        }
        if (result.outcome() == ReportOutcome.NEED_FULL) {
            m.toReporter("ResendFull", incarnation, rep -> m.run(rep.resendFull(r.incarnation(), r.seq())));
        }
    }

    // ---- the sweeper: a child of the coordinator, same member

    void wakeSweeper(Instance c, long delay) {
        at(delay, "sweeper wake #" + c.generation, () -> sweeperWakes(c));
    }

    private void sweeperWakes(Instance c) {
        {
            if (!c.alive || deferred(c.host, "sweeper wake #" + c.generation, () -> sweeperWakes(c))) return;
            if (c.recovering) {
                wakeSweeper(c, 500);
                return;
            }
            if (!c.sweeper.wake(now * 1_000_000L)) return;
            long deadline = (now + BATCH_DEADLINE) * 1_000_000L; // counted from before the batch's write (S10)
            List<BlobHash> batch = c.run(c.core.startDeletion(c.ledger, 8, c.wall()));
            if (!batch.isEmpty()) oracle.handingOut(c, batch);
            c.sweeper.batch(batch, now * 1_000_000L, deadline);
            if (!batch.isEmpty()) sweepTick(c);
        }
    }

    private void sweepTick(Instance c) {
        if (!c.alive || deferred(c.host, "sweeper tick #" + c.generation, () -> sweepTick(c))) return;
        for (BlobHash h : c.sweeper.due(now * 1_000_000L)) {
            if (!c.sweeper.inTime(now * 1_000_000L)) {
                c.sweeper.lapsed(h);
            } else if (storm() && rnd.nextInt(20) == 0) {
                c.sweeper.failed(h);
                c.run(c.core.deletionFailed(c.ledger, h, "simulated I/O error", c.wall()));
            } else {
                oracle.deleting(c, h);
                store.remove(h);
                c.sweeper.deleted(h, 1);
            }
        }
        if (c.sweeper.batchDone()) {
            Optional<SweeperCore.Confirmation> done = c.sweeper.finishBatch(now * 1_000_000L);
            done.ifPresent(conf -> c.run(c.core.confirmDeleted(conf.hashes(), conf.bytes(), c.wall())));
            c.core.batchExpired(c.sweeper.takeExpired());
            wakeSweeper(c, c.sweeper.nextWakeDelayMs());
            return;
        }
        long wait = Math.max(1, c.sweeper.nanosUntilNextDeletion(now * 1_000_000L) / 1_000_000L);
        at(wait, "sweeper tick #" + c.generation, () -> sweepTick(c));
    }

    // =====================================================================================================
    // members: a reporter and a VM each
    // =====================================================================================================

    final class Member {
        final String name;
        final long skew = rnd.nextLong(-MAX_SKEW, MAX_SKEW + 1);
        int restarts;
        boolean alive;
        boolean up;
        ReporterCore reporter;
        /** What this member's VM was granted: frame -> hashes (a frame acquires each hash at most once). */
        final Map<String, Set<BlobHash>> frames = new TreeMap<>();
        final Set<BlobHash> pins = new HashSet<>();
        /** Acquires asked and not answered yet (frame + hash): a frame asks once. */
        final Set<String> asked = new HashSet<>();
        /** A stuck reporter actor: alive and Up, but it handles nothing until then (its mailbox waits). */
        long stuckUntil;
        /** When this member last crashed, restarted or got stuck (the warm-up may wait for it). */
        long lastTrouble;
        /** A paused JVM (GC, SIGSTOP, a frozen VM): nothing on it runs until then — its coordinator instance neither. */
        long pausedUntil;
        /** The cluster removed it while it was paused: it exits soon after it resumes (and learns of it). */
        boolean removedWhilePaused;
        /** The coordinator instance this member runs (or ran last). */
        Instance hosted;

        Member(String name) {
            this.name = name;
        }

        String node() {
            return name + "#" + restarts;
        }

        Simulation sim() {
            return Simulation.this;
        }

        void start() {
            alive = true;
            lastTrouble = now;
            stuckUntil = 0; // a new JVM
            pausedUntil = 0;
            removedWhilePaused = false;
            reporter = new ReporterCore(node(), now + restarts, CHUNK);
            frames.clear();
            pins.clear();
            asked.clear();
            long incarnation = reporter.incarnation();
            // it joins: membership says Up to the coordinator, late
            at(delay(), "member " + node() + " up", () -> {
                if (!alive || reporter.incarnation() != incarnation) return;
                up = true;
                if (sharded != null) {
                    String node = node();
                    sharded.membership("member up " + node, c -> c.ledger.memberUp(node, now));
                    sharded.ensureRunning();
                    sharded.memberJoined();
                    return;
                }
                Instance c = coordinator;
                if (c != null && c.alive) toCoordinator(c, "member up " + node(), () -> c.ledger.memberUp(node(), now));
                if (c == null || !c.alive) startCoordinator();
            });
            run(reporter.report());
            heartbeat(incarnation);
        }

        /** Runs a reporter message now, or when the stuck reporter gets going again (in order). */
        void whenNotStuck(String what, Runnable action) {
            if (now < stuckUntil) at(stuckUntil - now, what + " (" + node() + " was stuck)", () -> whenNotStuck(what, action));
            else action.run();
        }

        private void heartbeat(long incarnation) {
            at(HEARTBEAT, "heartbeat " + node(), () -> {
                if (!alive || reporter.incarnation() != incarnation) return;
                if (now >= stuckUntil) run(reporter.report());
                heartbeat(incarnation);
            });
        }

        void toReporter(String what, java.util.function.Consumer<ReporterCore> handler) {
            toReporter(what, reporter.incarnation(), handler);
        }

        void toReporter(String what, long incarnation, java.util.function.Consumer<ReporterCore> handler) {
            send("to-" + node() + "-" + incarnation, what + " -> " + node(), () -> whenNotStuck(what, () -> {
                if (alive && reporter.incarnation() == incarnation) handler.accept(reporter); // (still) this JVM
            }), () -> alive && reporter.incarnation() == incarnation);
        }

        /** Carries out the reporter's outputs, as NodeReporter does. */
        void run(List<ReporterCore.Output> outputs) {
            long incarnation = reporter.incarnation();
            String node = node();
            for (ReporterCore.Output o : outputs) {
                if (o instanceof ReporterCore.SendReport s) {
                    NodeReport r = s.report();
                    if (sharded != null) sharded.report(this, incarnation, r);
                    else toCoordinator("report " + r.kind() + " " + node + " #" + r.seq(), c -> report(c, this, incarnation, r));
                } else if (o instanceof ReporterCore.AskAcquire a) {
                    java.util.function.Consumer<Instance> ask = c -> {
                        // whatever its answer, an acquire the coordinator takes may persist a use (its grace restarts)
                        oracle.touched(a.hash());
                        AcquireReply reply = c.run(c.core.acquire(c.ledger, node, incarnation, a.afterSeq(), a.hash(), c.wall(),
                                now));
                        toReporter("acquire answer " + reply.result() + " " + short_(a.hash()), incarnation, r -> run(r.acquireAnswered(a.ask(), reply)));
                    };
                    if (sharded != null) sharded.acquire(this, incarnation, a);
                    else toCoordinator("acquire " + short_(a.hash()) + " for " + node, ask);
                    if (faults && rnd.nextInt(50) == 0) {
                        // a retry (an HTTP client's, or across a failover) delivers the same acquire again, later
                        at(rnd.nextInt(8_000), "duplicate acquire", () -> {
                            if (sharded != null) sharded.acquire(this, incarnation, a);
                            else toCoordinator("duplicate acquire " + short_(a.hash()) + " for " + node, ask);
                        });
                    }
                    at(ACQUIRE_TIMEOUT, "acquire timeout " + node, () -> whenNotStuck("acquire timeout", () -> {
                        if (alive && reporter.incarnation() == incarnation) run(reporter.acquireFailed(a.ask(), "timeout"));
                    }));
                } else if (o instanceof ReporterCore.ReplyAcquire r) {
                    ((Waiter) r.replyTo()).answer(r.reply());
                }
                // Watch/Unwatch: the VM releases explicitly here; leases are not exercised by this world
            }
        }

        void crash() {
            log("kill -9 " + node());
            alive = false;
            lastTrouble = now;
            frames.clear();
            pins.clear();
            oracle.crashed(this);
            stopInstances(this); // the current one, and an old one paused here and fenced out since
            String gone = node();
            at(DOWN_AFTER / 3 + rnd.nextInt((int) DOWN_AFTER), "downed and removed " + gone, () -> {
                up = false;
                memberRemoved(gone);
                if (coordinator == null || !coordinator.alive) startCoordinator();
                at(1_000 + rnd.nextInt(5_000), "restart " + name, () -> {
                    restarts++;
                    start();
                });
            });
        }
    }

    /** A VM waiting for the fence's answer: a frame's acquire or a node pin. */
    record Waiter(Member member, long incarnation, String frame, BlobHash hash) {
        void answer(AcquireReply reply) {
            // while an ask waits, its reporter lists the blob in every report (the coordinator holds it): a use
            member.sim().oracle.touched(hash);
            // a member removed while paused runs on until it learns of it, but nothing protects its VM's holds any
            // more (the cluster dropped it): it must exit, and it does, holding nothing the oracle would count
            if (!member.alive || member.reporter.incarnation() != incarnation || member.removedWhilePaused) return;
            member.asked.remove(frame + hash);
            if (reply.result() != AcquireResult.ACQUIRED) return;
            member.sim().oracle.granted(hash);
            if (frame == null) member.pins.add(hash);
            else member.frames.computeIfAbsent(frame, f -> new HashSet<>()).add(hash);
            member.sim().oracle.hold(member.node() + "/" + (frame == null ? "pin" : frame), hash);
        }
    }

    static String short_(BlobHash h) {
        return h == null ? "null" : h.toString().substring(0, 6);
    }

    // =====================================================================================================
    // workload and faults
    // =====================================================================================================

    void workloadStep() {
        at(100, "workload", () -> {
            if (workload) act();
            if (storm()) fault(); // storms and calms of STORM ms each
            if (faults && now % (2 * STORM) == 0 && now > 0) oracle.checkCalm(now - STORM); // a calm just ended
            workloadStep();
        });
    }

    private void act() {
        Member m = members.get(rnd.nextInt(MEMBERS));
        if (!m.alive || now < m.stuckUntil || m.removedWhilePaused) return; // a VM whose reporter is stuck waits
        BlobHash drawn = universe.get(rnd.nextInt(universe.size()));
        String frame = "f" + rnd.nextInt(4);
        int op = rnd.nextInt(100);
        // the sharded world's acquires and pins pick a cold blob with a remote callee now and then (the fences' work)
        boolean holds = op >= 25 && op < 55 || op >= 80 && op < 85 || op >= 89 && op < 93;
        BlobHash h = sharded == null || !holds ? drawn : sharded.pick(drawn);
        if (op < 25) upload(m, h);
        else if (op < 55) {
            if (!m.frames.getOrDefault(frame, Set.of()).contains(h) && m.asked.add(frame + h)) {
                log(m.node() + " " + frame + " acquires " + short_(h));
                m.run(m.reporter.acquire(frame, h, new Waiter(m, m.reporter.incarnation(), frame, h)));
            }
        } else if (op < 80) {
            Set<BlobHash> held = m.frames.get(frame);
            if (held == null || held.isEmpty()) return;
            BlobHash x = held.iterator().next();
            held.remove(x);
            oracle.unhold(m.node() + "/" + frame, x);
            log(m.node() + " " + frame + " releases " + short_(x));
            m.run(m.reporter.release(frame, x));
        } else if (op < 85) {
            log(m.node() + " node-pins " + short_(h));
            m.run(m.reporter.pin(h, new Waiter(m, m.reporter.incarnation(), null, h)));
        } else if (op < 89) {
            if (m.pins.isEmpty()) return;
            BlobHash x = m.pins.iterator().next();
            m.pins.remove(x);
            oracle.unhold(m.node() + "/pin", x);
            log(m.node() + " node-unpins " + short_(x));
            m.run(m.reporter.unpin(x));
        } else if (op < 93) {
            String owner = "op" + rnd.nextInt(2);
            Long ttl = rnd.nextBoolean() ? null : (long) (1_000 + rnd.nextInt(20_000));
            long sent = now;
            if (sharded != null) sharded.pin(h, owner, ttl, sent);
            else toCoordinator("operator pin " + short_(h) + " by " + owner, c -> {
                var r = c.run(c.core.pin(c.ledger, h, owner, "sim", ttl, c.wall()));
                if (r.ok()) oracle.operatorPinned(h, owner, ttl == null ? Long.MAX_VALUE : sent + ttl);
            });
        } else if (op < 96) {
            String owner = "op" + rnd.nextInt(2);
            if (sharded != null) sharded.unpin(h, owner);
            else toCoordinator("operator unpin " + short_(h), c -> {
                if (c.run(c.core.unpin(c.ledger, h, owner)).ok()) oracle.operatorUnpinned(h, owner);
            });
        } else if (op < 98) {
            if (sharded != null) sharded.runCycleNow(true);
            else toCoordinator("dry run", c -> c.cycle(true));
        } else {
            // bad input: a hash-less acquire and pin, and a hostile sender's command with extreme values, nulls, huge
            // lists (a refusal or an empty answer, never a crash; the oracle checks that nothing else changes)
            HostileCommands.Named hostile = HOSTILE.get(rnd.nextInt(HOSTILE.size()));
            java.util.function.Consumer<Instance> bad = c -> {
                AcquireReply r = c.run(c.core.acquire(c.ledger, m.node(), 1, 0, null, c.wall(), now));
                if (r.result() != AcquireResult.REFUSED) throw failure("a hash-less acquire was answered " + r);
                if (c.run(c.core.pin(c.ledger, null, "x", "", null, c.wall())).ok()) {
                    throw failure("a hash-less pin was taken");
                }
                c.run(hostile.command().decide(c.core, c.ledger, c.wall()));
            };
            if (sharded != null) sharded.toPartitionZero("bad input: " + hostile.name(), bad);
            else toCoordinator("bad input: " + hostile.name(), bad);
        }
    }

    /**
     * An upload as {@code BlobGc.upload} makes it: the VM writes the content to the store, then registers it (content
     * first: a registered blob has its content). Half the uploads declare the blob's callees; the others do not know
     * them (an older VM), so callees are sometimes declared after the blob is in use. In a storm a write may fail
     * (nothing written); one write in ten stalls for up to twice the grace; a member that crashes while writing may
     * leave the file behind (renamed into place, never registered); a registration refused or lost leaves the
     * content as an orphan.
     */
    private void upload(Member m, BlobHash h) {
        List<BlobHash> deps = rnd.nextBoolean() ? callees.get(h) : List.of();
        long incarnation = m.reporter.incarnation();
        log(m.node() + " uploads " + short_(h) + (deps.isEmpty() ? "" : " calling " + short_(deps.get(0))));
        if (storm() && rnd.nextInt(10) == 0) {
            log(m.node() + "'s write of " + short_(h) + " fails: nothing written, nothing registered");
            return;
        }
        long writing = rnd.nextInt(10) == 0 ? rnd.nextInt((int) (2 * GRACE)) : delay();
        at(writing, m.node() + " wrote " + short_(h), () -> {
            boolean crashed = !m.alive || m.reporter.incarnation() != incarnation;
            if (crashed && rnd.nextBoolean()) return; // the crash came before the rename: no file
            store.putIfAbsent(h, now); // the same content is there already: nothing written
            if (crashed) return; // the crash came between the rename and the registration: an orphan
            if (sharded != null) {
                sharded.register(h, deps);
                return;
            }
            toCoordinator("register " + short_(h), c -> {
                // a blob the registry forgot (its tombstone pruned) is a new blob: its callees are what this upload
                // declares
                boolean forgotten = c.ledger.status(h).isEmpty();
                Registered r = c.run(c.core.register(c.ledger, List.of(new Registration(h, deps)),
                        store::containsKey, c.wall(), now));
                if (r.accepted().contains(h)) accepted(c, h, deps, forgotten);
            });
        });
    }

    /**
     * The upload's bookkeeping once instance {@code c} accepted {@code h}'s registration declaring {@code deps} —
     * only then: a registration a fenced-out instance took (its write refused) changed nothing. {@code forgotten}:
     * the registry had forgotten {@code h} (its tombstone pruned), so its callees are what this upload declares.
     */
    void accepted(Instance c, BlobHash h, List<BlobHash> deps, boolean forgotten) {
        if (forgotten) declaredDeps.remove(h);
        oracle.newContent(c, h);
        declaredDeps.merge(h, deps, (x, y) -> {
            List<BlobHash> all = new ArrayList<>(x);
            for (BlobHash d : y) if (!all.contains(d)) all.add(d);
            return all;
        });
        oracle.registered(h);
    }

    /** The cluster removed {@code node}: the coordinator (or every partition entity) learns it, late. */
    private void memberRemoved(String node) {
        if (sharded != null) sharded.membership("member removed " + node, c -> c.ledger.memberRemoved(node, now));
        else toCoordinator("member removed " + node, c -> c.ledger.memberRemoved(node, now));
    }

    boolean storm() {
        return faults && (now / STORM) % 2 == 0;
    }

    private void fault() {
        int f = rnd.nextInt(1_000);
        if (f < 4) {
            Member m = members.get(rnd.nextInt(MEMBERS));
            if (m.alive && members.stream().filter(x -> x.alive).count() > 1) m.crash();
        } else if (f < 9) {
            Member m = members.get(rnd.nextInt(MEMBERS));
            m.stuckUntil = now + 5_000 + rnd.nextInt(60_000);
            m.lastTrouble = m.stuckUntil;
            log(m.node() + "'s reporter is stuck until " + m.stuckUntil);
        } else if (f < 12 && sharded != null) {
            sharded.fault(); // a partition entity's member paused, or the entity restarted in place
        } else if (f < 12 && coordinator != null && coordinator.alive && now >= coordinator.host.pausedUntil
                && (rnd.nextInt(3) == 0 || coordinator.sweeper.queued() > 0)) { // best while its sweeper has a batch
            pause(coordinator.host);
        } else if (f < 12 && coordinator != null && coordinator.alive) {
            // a journal failure: the coordinator restarts (backoff) on the same member; sometimes with dry-run switched
            Instance old = coordinator;
            old.alive = false;
            if (rnd.nextInt(3) == 0) dryRun = !dryRun;
            log("coordinator #" + old.generation + " restarts");
            at(500 + rnd.nextInt(2_000), "coordinator restart", () -> {
                if (coordinator == old) startCoordinator();
            });
        }
    }

    /**
     * S10: the coordinator's JVM pauses (a long GC, SIGSTOP, a frozen VM) — its reporter, VM, coordinator instance and
     * sweeper stop where they are. A short pause ends before anyone notices; a long one gets the member downed and
     * removed, a successor takes over on another member, and when the old JVM resumes it goes on for a while — its
     * timers fire, its mailbox is handled, its sweeper works through the batch it held — until its next write is
     * refused and it learns it was removed, and exits.
     */
    void pause(Member m) {
        // short ones go unnoticed; long ones outlast the removal, the successor's takeover and its wait for what this
        // instance's sweeper may still delete (2 x BATCH_DEADLINE)
        int kind = rnd.nextInt(4);
        long pause = kind == 0 ? 500 + rnd.nextInt(2_000) // unnoticed
                : kind == 1 ? DOWN_AFTER + rnd.nextInt((int) BATCH_DEADLINE) // resumes within its sweeper's deadline
                : DOWN_AFTER + rnd.nextInt((int) (DOWN_AFTER + 5 * BATCH_DEADLINE));
        m.pausedUntil = now + pause;
        m.stuckUntil = Math.max(m.stuckUntil, m.pausedUntil);
        m.lastTrouble = Math.max(m.lastTrouble, m.pausedUntil);
        log(m.node() + " pauses for " + pause + " ms (its coordinator #" + m.hosted.generation + " too)");
        long incarnation = m.reporter.incarnation();
        String node = m.node();
        at(DOWN_AFTER / 3 + rnd.nextInt((int) DOWN_AFTER), "downed and removed while paused " + node, () -> {
            if (!m.alive || m.reporter.incarnation() != incarnation || now >= m.pausedUntil) return; // resumed first
            m.up = false;
            m.removedWhilePaused = true;
            m.frames.clear(); // its VM's holds count for nothing now: the member is gone
            m.pins.clear();
            m.asked.clear();
            oracle.crashed(m);
            if (coordinator != null && coordinator.host == m) startCoordinator(); // the old instance lives on, paused
            if (sharded != null) sharded.removedWhilePaused(m);
            memberRemoved(node);
            at(m.pausedUntil - now + rnd.nextInt(2_000), "removed " + node + " learns it and exits", () -> {
                if (!m.alive || m.reporter.incarnation() != incarnation) return;
                log("exit " + node + " (removed while paused)");
                m.alive = false;
                m.lastTrouble = now;
                stopInstances(m);
                at(1_000 + rnd.nextInt(5_000), "restart " + m.name, () -> {
                    m.restarts++;
                    m.start();
                });
            });
        });
    }

    /** A member's JVM ends: every coordinator instance on it stops (its sweeper with it). */
    private void stopInstances(Member m) {
        for (Instance i : instances) if (i.host == m) i.alive = false;
        if (sharded != null) sharded.stopOn(m);
    }

    /** The end of a run: faults stop, every member is back, dry-run is off; then quiet for long enough. */
    void quiesce() {
        faults = false;
        workload = false;
        runFor(2 * GRACE); // uploads still writing (a stall lasts up to twice the grace) register, and may restart graces
        long stuck = 0; // a stuck reporter's mailbox is handled when it gets going: the quiet starts after that
        for (Member m : members) stuck = Math.max(stuck, m.stuckUntil - now);
        if (stuck > 0) runFor(stuck);
        if (dryRun) {
            dryRun = false;
            if (coordinator != null) coordinator.alive = false;
            coordinator = null;
        }
        runFor(DOWN_AFTER + 8_000); // a crashed member restarts by itself
        if (coordinator == null || !coordinator.alive) startCoordinator();
        // grace + 2 cycles + staleness + a sweep, with room for tombstones; paged cycles take a cycle per page of each
        // transition (every blob may have to go unreferenced, then marked)
        long pages = maxTransitions == Integer.MAX_VALUE ? 0 : (HASHES + maxTransitions - 1) / maxTransitions;
        runFor(STALE + GRACE + 4 * CYCLE + 10_000 + 2 * pages * CYCLE);
    }

    /** The persistent state of the live coordinator, against a fresh recovery from the journal. */
    String persistentState(PartitionedLedger l) {
        return LedgerDump.of(l, universe);
    }

    Map<String, Object> summary() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("steps", step);
        s.put("journal", whole.size());
        s.put("generations", generations);
        s.put("ghostReports", ghostReports);
        PartitionedLedger l = coordinator == null ? null : coordinator.ledger;
        if (l != null) s.put("counts", l.counts());
        return s;
    }

    static Duration ms(long ms) {
        return Duration.ofMillis(ms);
    }

    /**
     * The instances of {@code c}'s persistence id, in the order they started: those that fence each other out through
     * its journal (S10): the coordinator's, or one partition entity's.
     */
    List<Instance> samePid(Instance c) {
        List<Instance> out = new ArrayList<>();
        for (Instance i : instances) if (i.pid().equals(c.pid())) out.add(i);
        return out;
    }

    /**
     * The instances that act for the registry now, one per persistence id: the coordinator, which hosts every
     * partition (P = 1, and P partitions in one coordinator), or in the sharded world one per partition that has an
     * entity; empty before the first one starts.
     */
    List<Instance> current() {
        if (sharded != null) return sharded.current();
        return coordinator == null ? List.of() : List.of(coordinator);
    }

    /** Whether cycles are driven since {@code t}: always by the coordinator; by a conductor taken over before it. */
    boolean conductedSince(long t) {
        return sharded == null || sharded.conductingSince(t);
    }

    /** The instance that acts for {@code partition} now (-1: the whole registry): the coordinator; null: none yet. */
    Instance current(int partition) {
        return sharded != null ? sharded.current(partition) : coordinator;
    }

    /** The instance that acts for {@code h}'s partition now (null: none yet). */
    Instance owner(BlobHash h) {
        return current(partitioning.partitionOf(h));
    }

    /** {@code h}'s status as its owner's current instance has it (null: no instance yet, or {@code h} unknown). */
    BlobStatus status(BlobHash h) {
        Instance c = owner(h);
        return c == null ? null : c.ledger.status(h).orElse(null);
    }
}
