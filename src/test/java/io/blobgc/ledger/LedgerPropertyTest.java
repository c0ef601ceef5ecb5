package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A stateful property test over the ledger: seeded random histories of reports (reordered, duplicated, lost,
 * chunked), node and operator pins, acquires and releases, membership changes, clock advances, cycles (some
 * dry), deletions and re-uploads. After every step an independent oracle, which recomputes protection from
 * scratch, checks the invariant: no blob that is operator-pinned, held or pinned by a node that is not removed
 * (and, under policy drop, not stale) as far as the coordinator has been told, acquired and not yet released,
 * or reachable through dependencies from one of those, is ever DELETING.
 */
class LedgerPropertyTest {

    private static final int SEEDS = 200;
    private static final int STEPS = 1_000;
    private static final int BLOBS = 40;

    @Test
    void noProtectedBlobEverReachesDeleting() {
        runSeeds(1);
    }

    /**
     * The same histories over four partitions ({@link PartitionedLedger}): most dependencies cross partitions, so
     * protection reaches them through exports, exchanged after every cycle, and the fence's {@code Protect}s.
     */
    @Test
    void noProtectedBlobEverReachesDeletingAcrossFourPartitions() {
        long remoteEdges = runSeeds(4);
        assertTrue(remoteEdges > SEEDS * 10L, "only " + remoteEdges + " dependencies crossed partitions");
    }

    /** @return how many dependencies crossed partitions in all runs */
    private static long runSeeds(int partitions) {
        long deletions = 0, marks = 0, remoteEdges = 0;
        for (int seed = 1; seed <= SEEDS; seed++) {
            Run run = new Run(seed, Partitioning.of(partitions));
            try {
                run.go();
            } catch (AssertionError e) {
                fail("seed " + seed + ", step " + run.step + ": " + e.getMessage(), e);
            }
            deletions += run.deletions;
            marks += run.marks;
            remoteEdges += run.remoteEdges();
        }
        // the histories must exercise collection, or the invariant would hold vacuously
        assertTrue(deletions > SEEDS, "only " + deletions + " deletions in all runs");
        assertTrue(marks > SEEDS, "only " + marks + " marks in all runs");
        return remoteEdges;
    }

    /** One random history, over the ledger {@code make} gives for its settings and partitioning. */
    static final class Run {
        final Random rnd;
        final StaleNodePolicy policy;
        final LedgerSettings settings;
        final Partitioning partitioning;
        final LedgerUnderTest ledger;
        long now = 1_000_000;
        int step;
        long deletions, marks;
        final List<BlobHash> hashes = new ArrayList<>();
        final Map<BlobHash, List<BlobHash>> deps = new HashMap<>();
        final Map<BlobHash, Set<String>> operatorPins = new HashMap<>();
        final List<Node> nodes = new ArrayList<>();
        int nodeCounter;
        int lastOp;

        Run(long seed, Partitioning partitioning) {
            this(seed, partitioning, (settings, p) -> LedgerUnderTest.of(new PartitionedLedger(settings, 1024, p)));
        }

        Run(long seed, Partitioning partitioning, BiFunction<LedgerSettings, Partitioning, LedgerUnderTest> make) {
            this.partitioning = partitioning;
            rnd = new Random(seed);
            policy = rnd.nextBoolean() ? StaleNodePolicy.RETAIN : StaleNodePolicy.DROP;
            settings = new LedgerSettings(rnd.nextInt(3) * 1_000L, 5_000 + rnd.nextInt(10_000),
                    1 + rnd.nextInt(2), policy, 20_000, 20);
            ledger = make.apply(settings, partitioning);
            for (int i = 0; i < BLOBS; i++) {
                byte[] b = new byte[32];
                rnd.nextBytes(b);
                hashes.add(BlobHash.of(b));
            }
            // dependencies point to lower indexes: a DAG, as content addressing guarantees
            for (int i = 0; i < BLOBS; i++) {
                List<BlobHash> d = new ArrayList<>();
                if (i > 2 && rnd.nextInt(3) == 0) d.add(hashes.get(rnd.nextInt(i)));
                if (i > 2 && rnd.nextInt(6) == 0) d.add(hashes.get(rnd.nextInt(i)));
                deps.put(hashes.get(i), d);
            }
            int n = 2 + rnd.nextInt(3);
            for (int i = 0; i < n; i++) addNode();
            for (int i = 0; i < BLOBS / 2; i++) register(randomHash());
        }

        void go() {
            for (step = 0; step < STEPS; step++) {
                int op = rnd.nextInt(100);
                lastOp = op;
                Node node = nodes.get(rnd.nextInt(nodes.size()));
                if (op < 14) acquire(node, randomHash());
                else if (op < 24) release(node);
                else if (op < 28) node.nodePinToggle(randomHash());
                else if (op < 44) node.send(rnd.nextInt(5) == 0);
                else if (op < 60) deliver(node);
                else if (op < 64) operatorPinToggle(randomHash());
                else if (op < 68) register(randomHash());
                else if (op < 76) now += rnd.nextInt(3_000);
                else if (op < 86) cycle(rnd.nextInt(8) == 0);
                else if (op < 94) startDeletion();
                else if (op < 97) collectSome();
                else if (op < 99) node.silent = !node.silent;
                else removeAndReplace(node);
                checkInvariant();
            }
        }

        BlobHash randomHash() {
            return hashes.get(rnd.nextInt(BLOBS));
        }

        void addNode() {
            Node n = new Node("node-" + (nodeCounter++));
            nodes.add(n);
            ledger.memberUp(n.name, now);
            n.send(true);
            n.deliverAll();
        }

        /** An upload: the blob and, as an uploader knows them, its callees with theirs. */
        void register(BlobHash h) {
            if (!ledger.checkRegister(List.of(h)).isEmpty()) return;
            List<Registration> regs = new ArrayList<>();
            ArrayDeque<BlobHash> todo = new ArrayDeque<>(List.of(h));
            Set<BlobHash> seen = new HashSet<>();
            while (!todo.isEmpty()) {
                BlobHash x = todo.poll();
                if (!seen.add(x)) continue;
                regs.add(new Registration(x, deps.get(x)));
                todo.addAll(deps.get(x));
            }
            List<BlobHash> rejected = ledger.checkRegister(seen);
            regs.removeIf(r -> rejected.contains(r.hash()));
            ledger.applyRegistered(regs);
        }

        void acquire(Node n, BlobHash h) {
            if (n.held.contains(h)) return;
            AcquireOutcome o = ledger.acquire(n.name, n.incarnation, n.seq, h, now);
            if (o == AcquireOutcome.UNKNOWN || o == AcquireOutcome.GONE) {
                // the VM uploads (again) and registers, then acquires
                register(h);
                o = ledger.acquire(n.name, n.incarnation, n.seq, h, now);
            }
            if (o == AcquireOutcome.ACQUIRED) {
                n.held.add(h);
                n.extra.add(h);
            }
        }

        void release(Node n) {
            if (n.held.isEmpty()) return;
            BlobHash h = new ArrayList<>(n.held).get(rnd.nextInt(n.held.size()));
            n.held.remove(h);
            n.pins.remove(h);
        }

        void deliver(Node n) {
            if (n.outbox.isEmpty()) return;
            int i = rnd.nextInt(n.outbox.size());
            NodeReport r = rnd.nextInt(6) == 0 ? n.outbox.get(i) : n.outbox.remove(i); // sometimes duplicated
            if (rnd.nextInt(20) == 0) return; // sometimes lost
            n.apply(r);
        }

        void operatorPinToggle(BlobHash h) {
            Set<String> owners = operatorPins.computeIfAbsent(h, k -> new HashSet<>());
            if (owners.contains("ops")) {
                ledger.applyUnpinned(h, "ops");
                owners.remove("ops");
            } else if (ledger.checkPin(h, now).isEmpty()) {
                ledger.applyPinned(h, new Pin("ops", "property", now, null));
                owners.add("ops");
            }
        }

        void cycle(boolean dry) {
            List<CycleOutcome> outcomes = ledger.cycle(now, now, dry);
            if (!dry) for (CycleOutcome o : outcomes) marks += o.marked().size();
        }

        long remoteEdges() {
            long n = 0;
            for (Map.Entry<BlobHash, List<BlobHash>> e : deps.entrySet()) {
                for (BlobHash x : e.getValue()) {
                    if (partitioning.partitionOf(x) != partitioning.partitionOf(e.getKey())) n++;
                }
            }
            return n;
        }

        void startDeletion() {
            List<BlobHash> batch = ledger.planDeletion(5);
            Set<BlobHash> prot = protectedNow();
            for (BlobHash h : batch) {
                if (prot.contains(h)) fail("planned deletion of protected blob " + h.shortHex() + ": " + explain(h));
            }
            ledger.applyDeletionStarted(batch, now);
            deletions += batch.size();
        }

        void collectSome() {
            ledger.applyCollected(ledger.deleting(3), now, 0);
        }

        void removeAndReplace(Node n) {
            if (nodes.size() <= 1) return;
            ledger.memberRemoved(n.name, now);
            nodes.remove(n);
            addNode();
        }

        /**
         * From scratch: what must not be deleted now. Every blob a node holds was acquired (granted by the fence),
         * so it is protected while the node is not removed, and, under policy drop, not stale.
         */
        Set<BlobHash> protectedNow() {
            Set<BlobHash> roots = new HashSet<>();
            operatorPins.forEach((h, owners) -> {
                if (!owners.isEmpty()) roots.add(h);
            });
            Set<String> stale = new HashSet<>();
            for (NodeInfo info : ledger.nodes(now)) if (info.state() == NodeInfo.State.STALE) stale.add(info.node());
            for (Node n : nodes) {
                if (policy == StaleNodePolicy.DROP && stale.contains(n.name)) continue;
                roots.addAll(n.held);
            }
            Set<BlobHash> closure = new LinkedHashSet<>();
            ArrayDeque<BlobHash> todo = new ArrayDeque<>(roots);
            while (!todo.isEmpty()) {
                BlobHash h = todo.poll();
                if (closure.add(h)) todo.addAll(deps.getOrDefault(h, List.of()));
            }
            return closure;
        }

        String explain(BlobHash h) {
            StringBuilder sb = new StringBuilder("policy " + policy + ", ledger " + ledger.info(h).orElse(null));
            for (Node n : nodes) {
                if (n.held.contains(h)) sb.append("; held by ").append(n.name).append(" seq ").append(n.seq);
            }
            operatorPins.forEach((x, o) -> { if (x.equals(h) && !o.isEmpty()) sb.append("; operator-pinned"); });
            deps.forEach((x, d) -> {
                if (!d.contains(h)) return;
                sb.append("; dependency of ").append(x.shortHex()).append(" ").append(ledger.status(x).orElse(null));
                for (Node n : nodes) if (n.held.contains(x)) sb.append(" held by ").append(n.name);
                ledger.info(x).ifPresent(i -> sb.append(" ledger deps ").append(i.dependencies().size())
                        .append(" refBy ").append(i.referencedBy()));
            });
            sb.append("; last op ").append(lastOp);
            sb.append("; nodes ").append(ledger.nodes(now));
            return sb.toString();
        }

        void checkInvariant() {
            for (BlobHash h : protectedNow()) {
                if (ledger.status(h).orElse(null) == BlobStatus.DELETING) {
                    fail("protected blob " + h.shortHex() + " is DELETING: " + explain(h));
                }
            }
        }

        /** A VM node and its reporter, as NodeReporter builds reports: FULL (chunked) or DELTA since the last one. */
        final class Node {
            final String name;
            final long incarnation = 1;
            long seq;
            boolean silent;
            boolean needFull;
            final Set<BlobHash> held = new LinkedHashSet<>();
            final Set<BlobHash> pins = new LinkedHashSet<>();
            /** Acquired since the last report: the coordinator may have them beyond what was reported. */
            final Set<BlobHash> extra = new HashSet<>();
            Set<BlobHash> lastSentActive = new HashSet<>();
            Set<BlobHash> lastSentPins = new HashSet<>();
            final List<NodeReport> outbox = new ArrayList<>();

            Node(String name) {
                this.name = name;
            }

            void nodePinToggle(BlobHash h) {
                if (!pins.remove(h) && held.contains(h)) pins.add(h); // a node pins what it holds
            }

            void send(boolean full) {
                if (silent) return;
                full |= needFull;
                needFull = false;
                seq++;
                if (full) {
                    List<BlobHash> active = new ArrayList<>(held);
                    int chunks = 1 + rnd.nextInt(3);
                    for (int c = 0; c < chunks; c++) {
                        List<BlobHash> part = new ArrayList<>();
                        for (int i = c; i < active.size(); i += chunks) part.add(active.get(i));
                        outbox.add(new NodeReport(name, incarnation, seq, NodeReport.Kind.FULL, part, List.of(),
                                c == 0 ? List.copyOf(pins) : List.of(), List.of(), c, chunks));
                    }
                } else {
                    List<BlobHash> added = new ArrayList<>(), removed = new ArrayList<>();
                    for (BlobHash h : held) if (!lastSentActive.contains(h)) added.add(h);
                    Set<BlobHash> mayHave = new HashSet<>(lastSentActive);
                    mayHave.addAll(extra);
                    for (BlobHash h : mayHave) if (!held.contains(h)) removed.add(h);
                    List<BlobHash> pinsAdded = new ArrayList<>(), pinsRemoved = new ArrayList<>();
                    for (BlobHash h : pins) if (!lastSentPins.contains(h)) pinsAdded.add(h);
                    for (BlobHash h : lastSentPins) if (!pins.contains(h)) pinsRemoved.add(h);
                    outbox.add(NodeReport.delta(name, incarnation, seq, added, removed, pinsAdded, pinsRemoved));
                }
                extra.clear();
                lastSentActive = new HashSet<>(held);
                lastSentPins = new HashSet<>(pins);
            }

            void apply(NodeReport r) {
                if (ledger.report(r, now) == ReportOutcome.NEED_FULL) needFull = true;
            }

            void deliverAll() {
                while (!outbox.isEmpty()) apply(outbox.remove(0));
            }
        }
    }
}
