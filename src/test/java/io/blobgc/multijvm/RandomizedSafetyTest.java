package io.blobgc.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.blobgc.BlobHash;
import io.blobgc.Postgres;
import io.blobgc.coordinator.Coordinator;
import io.blobgc.demo.DemoCatalog;
import io.blobgc.demo.UseLog;
import io.blobgc.store.FileBlobStore;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A randomized safety run: four node JVMs on PostgreSQL whose simulated VMs acquire and release blobs on a random
 * schedule, bounded in time, and a nemesis that draws its faults from:
 * <ul>
 * <li>kill -9 of a VM node or of the coordinator's (each killed node comes back as a new incarnation);</li>
 * <li>a pause (SIGSTOP, then SIGCONT after 0.3 to 1.5 s: late, not dead — shorter than the failure detector's
 * acceptable pause, so the node stays a member and its holds stay live) of a VM node or of the coordinator's, its
 * sweeper mid-batch;</li>
 * <li>a long pause (10 to 14 s: longer than failure detection and the split brain resolver's stable-after, so the node
 * is downed, and its JVM exits once resumed; the test then restarts it);</li>
 * <li>a restart of the journal's PostgreSQL (where the test may restart it: root, as .ci/run runs);</li>
 * <li>a network partition, where the nodes run in network namespaces ({@link Netns}: root, as .ci/run runs): a member
 * cut off briefly (0.3 to 1.5 s: it stays a member) or for 10 to 14 s (downed: it downs itself and its JVM exits; the
 * test restarts it once healed), or the link between two members cut for 10 to 14 s (the resolver downs both ends), or
 * the network split 2|2 for 10 to 14 s (the resolver keeps the side with the lowest address; the other downs itself).
 * The journal is reached around the cuts, so a cut-off coordinator goes on writing it until it is downed.</li>
 * </ul>
 * A node downed while paused or cut off: the checker ends its VM's holds where the pause or cut began, and ignores what
 * its VM logged until its JVM exited. Throughout, the nodes' wall clocks are off by up to ±20 s each (drawn;
 * libfaketime, where installed), so every move of the coordinator steps the clock its grace counts by; the checker
 * shifts each VM's log and each coordinator's events back to real time. Then a checker reads the coordinator's journal
 * (Pekko persistence query), every VM's log of use intervals and what a watcher of the store saw ({@link StoreGaps})
 * and asserts: no blob was fenced for deletion (DeletionStarted .. BlobsCollected) while a live node held it; no blob
 * left the store while a live node held it, nor the pinned one ever (a fenced coordinator's late deletions are in no
 * journal); no operator pin was lost; every blob no live node held
 * at the end was collected once all members reported. It prints its totals.
 *
 * <p>{@code -Dblobgc.safety.partitions=P} runs the nodes with P partitions hosted sharded (issue 25: partition
 * entities on Cluster Sharding under the conductor; the demo's catalog keeps each function with its library, as
 * cross-partition dependencies are not taken there yet) and the checker reads every partition's journal; 1 in CI.
 */
class RandomizedSafetyTest {

    private static final int NODES = 4;
    /** How long the VMs run and the nemesis strikes: 70 s in CI; -Dblobgc.safety.runSeconds=N for a long run. */
    private static final long RUN_MS = Long.getLong("blobgc.safety.runSeconds", 70) * 1000;
    /** The largest clock skew drawn, in seconds either way (with libfaketime; without it every clock is right). */
    private static final int SKEW_S = 20;
    private static final long SEED = Long.getLong("blobgc.safety.seed", System.currentTimeMillis() % 100_000 + 1);
    /** Above 1: that many partitions, hosted sharded (-Dblobgc.safety.partitions=P); 1 (the coordinator) in CI. */
    private static final int PARTITIONS = Integer.getInteger("blobgc.safety.partitions", 1);
    /** The nodes' orphan-grace: the store's reconciliation runs during the faults (1 h by default). */
    private static final long ORPHAN_GRACE_MS = 60_000;

    @Test
    void randomFaultsNeverDeleteABlobInUse() throws Exception {
        Postgres.assume();
        Postgres.clean();
        Random rnd = new Random(SEED);
        DemoCatalog catalog = new DemoCatalog(); // DemoVm's: at P > 1 most functions call a library of another partition
        Path logs = Path.of("target", "multi-jvm", "safety").toAbsolutePath();
        long startAt = System.currentTimeMillis() + 25_000;
        long phaseMs = 1500, finalPhase = (RUN_MS + 10_000) / phaseMs;
        // skewed clocks: each node's wall clock is off by up to ±SKEW_S (drawn), so the coordinator's clock steps as
        // kills and pauses move it; the VMs' schedules start at the same real time by each node's own clock
        String lib = FakeClock.library();
        long[] skewMs = new long[NODES + 1];
        Map<Integer, Map<String, String>> env = new HashMap<>();
        for (int i = 1; i <= NODES; i++) {
            skewMs[i] = lib == null ? 0 : (rnd.nextInt(2 * SKEW_S + 1) - SKEW_S) * 1000L;
            if (skewMs[i] != 0) env.put(i, FakeClock.environment(lib, String.format(Locale.ROOT, "%+d", skewMs[i] / 1000)));
        }
        System.out.printf(Locale.ROOT, "safety: seed %d (-Dblobgc.safety.seed=%d replays its faults and workload)%n", SEED, SEED);
        if (PARTITIONS > 1) System.out.printf(Locale.ROOT, "safety: %d partitions, hosted sharded%n", PARTITIONS);
        System.out.println(lib == null ? "safety: libfaketime not installed: every clock is right"
                : "safety: clock skews (s) " + Arrays.toString(Arrays.stream(skewMs, 1, NODES + 1).map(ms -> ms / 1000).toArray()));
        Map<Integer, String> perNode = new HashMap<>();
        for (int i = 1; i <= NODES; i++) {
            perNode.put(i, """
                    blob-gc-demo {
                      node-index = %d
                      start-at = %d
                      phase = %dms
                      final-phase = %d
                      seed = %d
                      log = "%s"
                    }
                    """.formatted(i, startAt + skewMs[i], phaseMs, finalPhase, SEED,
                    logs.resolve("vm-node" + i + ".log").toString().replace('\\', '/')));
        }
        // a long snapshot interval: the checker reads every event of the run; the store's reconciliation condemns
        // what the registry does not account for once a minute old (1 h by default), so it runs during the faults
        // too (above twice the largest skew: a file's age is the real clock's, the coordinator's clock is skewed)
        String common = Postgres.nodeConfig() + """

                blob-gc.coordinator.snapshot-every = 1000000
                blob-gc.sweeper.orphan-grace = %ds
                """.formatted(ORPHAN_GRACE_MS / 1000) + (PARTITIONS > 1 ? "blob-gc.partitions = " + PARTITIONS
                + "\n" : ""); // sharded by the default hosting (auto) of a cluster
        Map<Integer, List<long[]>> outs = new HashMap<>(); // per node: {from, to} out of the cluster
        int vmKills = 0, coordinatorKills = 0, pauses = 0, coordinatorPauses = 0, databaseRestarts = 0;
        int longPauses = 0, downedWhileOut = 0;
        int shortCuts = 0, memberCuts = 0, linkCuts = 0, splits = 0;
        Map<Integer, Long> outSince = new HashMap<>(); // per node: when its last pause or cut began
        // network partitions: each node in a network namespace of its own (as root, with iproute2), else none drawn
        String noNet = Netns.unavailable();
        if (noNet == null && System.getenv("BLOB_GC_DB_URL") != null) noNet = "BLOB_GC_DB_URL points the nodes elsewhere";
        System.out.println(noNet == null ? "safety: nodes in network namespaces; partitions drawn"
                : "safety: no network partitions: " + noNet);
        String pinned = catalog.hash(DemoCatalog.function(DemoCatalog.PINNED)).toHex();
        long shutdownAt;
        int[] ports = new int[NODES + 1];
        List<String> endState = new ArrayList<>(); // each blob on disk iff in use at the end
        // unused blobs found on disk at the end, by index: when their file was written (this JVM's clock), and when
        Map<Integer, Long> unusedOnDisk = new HashMap<>();
        long[] endCheckedAt = {0};
        Map<Integer, List<long[]>> storeGaps = new HashMap<>(); // by blob index: {lastSeen, firstMissing}
        List<BlobHash> watched = new ArrayList<>();
        for (int i = 0; i < catalog.size(); i++) watched.add(catalog.hash(i));
        try (Netns net = noNet == null ? new Netns(NODES) : null;
             Scenario s = Scenario.start("safety", NODES, common, perNode, env,
                     nodes -> { if (net != null) net.attach(nodes); });
             StoreGaps gaps = StoreGaps.start(s.store, watched)) {
            for (int i = 1; i <= NODES; i++) ports[i] = s.nodes.remotePort(i);
            for (int i = 0; i < catalog.size(); i++) {
                List<String> deps = catalog.dependencies(i).stream().map(BlobHash::toHex).toList();
                var r = s.nodes.send(1, "PUT", "/v1/blobs/" + catalog.hash(i)
                        + (deps.isEmpty() ? "" : "?dependsOn=" + String.join(",", deps)), catalog.content(i), null);
                assertEquals(201, r.status());
            }
            s.pin(pinned, "ops");
            Thread.sleep(Math.max(0, startAt - System.currentTimeMillis()));
            long end = startAt + RUN_MS;
            while (System.currentTimeMillis() < end - 15_000) {
                Thread.sleep(8_000 + rnd.nextInt(8_000));
                downedWhileOut += restartDowned(s, outSince, outs);
                int fault = rnd.nextInt(14);
                int victim = rnd.nextInt(3) == 0 ? s.coordinator() : 1 + rnd.nextInt(NODES);
                boolean coordinator = victim == s.coordinator();
                if (fault >= 12) {
                    int kind = rnd.nextInt(4);
                    long cut = kind == 0 ? 300 + rnd.nextInt(1_200) : 10_000 + rnd.nextInt(4_000);
                    int other = (victim + rnd.nextInt(NODES - 1)) % NODES + 1; // any node but the victim
                    if (net == null) {
                        System.out.println("safety: a network partition drawn, none made: " + noNet);
                        continue;
                    }
                    long cutAt = System.currentTimeMillis();
                    if (kind < 2) {
                        System.out.printf(Locale.ROOT, "safety: node%d%s cut off for %d ms%n", victim,
                                coordinator ? " (coordinator)" : "", cut);
                        outSince.put(victim, cutAt);
                        net.down(victim);
                    } else if (kind == 2) {
                        System.out.printf(Locale.ROOT, "safety: the link between node%d%s and node%d cut for %d ms%n",
                                victim, coordinator ? " (coordinator)" : "", other, cut);
                        outSince.put(victim, cutAt);
                        outSince.put(other, cutAt);
                        net.isolated(victim, other, true);
                    } else {
                        System.out.printf(Locale.ROOT, "safety: split 2|2, node%d%s and node%d from the others, for %d ms%n",
                                victim, coordinator ? " (coordinator)" : "", other, cut);
                        for (int node = 1; node <= NODES; node++) outSince.put(node, cutAt); // one side is downed
                        net.split(victim, other);
                    }
                    try {
                        Thread.sleep(cut);
                    } finally {
                        if (kind < 2) net.up(victim);
                        else if (kind == 2) net.isolated(victim, other, false);
                        else net.heal();
                    }
                    if (kind == 0) shortCuts++;
                    else if (kind == 1) memberCuts++;
                    else if (kind == 2) linkCuts++;
                    else splits++;
                    // a long cut: the resolver downed the member(s) cut off, whose JVMs exit; wait for that here
                    if (kind == 1 || kind == 2) {
                        downedWhileOut += awaitExits(s, kind == 1 ? List.of(victim) : List.of(victim, other),
                                outSince, outs);
                    } else if (kind == 3) { // equal sides: the one without the lowest address downs itself
                        downedWhileOut += awaitSplitExits(s, outSince, outs);
                    }
                    continue;
                }
                if (fault >= 10 && Postgres.mayControlServer()) {
                    System.out.println("safety: PostgreSQL restarted");
                    Postgres.server("restart");
                    databaseRestarts++;
                    continue;
                }
                if (fault >= 5) {
                    boolean longPause = fault >= 8;
                    long pause = longPause ? 10_000 + rnd.nextInt(4_000) : 300 + rnd.nextInt(1_200);
                    System.out.printf(Locale.ROOT, "safety: node%d%s paused %d ms%n", victim,
                            coordinator ? " (coordinator)" : "", pause);
                    outSince.put(victim, System.currentTimeMillis());
                    NodeProcesses.signal(s.nodes.process(victim), "STOP");
                    try {
                        Thread.sleep(pause);
                    } finally {
                        NodeProcesses.signal(s.nodes.process(victim), "CONT");
                    }
                    if (longPause) {
                        longPauses++;
                        // downed while it slept (longer than failure detection and stable-after): its JVM exits once
                        // resumed. Wait for that here, so that the next fault meets a whole cluster
                        downedWhileOut += awaitExits(s, List.of(victim), outSince, outs);
                    } else if (coordinator) coordinatorPauses++;
                    else pauses++;
                    continue;
                }
                long killedAt = System.currentTimeMillis();
                outs.computeIfAbsent(victim, k -> new ArrayList<>()).add(new long[]{killedAt, killedAt});
                outSince.remove(victim);
                s.nodes.kill(victim);
                if (coordinator) coordinatorKills++;
                else vmKills++;
                System.out.printf(Locale.ROOT, "safety: kill -9 of node%d%s%n", victim, coordinator ? " (coordinator)" : "");
                Scenario.await("node" + victim + " removed", () -> {
                    JsonNode sum = s.nodes.summary();
                    return sum != null && sum.path("nodes").size() == NODES - 1 && !sum.path("warmingUp").asBoolean();
                });
                s.restart(victim);
            }
            Thread.sleep(Math.max(0, startAt + finalPhase * phaseMs - System.currentTimeMillis()));
            downedWhileOut += restartDowned(s, outSince, outs);
            s.awaitReporting(NODES);
            // settle: every blob no live VM holds (nor pinned, nor called) must go, the others stay
            List<Integer> all = new ArrayList<>();
            for (int node = 1; node <= NODES; node++) all.add(node);
            Set<Integer> keep = catalog.keptAtEnd(all, finalPhase, SEED);
            Scenario.await("every unused blob collected, every used one held", () -> {
                for (int i = 0; i < catalog.size(); i++) {
                    String st = s.status(catalog.hash(i).toHex());
                    boolean ok = keep.contains(i) ? st.equals("ACTIVE") || st.equals("PINNED") : st.equals("COLLECTED");
                    if (!ok) return false;
                }
                return true;
            });
            endCheckedAt[0] = System.currentTimeMillis();
            for (int i = 0; i < catalog.size(); i++) { // asserted after the checker, which says more
                if (keep.contains(i) && !s.onDisk(catalog.hash(i).toHex())) {
                    endState.add(catalog.name(i) + " in use but not in the store");
                } else if (!keep.contains(i) && s.onDisk(catalog.hash(i).toHex())) {
                    unusedOnDisk.put(i, s.store instanceof FileBlobStore f
                            ? Files.getLastModifiedTime(f.pathOf(catalog.hash(i))).toMillis() : Long.MIN_VALUE);
                }
            }
            JsonNode pin = s.blob(pinned);
            assertEquals("ops", pin.path("pins").get(0).path("owner").asText(), "the operator pin survived every kill");
            shutdownAt = System.currentTimeMillis(); // the nodes leave now: their VMs' holds end here
            gaps.close();
            for (int i = 0; i < catalog.size(); i++) storeGaps.put(i, gaps.of(catalog.hash(i)));
        }

        // the checker: the journal and the VMs' use logs
        List<Object> events = readJournal();
        Map<Integer, List<long[]>> holds = new HashMap<>();
        UseLog.Totals ops = new UseLog.Totals(0, 0, 0);
        for (int node = 1; node <= NODES; node++) {
            // a VM logs by its node's clock: the times the test took are shifted to it, the holds back to real time
            long skew = skewMs[node];
            List<long[]> out = outs.getOrDefault(node, List.of()).stream().map(o -> new long[]{o[0] + skew, o[1] + skew}).toList();
            Map<Integer, List<long[]>> own = new HashMap<>();
            ops = ops.plus(UseLog.readAround(logs.resolve("vm-node" + node + ".log"), out, shutdownAt + skew, own));
            own.forEach((blob, intervals) -> intervals.forEach(h -> holds.computeIfAbsent(blob, b -> new ArrayList<>())
                    .add(new long[]{h[0] - skew, h[1] - skew}))); // the last incarnations' end at the shutdown
        }
        long coordinatorSkew = 0; // the writing coordinator's, from its TookOver on: its events' times back to real time
        Map<String, Long> started = new HashMap<>();
        Map<String, Long> lastCollected = new HashMap<>(); // by hash: when the journal last said it was deleted
        List<String> violations = new ArrayList<>();
        long deletionsStarted = 0, collected = 0;
        Set<String> pinnedNow = new HashSet<>();
        for (Object e : events) {
            if (e instanceof Coordinator.TookOver t) coordinatorSkew = skewMs[nodeOf(t.instance(), ports)];
            if (e instanceof Coordinator.BlobPinned p) pinnedNow.add(p.hash().toHex());
            if (e instanceof Coordinator.BlobUnpinned u) pinnedNow.remove(u.hash().toHex());
            if (e instanceof Coordinator.DeletionStarted d) {
                for (BlobHash h : d.hashes()) {
                    deletionsStarted++;
                    started.put(h.toHex(), d.at() - coordinatorSkew);
                    if (pinnedNow.contains(h.toHex())) violations.add("pinned blob " + h.shortHex() + " fenced for deletion");
                }
            }
            if (e instanceof Coordinator.BlobsCollected c) {
                for (BlobHash h : c.hashes()) {
                    collected++;
                    Long from = started.remove(h.toHex());
                    if (from == null) {
                        violations.add("collected without DeletionStarted: " + h.shortHex());
                        continue;
                    }
                    long at = c.at() - coordinatorSkew;
                    lastCollected.merge(h.toHex(), at, Math::max);
                    for (long[] hold : holds.getOrDefault(catalog.indexOf(h), List.of())) {
                        if (hold[0] < at && hold[1] > from) {
                            violations.add(catalog.name(catalog.indexOf(h)) + " deleted between " + from + " and " + at
                                    + " while a live node held it from " + hold[0] + " to " + hold[1]);
                        }
                    }
                }
            }
        }
        // the store itself: no blob left it while a live node held it, whatever the journal says (a fenced
        // coordinator's late deletions are in no journal), and the pinned one never did
        int storeDeletions = 0;
        for (int i = 0; i < catalog.size(); i++) {
            for (long[] gap : storeGaps.get(i)) {
                storeDeletions++;
                if (catalog.hash(i).toHex().equals(pinned)) {
                    violations.add("the pinned blob left the store between " + gap[0] + " and " + gap[1]);
                }
                for (long[] hold : holds.getOrDefault(i, List.of())) {
                    if (hold[0] <= gap[0] && hold[1] >= gap[1]) {
                        violations.add(catalog.name(i) + " left the store between " + gap[0] + " and " + gap[1]
                                + " while a live node held it from " + hold[0] + " to " + hold[1]);
                    }
                }
            }
        }
        assertTrue(pinnedNow.contains(pinned), "the journal still has the operator pin");
        System.out.printf(Locale.ROOT, "safety (seed %d): %d acquires, %d releases, %d re-uploads; %d kills (%d VM nodes, "
                        + "%d coordinator), %d short pauses (%d VM nodes, %d coordinator), %d long pauses, %d network "
                        + "partitions (%d short cuts, %d members cut off, %d links cut, %d 2|2 splits), %d downed while "
                        + "paused or cut; "
                        + "%d PostgreSQL restarts; %d events read; %d deletions started, %d blobs collected, %d seen leaving "
                        + "the store; %d violations%n",
                SEED, ops.acquires(), ops.releases(), ops.reuploads(), vmKills + coordinatorKills, vmKills, coordinatorKills,
                pauses + coordinatorPauses, pauses, coordinatorPauses, longPauses, shortCuts + memberCuts + linkCuts + splits,
                shortCuts, memberCuts, linkCuts, splits, downedWhileOut, databaseRestarts,
                events.size(), deletionsStarted, collected, storeDeletions, violations.size());
        violations.forEach(v -> System.out.println("  VIOLATION: " + v));
        assertTrue(collected > 0, "the run deleted nothing: it proves nothing");
        assertEquals(List.of(), violations);
        // an unused blob on disk is wrong, unless its content came back after its last deletion, less than
        // orphan-grace before the check: written by an upload whose registration was refused (in a successor's
        // re-upload window, S10), an orphan the store reconciliation removes once orphan-grace old
        unusedOnDisk.forEach((i, writtenAt) -> {
            Long deletedAt = lastCollected.get(catalog.hash(i).toHex());
            if (deletedAt != null && writtenAt > deletedAt && endCheckedAt[0] - writtenAt < ORPHAN_GRACE_MS) {
                System.out.printf(Locale.ROOT, "safety: %s is in the store again, written %d ms after its deletion by "
                        + "an upload the registry refused: an orphan for the reconciliation%n", catalog.name(i),
                        writtenAt - deletedAt);
            } else {
                endState.add(catalog.name(i) + " unused but in the store");
            }
        });
        assertEquals(List.of(), endState, "on disk iff in use at the end");
    }

    /**
     * Waits (30 s at most) for the JVMs of {@code nodes}, out of the cluster for longer than failure detection and
     * the resolver's stable-after, to exit (downed), then restarts every node that exited.
     *
     * @return how many nodes it restarted
     */
    private static int awaitExits(Scenario s, List<Integer> nodes, Map<Integer, Long> outSince,
                                  Map<Integer, List<long[]>> outs) throws Exception {
        for (int node : nodes) {
            if (!s.nodes.process(node).waitFor(30, TimeUnit.SECONDS)) {
                System.out.printf(Locale.ROOT, "safety: node%d still a member after its pause or cut%n", node);
            }
        }
        return restartDowned(s, outSince, outs);
    }

    /**
     * After a 2|2 split: waits (30 s at most) for one side's JVMs to exit (the resolver keeps the side with the lowest
     * address), restarts them, and forgets the split for the other side, which stayed.
     *
     * @return how many nodes it restarted
     */
    private static int awaitSplitExits(Scenario s, Map<Integer, Long> outSince, Map<Integer, List<long[]>> outs)
            throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (exited(s) < NODES / 2 && System.currentTimeMillis() < deadline) Thread.sleep(200);
        if (exited(s) < NODES / 2) System.out.printf(Locale.ROOT, "safety: %d nodes left after the split%n", exited(s));
        for (int node = 1; node <= NODES; node++) if (s.nodes.process(node).isAlive()) outSince.remove(node);
        return restartDowned(s, outSince, outs);
    }

    private static int exited(Scenario s) {
        int n = 0;
        for (int node = 1; node <= NODES; node++) if (!s.nodes.process(node).isAlive()) n++;
        return n;
    }

    /**
     * Restarts every node whose JVM exited without being killed: the split brain resolver downed it during its last
     * pause (it left the cluster once resumed) or cut (it downed itself, or the majority downed it). Its VM's holds
     * end where the pause or cut began, and what it logged after that is not counted (UseLog.readAround): a hold is
     * safe only while its node is a member, and a member cut off is downed, in the end, by the others.
     *
     * @return how many nodes it restarted
     */
    private static int restartDowned(Scenario s, Map<Integer, Long> outSince, Map<Integer, List<long[]>> outs)
            throws Exception {
        int downed = 0;
        for (int node = 1; node <= NODES; node++) {
            if (s.nodes.process(node).isAlive()) continue;
            Long from = outSince.remove(node);
            assertTrue(from != null, "node" + node + " exited, but was neither killed nor paused nor cut off");
            outs.computeIfAbsent(node, k -> new ArrayList<>()).add(new long[]{from, System.currentTimeMillis()});
            System.out.printf(Locale.ROOT, "safety: node%d was downed while paused or cut off; restarted%n", node);
            s.restart(node);
            downed++;
        }
        return downed;
    }

    /** The node whose coordinator wrote a TookOver, by its instance ({@code pekko://blobgc@host:PORT#uid.generation}). */
    private static int nodeOf(String instance, int[] ports) {
        String address = instance.substring(0, instance.indexOf('#'));
        for (int i = 1; i < ports.length; i++) if (address.endsWith(":" + ports[i])) return i;
        throw new IllegalStateException("no node of " + instance);
    }

    /** Every event of the coordinator (and of the partition entities), through the JDBC read journal. */
    private static List<Object> readJournal() throws Exception {
        Config config = ConfigFactory.parseFile(Postgres.configFile())
                .withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
                .withFallback(ConfigFactory.defaultReferenceUnresolved()).resolve();
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "checker", config);
        try {
            JdbcReadJournal journal = PersistenceQuery.get(system)
                    .getReadJournalFor(JdbcReadJournal.class, "blob-gc.jdbc-read-journal");
            // the coordinator's journal, then each partition entity's: each begins with its takeover, and each
            // blob's events are in its owner's journal alone
            List<String> ids = new ArrayList<>(List.of(Coordinator.PERSISTENCE_ID.id()));
            for (int p = 0; PARTITIONS > 1 && p < PARTITIONS; p++) ids.add("blob-gc-partition|" + p);
            List<Object> out = new ArrayList<>();
            for (String id : ids) {
                List<EventEnvelope> envelopes = journal.currentEventsByPersistenceId(id, 0, Long.MAX_VALUE)
                        .runWith(Sink.seq(), system).toCompletableFuture().get(60, TimeUnit.SECONDS);
                for (EventEnvelope e : envelopes) out.add(e.event());
            }
            return out;
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }
}
