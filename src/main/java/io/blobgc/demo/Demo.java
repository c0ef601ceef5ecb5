package io.blobgc.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.blobgc.BlobHash;
import io.blobgc.api.ApiClient;
import io.blobgc.api.Bytes;
import io.blobgc.store.FileBlobStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code blob-gc demo}: three node JVMs on loopback sharing the embedded journal and a FileBlobStore under
 * {@code ./demo-data}. Each node's simulated VM loads and unloads function blobs (real bytes, SHA-256 addressed,
 * with dependencies); the operator pins one. Midway the coordinator's JVM is killed (kill -9). At the end an
 * independent check compares when files vanished from disk with when the VMs held them, and what is left on disk
 * with what is in use: exit 0 only when no blob in use was ever deleted and every unused one was.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "A 3-node cluster on loopback: VMs load and "
        + "unload blobs, the coordinator is killed (kill -9) midway, and every decision is verified.")
public final class Demo implements Callable<Integer> {

    @Option(names = "--dir", defaultValue = "demo-data", description = "working directory, wiped first (default ${DEFAULT-VALUE})")
    File dir;

    @Option(names = "--phase", defaultValue = "6", description = "seconds per VM phase (default ${DEFAULT-VALUE})")
    int phaseSeconds;

    @Option(names = "--phases", defaultValue = "7", description = "phases before the final one (default ${DEFAULT-VALUE})")
    int phases;

    @Option(names = "--kill-at-phase", defaultValue = "3", description = "kill the coordinator during this phase")
    int killAtPhase;

    @Option(names = "--base-port", defaultValue = "25540", description = "remoting ports base+1..3; HTTP ports base-17900+1..3")
    int basePort;

    @Option(names = "--partitions", defaultValue = "1", description = "blob-gc.partitions of the nodes (default ${DEFAULT-VALUE})")
    int partitions;

    @Option(names = "--partition-hosting", paramLabel = "<coordinator|sharded|auto>",
            description = "blob-gc.partition-hosting of the nodes: coordinator, sharded or auto (default: the "
                    + "configuration's, auto: sharded in the demo's cluster at more than one partition)")
    String partitionHosting;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    private static final int NODES = 3;
    private static final long POLL_MS = 100;
    private PrintWriter out;
    private final long t0 = System.currentTimeMillis();
    private final DemoCatalog catalog = new DemoCatalog();
    private final Process[] procs = new Process[NODES + 1];
    private final long[] killedAt = new long[NODES + 1];
    /** Per blob index: windows (lastSeenPresent, firstSeenMissing) in which its file vanished. */
    private final Map<Integer, List<long[]>> vanished = new HashMap<>();

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        checkOptions();
        Path data = prepare(dir.toPath());
        FileBlobStore store = new FileBlobStore(data.resolve("blobs"));
        long startAt = t0 + 25_000; // VMs start their schedule once the cluster is up
        say("starting 3 node JVMs on 127.0.0.1 (remoting %d-%d, admin API %d-%d), journal and blobs under %s",
                basePort + 1, basePort + NODES, httpPort(1), httpPort(NODES), data);
        try {
            procs[1] = startNode(data, 1, startAt); // the seed opens the shared journal first
            awaitReady(1);
            for (int i = 2; i <= NODES; i++) procs[i] = startNode(data, i, startAt);
            for (int i = 2; i <= NODES; i++) awaitReady(i);
            say("cluster up: %s", api(1).get("/v1/summary").path("nodes").size() + " nodes reporting");
            say("dashboard: http://127.0.0.1:%d/ (every node serves it: also :%d, :%d)", httpPort(1), httpPort(2),
                    httpPort(NODES));
            upload(store);
            JsonNode pin = api(1).put("/v1/pins/" + catalog.hash(DemoCatalog.function(DemoCatalog.PINNED)),
                    "{\"owner\":\"demo-operator\",\"reason\":\"golden image\"}");
            say("operator pinned %s (%s)", catalog.name(DemoCatalog.function(DemoCatalog.PINNED)), pin.path("pinned").asText().substring(0, 12));
            long wait = startAt - System.currentTimeMillis();
            if (wait > 0) Thread.sleep(wait);
            say("VMs start: every %d s each node runs another set of functions; unused ones are collected after a 5 s grace",
                    phaseSeconds);
            long end = startAt + (phases + 1L) * phaseSeconds * 1000;
            long killAt = startAt + killAtPhase * phaseSeconds * 1000L + phaseSeconds * 500L;
            boolean killed = false;
            Watcher watcher = new Watcher(store);
            while (System.currentTimeMillis() < end) {
                watcher.poll();
                if (!killed && System.currentTimeMillis() >= killAt) {
                    killCoordinator(watcher);
                    killed = true;
                }
                Thread.sleep(POLL_MS);
            }
            say("final phase: every VM keeps two functions; waiting for the collector to settle");
            long settleUntil = System.currentTimeMillis() + 40_000;
            while (System.currentTimeMillis() < settleUntil && !settled(store)) {
                watcher.poll();
                Thread.sleep(POLL_MS);
            }
            for (int i = 0; i < 15; i++) { // a few more cycles: nothing in use may vanish meanwhile either
                watcher.poll();
                Thread.sleep(POLL_MS);
            }
            return verify(data, store) ? 0 : 1;
        } finally {
            stopNodes();
        }
    }

    /** Refuses a bad --partitions or --partition-hosting, naming the option and what it takes. */
    void checkOptions() {
        try {
            io.blobgc.ledger.Partitioning.of(partitions);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--partitions " + partitions + ": " + e.getMessage());
        }
        if (partitionHosting == null) return;
        try {
            io.blobgc.BlobGcSettings.PartitionHosting.of(partitionHosting, partitions, true);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--partition-hosting " + partitionHosting + ": " + e.getMessage());
        }
    }

    /**
     * The nodes' partition settings: blob-gc.partitions, and blob-gc.partition-hosting only when --partition-hosting
     * is given (else the configuration's default holds).
     */
    String partitionSettings() {
        return "blob-gc.partitions = " + partitions + "\n"
                + (partitionHosting == null ? "" : "blob-gc.partition-hosting = " + partitionHosting + "\n");
    }

    // ---- set-up

    private Path prepare(Path data) throws IOException {
        if (Files.exists(data)) {
            boolean ours = Files.exists(data.resolve(".blob-gc-demo"));
            try (Stream<Path> s = Files.list(data)) {
                if (!ours && s.findAny().isPresent()) {
                    throw new IllegalArgumentException(data + " exists and is not a demo directory: choose another --dir");
                }
            }
            try (Stream<Path> walk = Files.walk(data)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        Files.createDirectories(data);
        Files.writeString(data.resolve(".blob-gc-demo"), "created by blob-gc demo; wiped by the next run\n");
        LocalCluster.writeLogback(data.toAbsolutePath());
        return data.toAbsolutePath();
    }

    private int httpPort(int node) {
        return basePort - 17_900 + node;
    }

    private Process startNode(Path data, int i, long startAt) throws IOException {
        Path conf = data.resolve("node" + i + ".conf");
        Files.writeString(conf, LocalCluster.nodeConfig(data, basePort + i, List.of(basePort + 1), httpPort(i),
                new LocalCluster.Timings("5s", "1s", "300ms", "4s")) + """
                pekko.coordinated-shutdown.exit-jvm = on
                blob-gc.sweeper.max-deletes-per-second = 20
                %6$sblob-gc-demo {
                  node-index = %1$d
                  start-at = %2$d
                  phase = %3$ds
                  final-phase = %4$d
                  log = "%5$s"
                }
                """.formatted(i, startAt, phaseSeconds, phases,
                data.resolve("vm-node" + i + ".log").toString().replace('\\', '/'), partitionSettings()));
        ProcessBuilder pb = new ProcessBuilder(LocalCluster.nodeCommand(System.getProperty("java.class.path"),
                data.resolve("logback.xml"), data.resolve("node" + i + ".log"), conf, "384m"));
        pb.redirectErrorStream(true).redirectOutput(data.resolve("node" + i + ".out").toFile());
        Process p = pb.start();
        say("node%d: pid %d", i, p.pid());
        return p;
    }

    private void awaitReady(int i) throws InterruptedException {
        long until = System.currentTimeMillis() + 90_000;
        while (System.currentTimeMillis() < until) {
            if (!procs[i].isAlive()) throw new IllegalStateException("node" + i + " exited: see " + dir + "/node" + i + ".log");
            try {
                api(i).get("/health/ready");
                return;
            } catch (ApiClient.ApiException e) {
                Thread.sleep(250);
            }
        }
        throw new IllegalStateException("node" + i + " not ready after 90 s: see " + dir + "/node" + i + ".log");
    }

    private ApiClient api(int node) {
        return new ApiClient("http://127.0.0.1:" + httpPort(node), null);
    }

    private void upload(FileBlobStore store) {
        long bytes = 0;
        for (int i = 0; i < catalog.size(); i++) {
            List<String> deps = catalog.dependencies(i).stream().map(BlobHash::toHex).toList();
            api(1).putBytes("/v1/blobs/" + catalog.hash(i) + (deps.isEmpty() ? "" : "?dependsOn=" + String.join(",", deps)),
                    catalog.content(i));
            bytes += catalog.content(i).length;
        }
        say("uploaded %d blobs (%d functions, %d libraries they call), %s, through node1's API",
                catalog.size(), DemoCatalog.FUNCTIONS, DemoCatalog.LIBRARIES, Bytes.human(bytes));
    }

    // ---- watching

    /** Polls the store and the summary: records vanishing files, prints a line per cycle. */
    private final class Watcher {
        final FileBlobStore store;
        final boolean[] present;
        final long[] lastSeen;
        long lastCycle = -1;
        long lastDeleting = -1;

        Watcher(FileBlobStore store) {
            this.store = store;
            present = new boolean[catalog.size()];
            lastSeen = new long[catalog.size()];
            for (int i = 0; i < present.length; i++) present[i] = true;
        }

        void poll() {
            long now = System.currentTimeMillis();
            for (int i = 0; i < present.length; i++) {
                boolean exists = store.exists(catalog.hash(i));
                if (present[i] && !exists) vanished.computeIfAbsent(i, k -> new ArrayList<>()).add(new long[]{lastSeen[i], now});
                if (exists) lastSeen[i] = now;
                present[i] = exists;
            }
            JsonNode s = summaryFromAnyLiveNode();
            if (s == null) return;
            long cycle = s.path("cycle").asLong();
            JsonNode c = s.path("counts");
            if (cycle != lastCycle) {
                lastCycle = cycle;
                long live = 0;
                for (JsonNode n : s.path("nodes")) if (n.path("state").asText().equals("LIVE")) live++;
                out.printf(Locale.ROOT, "%6.1fs  cycle %4d | nodes %d | active %3d | pinned %2d | unreferenced %3d | marked %2d"
                                + " | collected %3d | freed %s%s%n", secs(), cycle, live, c.path("ACTIVE").asLong(),
                        c.path("PINNED").asLong(), c.path("UNREFERENCED").asLong(), c.path("MARKED_FOR_COLLECTION").asLong(),
                        s.path("collected").asLong(), Bytes.human(s.path("collectedBytes").asLong()),
                        s.path("warmingUp").asBoolean() ? " | WARMING UP" : "");
            }
            long deleting = c.path("DELETING").asLong();
            if (deleting > 0 && deleting != lastDeleting) {
                out.printf(Locale.ROOT, "%6.1fs          sweeping: %d blob(s) being deleted from the store%n", secs(), deleting);
            }
            lastDeleting = deleting;
        }
    }

    private JsonNode summaryFromAnyLiveNode() {
        for (int i = 1; i <= NODES; i++) {
            if (!procs[i].isAlive()) continue;
            try {
                return new ApiClient("http://127.0.0.1:" + httpPort(i), null).get("/v1/summary");
            } catch (ApiClient.ApiException e) {
                // failover under way, or this node is stopping: try another
            }
        }
        return null;
    }

    private void killCoordinator(Watcher watcher) throws InterruptedException {
        JsonNode s = summaryFromAnyLiveNode();
        if (s == null) throw new IllegalStateException("no coordinator to kill");
        String coord = s.path("coordinatorNode").asText();
        int victim = Integer.parseInt(coord.substring(coord.lastIndexOf(':') + 1)) - basePort;
        long cycleBefore = s.path("cycle").asLong();
        say(">>> kill -9 of node%d (pid %d): it hosts the coordinator, at cycle %d", victim, procs[victim].pid(), cycleBefore);
        long killTime = System.currentTimeMillis();
        procs[victim].destroyForcibly();
        procs[victim].waitFor();
        killedAt[victim] = killTime;
        say(">>> node%d is gone; the others' failure detector and split brain resolver must down it before the "
                + "singleton moves", victim);
        boolean moved = false, warm = false;
        long until = killTime + 60_000;
        while (System.currentTimeMillis() < until && !warm) {
            watcher.poll();
            JsonNode now = summaryFromAnyLiveNode();
            if (now != null && !now.path("coordinatorNode").asText().equals(coord)) {
                if (!moved) {
                    moved = true;
                    say(">>> coordinator now on %s, recovered from the journal at cycle %d; warming up until every "
                            + "member sent it a FULL report", now.path("coordinatorNode").asText(), now.path("cycle").asLong());
                }
                if (!now.path("warmingUp").asBoolean() && now.path("cycle").asLong() > cycleBefore) {
                    warm = true;
                    say(">>> warm-up complete, cycles resume: failover took %.1f s (kill -> next completed cycle)",
                            (System.currentTimeMillis() - killTime) / 1000.0);
                }
            }
            Thread.sleep(POLL_MS);
        }
        if (!warm) throw new IllegalStateException("the coordinator did not fail over within 60 s");
    }

    // ---- verification

    /** What must be on disk at the end: live VMs' final functions, their callees, and the pinned blob. */
    private Set<Integer> protectedAtEnd() {
        List<Integer> live = new ArrayList<>();
        for (int node = 1; node <= NODES; node++) if (killedAt[node] == 0) live.add(node);
        return catalog.keptAtEnd(live, phases, 0);
    }

    private boolean settled(FileBlobStore store) {
        Set<Integer> keep = protectedAtEnd();
        for (int i = 0; i < catalog.size(); i++) {
            if (store.exists(catalog.hash(i)) != keep.contains(i)) return false;
        }
        return true;
    }

    private boolean verify(Path data, FileBlobStore store) throws IOException {
        // hold intervals per blob, from the VMs' logs; a killed node's holds end when it was killed
        Map<Integer, List<long[]>> holds = new HashMap<>();
        long acquires = 0;
        for (int node = 1; node <= NODES; node++) {
            List<Long> kills = killedAt[node] != 0 ? List.of(killedAt[node]) : List.of();
            acquires += UseLog.read(data.resolve("vm-node" + node + ".log"), kills, Long.MAX_VALUE, holds).acquires();
        }
        List<String> violations = new ArrayList<>();
        long deletions = 0;
        for (var e : vanished.entrySet()) {
            for (long[] w : e.getValue()) {
                deletions++;
                for (long[] h : holds.getOrDefault(e.getKey(), List.of())) {
                    if (h[0] < w[1] && h[1] > w[0]) {
                        violations.add(catalog.name(e.getKey()) + " vanished between " + rel(w[0]) + " and " + rel(w[1])
                                + " while held from " + rel(h[0]) + " to " + (h[1] == Long.MAX_VALUE ? "the end" : rel(h[1])));
                    }
                }
            }
        }
        Set<Integer> keep = protectedAtEnd();
        List<String> missing = new ArrayList<>(), leftover = new ArrayList<>();
        for (int i = 0; i < catalog.size(); i++) {
            boolean exists = store.exists(catalog.hash(i));
            if (keep.contains(i) && !exists) missing.add(catalog.name(i));
            if (!keep.contains(i) && exists) leftover.add(catalog.name(i));
        }
        out.println();
        out.printf("verification: %d deletions seen on disk, checked against %d hold intervals (%d acquires): %d violations%n",
                deletions, holds.values().stream().mapToInt(List::size).sum(), acquires, violations.size());
        violations.forEach(v -> out.println("  VIOLATION: " + v));
        out.printf("verification: at the end %d blobs in use, pinned or called are on disk%s; %d unused blobs deleted%s%n",
                keep.size() - missing.size(), missing.isEmpty() ? "" : " — MISSING: " + missing,
                catalog.size() - keep.size() - leftover.size(), leftover.isEmpty() ? "" : " — NOT DELETED: " + leftover);
        boolean ok = violations.isEmpty() && missing.isEmpty() && leftover.isEmpty() && deletions > 0;
        out.println(ok ? "demo PASSED: no blob in use was ever deleted, and every unused one was"
                : "demo FAILED (logs under " + data + ")");
        return ok;
    }

    /** SIGTERM (coordinated shutdown: leave, hand over), youngest first and one at a time. */
    private void stopNodes() {
        for (int i = NODES; i >= 1; i--) {
            if (procs[i] == null || !procs[i].isAlive()) continue;
            procs[i].destroy();
            try {
                if (!procs[i].waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) procs[i].destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        say("nodes stopped; total %.1f s; logs in %s", secs(), dir);
    }

    private String rel(long at) {
        return String.format(Locale.ROOT, "%.2fs", (at - t0) / 1000.0);
    }

    private double secs() {
        return (System.currentTimeMillis() - t0) / 1000.0;
    }

    private void say(String format, Object... args) {
        out.printf(Locale.ROOT, "%6.1fs  " + format + "%n", Stream.concat(Stream.of(secs()), Stream.of(args)).toArray());
    }
}
