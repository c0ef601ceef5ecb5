package io.blobgc.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import io.blobgc.BlobHash;
import io.blobgc.Postgres;
import io.blobgc.store.BlobStore;
import io.blobgc.store.FileBlobStore;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A multi-JVM cluster driven through the admin API, with the steps the failure scenarios share. */
final class Scenario implements AutoCloseable {

    static final Duration WAIT = Duration.ofSeconds(90);
    /** How long a poll during a failover waits for one node's summary ({@link NodeProcesses#summary(Duration)}). */
    static final Duration POLL = Duration.ofSeconds(1);

    final NodeProcesses nodes;
    /** The nodes' store as the test sees it: their shared directory, or the bucket they were configured with. */
    final BlobStore store;
    private final Map<Integer, String> extra = new HashMap<>();
    /** Nodes restarted in the background, not ready yet ({@link #restartInBackground}). */
    private final java.util.Set<Integer> starting = new java.util.HashSet<>();

    private Scenario(NodeProcesses nodes, BlobStore store) {
        this.nodes = nodes;
        this.store = store != null ? store : new FileBlobStore(nodes.dir.resolve("blobs"));
    }

    /**
     * Starts n nodes (node1 first: it opens an embedded journal) and waits until all report.
     *
     * @param common HOCON for every node (journal, policy…); {@code perNode} HOCON for one node, by index;
     *               {@code perNodeEnv} environment variables of one node's JVM, by index
     */
    static Scenario start(String name, int n, String common, Map<Integer, String> perNode,
                          Map<Integer, Map<String, String>> perNodeEnv) throws Exception {
        return start(name, n, common, perNode, perNodeEnv, null, false);
    }

    /**
     * As above, with {@code store} the test's own view of the store the nodes were configured with in {@code common}
     * (null: the nodes' default, the shared directory under the scenario's directory).
     */
    static Scenario start(String name, int n, String common, Map<Integer, String> perNode,
                          Map<Integer, Map<String, String>> perNodeEnv, BlobStore store) throws Exception {
        return start(name, n, common, perNode, perNodeEnv, store, false);
    }

    /**
     * As above, on the nodes' default store.
     *
     * @param oneByOne each node ready (Up) before the next starts, so the members' age is their index order and the
     *                 singleton moves to the lowest index alive; else nodes 2..n start together
     */
    static Scenario start(String name, int n, String common, Map<Integer, String> perNode,
                          Map<Integer, Map<String, String>> perNodeEnv, boolean oneByOne) throws Exception {
        return start(name, n, common, perNode, perNodeEnv, null, oneByOne);
    }

    private static Scenario start(String name, int n, String common, Map<Integer, String> perNode,
                                  Map<Integer, Map<String, String>> perNodeEnv, BlobStore store, boolean oneByOne)
            throws Exception {
        return start(name, n, common, perNode, perNodeEnv, store, oneByOne, false, nodes -> { });
    }

    /** As above, with {@code setup} run on the nodes before any starts (command prefixes, cluster addresses). */
    static Scenario start(String name, int n, String common, Map<Integer, String> perNode,
                          Map<Integer, Map<String, String>> perNodeEnv, NodeSetup setup) throws Exception {
        return start(name, n, common, perNode, perNodeEnv, null, false, false, setup);
    }

    /**
     * As above, on the nodes' default store, with {@code setup} run on the nodes before any starts (command
     * prefixes, cluster addresses, what must listen before a node starts).
     */
    static Scenario start(String name, int n, String common, Map<Integer, String> perNode, boolean oneByOne,
                          NodeSetup setup) throws Exception {
        return start(name, n, common, perNode, Map.of(), null, oneByOne, false, setup);
    }

    /**
     * As above, all nodes started at once (not node1 first: for a journal in PostgreSQL). node1 is still the oldest
     * member when it is the first seed and the only one whose seed-node-timeout is short: the others never join
     * themselves, they join the cluster it forms.
     */
    static Scenario startTogether(String name, int n, String common, Map<Integer, String> perNode, NodeSetup setup)
            throws Exception {
        return start(name, n, common, perNode, Map.of(), null, false, true, setup);
    }

    interface NodeSetup {
        void before(NodeProcesses nodes) throws Exception;
    }

    private static Scenario start(String name, int n, String common, Map<Integer, String> perNode,
                                  Map<Integer, Map<String, String>> perNodeEnv, BlobStore store, boolean oneByOne,
                                  boolean together, NodeSetup setup) throws Exception {
        Path dir = Path.of("target", "multi-jvm", name);
        if (Files.exists(dir)) {
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        Scenario s = new Scenario(new NodeProcesses(dir, n, common), store);
        s.extra.putAll(perNode);
        perNodeEnv.forEach((i, env) -> env.forEach((k, v) -> s.nodes.environment(i, k, v)));
        try {
            setup.before(s.nodes);
            // a journal in PostgreSQL: node1 need not open it first (an embedded H2 journal's server is the JVM that
            // opened it first), so the JVMs start at once rather than one start-up after the other (CI: 2 cores)
            if (!oneByOne && common.contains(Postgres.nodeConfig())) together = true;
            // node1, the first seed, joins itself once no other seed answers its InitJoin: none can (alone, or the
            // others not started yet, or not members and so answering no), so it need not wait out the default
            // seed-node-timeout (5 s). Only node1 may form the cluster (the others never join themselves), so it is
            // the oldest member as before. Its first start only: a restarted node1 must find the cluster it left,
            // not form another. The test's own settings for node1 come after (win)
            s.nodes.start(1, "pekko.cluster.seed-node-timeout = 1s\n" + perNode.getOrDefault(1, ""));
            if (!together) s.nodes.awaitReady(1, WAIT);
            for (int i = 2; i <= n; i++) {
                s.nodes.start(i, perNode.getOrDefault(i, ""));
                if (oneByOne) s.nodes.awaitReady(i, WAIT);
            }
            for (int i = together ? 1 : 2; i <= n; i++) s.nodes.awaitReady(i, WAIT);
            s.awaitReporting(n);
        } catch (Exception | AssertionError e) {
            // the nodes already started must not outlive a start that failed: they would go on writing to the
            // shared journal under the next test (seen: a node that could not bind left two JVMs running)
            s.close();
            throw e;
        }
        return s;
    }

    static Scenario start(String name, int n, String common, Map<Integer, String> perNode) throws Exception {
        return start(name, n, common, perNode, Map.of());
    }

    static Scenario start(String name, int n, String common) throws Exception {
        return start(name, n, common, Map.of());
    }

    void awaitReporting(int n) throws Exception {
        await(n + " nodes reporting, coordinator warm", () -> {
            JsonNode s = nodes.summary();
            if (s == null || s.path("warmingUp").asBoolean()) return false;
            int live = 0;
            for (JsonNode node : s.path("nodes")) if (node.path("state").asText().equals("LIVE")) live++;
            return live == n && s.path("nodes").size() == n;
        });
    }

    static void await(String what, Callable<Boolean> condition) throws Exception {
        NodeProcesses.await(what, WAIT, condition);
    }

    /** The first live node (not one restarting in the background: it may not answer yet). */
    int anyLive() {
        for (int i = 1; i <= nodes.size(); i++) {
            if (nodes.process(i) != null && nodes.process(i).isAlive() && !starting.contains(i)) return i;
        }
        throw new IllegalStateException("no live node");
    }

    /**
     * Uploads {@code content} through a live node: 201, or 503 answered again as a client must (the coordinator or the
     * blob's partition did not answer in time: a failover, or a partition moving to a member that joined — seen in
     * ShardedFailoverTest after a restart), each retried a second later for up to a minute; anything else fails.
     */
    String upload(String content) throws Exception {
        byte[] bytes = content.getBytes();
        String hex = BlobHash.sha256(bytes).toHex();
        long until = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (true) {
            var r = nodes.send(anyLive(), "PUT", "/v1/blobs/" + hex, bytes, "application/octet-stream");
            if (r.status() != 503 || System.nanoTime() > until) {
                assertEquals(201, r.status(), String.valueOf(r.json()));
                return hex;
            }
            Thread.sleep(1_000);
        }
    }

    void lease(int node, String holder, String... hexes) throws Exception {
        String list = String.join("\",\"", hexes);
        var r = nodes.json(node, "PUT", "/v1/node/holders/" + holder, "{\"hashes\":[\"" + list + "\"],\"ttl\":\"10m\"}");
        assertEquals(200, r.status(), String.valueOf(r.json()));
    }

    void dropLease(int node, String holder) throws Exception {
        var r = nodes.send(node, "DELETE", "/v1/node/holders/" + holder, null, null);
        assertEquals(200, r.status(), String.valueOf(r.json()));
    }

    void pin(String hex, String owner) throws Exception {
        var r = nodes.json(anyLive(), "PUT", "/v1/pins/" + hex, "{\"owner\":\"" + owner + "\",\"reason\":\"test\"}");
        assertEquals(200, r.status(), String.valueOf(r.json()));
    }

    JsonNode blob(String hex) throws Exception {
        var r = nodes.get(anyLive(), "/v1/blobs/" + hex);
        if (r.status() != 200) throw new IllegalStateException("GET blob: " + r.status() + " " + r.json());
        return r.json();
    }

    String status(String hex) throws Exception {
        return blob(hex).path("status").asText();
    }

    /** Whether the store holds the blob's content (a file, an object in the bucket). */
    /** Whether the store holds the blob (a file, or an object in the bucket). */
    boolean onDisk(String hex) {
        try {
            return store.exists(BlobHash.parse(hex));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot ask the store about " + hex, e);
        }
    }

    /**
     * Starts a daemon thread that looks at the store every 20 ms until interrupted: each blob in {@code held} (hash to
     * who holds it) must be there, else it is added to {@code violations}. A watchdog, because a deletion is over in
     * milliseconds and the test's own steps would not see one between them.
     */
    Thread watchStore(Map<String, String> held, java.util.Set<String> violations) {
        Thread t = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                synchronized (held) { // a test that takes blobs off the watch with their findings holds it too
                    held.forEach((h, who) -> {
                        if (!onDisk(h)) violations.add(h.substring(0, 12) + " (" + who + ") missing from the store");
                    });
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "held-watchdog");
        t.setDaemon(true);
        t.start();
        return t;
    }

    void awaitStatus(String hex, String status) throws Exception {
        await(hex.substring(0, 12) + " " + status, () -> status(hex).equals(status));
    }

    int coordinator() {
        JsonNode s = nodes.summary();
        if (s == null) throw new IllegalStateException("no summary");
        return nodes.indexOf(s.path("coordinatorNode").asText());
    }

    /** History entries by cycle number. */
    Map<Long, JsonNode> history() throws Exception {
        Map<Long, JsonNode> out = new HashMap<>();
        for (JsonNode e : nodes.get(anyLive(), "/v1/cycles?limit=1000").json().path("cycles")) {
            out.put(e.path("cycle").asLong(), e);
        }
        return out;
    }

    /**
     * kill -9 of the coordinator's JVM; waits for a warm coordinator on a survivor that completed a new cycle.
     *
     * @return seconds from the kill to the first cycle the new coordinator completed after its warm-up, by the
     * coordinator's own clock (the history's {@code at}; same machine), not by when a poll happened to see it
     */
    double killCoordinator() throws Exception {
        return killCoordinator(() -> { });
    }

    /** As {@link #killCoordinator()}, running {@code afterKill} as soon as the JVM is gone (before the wait). */
    double killCoordinator(Runnable afterKill) throws Exception {
        return failover(afterKill).seconds();
    }

    /**
     * One failover: the node killed, when (this JVM's wall clock, as the nodes' on the same machine), and when the
     * new coordinator completed its first cycle after the warm-up (its history's {@code at}).
     */
    record Failover(int victim, long killedAt, long firstWarmCycleAt) {
        double seconds() {
            return (firstWarmCycleAt - killedAt) / 1000.0;
        }
    }

    /** {@link #killCoordinator(Runnable)}, with the failover's times. */
    Failover failover(Runnable afterKill) throws Exception {
        JsonNode before = nodes.summary();
        int victim = nodes.indexOf(before.path("coordinatorNode").asText());
        long cycle = before.path("cycle").asLong();
        long killedAt = System.currentTimeMillis();
        nodes.kill(victim);
        afterKill.run();
        await("a warm coordinator on a survivor", () -> {
            JsonNode s = nodes.summary(POLL);
            return s != null && nodes.indexOf(s.path("coordinatorNode").asText()) != victim
                    && !s.path("warmingUp").asBoolean() && s.path("cycle").asLong() > cycle;
        });
        long firstWarmCycleAt = history().values().stream()
                .filter(e -> e.path("cycle").asLong() > cycle && !e.path("warmingUp").asBoolean())
                .mapToLong(e -> e.path("at").asLong()).min().orElseThrow();
        return new Failover(victim, killedAt, firstWarmCycleAt);
    }

    void restart(int i) throws Exception {
        nodes.start(i, extra.getOrDefault(i, ""));
        nodes.awaitReady(i, WAIT);
    }

    /**
     * Starts node {@code i} again (a new incarnation on the same host:port) without waiting for it: the scenario's
     * requests go to the other nodes until {@link #awaitRestarted}.
     */
    void restartInBackground(int i) throws Exception {
        starting.add(i);
        nodes.start(i, extra.getOrDefault(i, ""));
    }

    void awaitRestarted(int i) throws Exception {
        nodes.awaitReady(i, WAIT);
        starting.remove(i);
    }

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(Double::compare);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    @Override
    public void close() throws Exception {
        nodes.close();
    }
}
