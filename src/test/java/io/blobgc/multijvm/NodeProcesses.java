package io.blobgc.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.blobgc.demo.LocalCluster;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * N blob-gc nodes as separate JVM processes on 127.0.0.1 forming one cluster, each with its config and log under
 * {@code dir} (kept under target/ for a failing test). kill(i) is a kill -9. The nodes run on surefire's test
 * classpath: test parts (a store, an active-set source) plug into them by class name, as users' own would.
 */
public final class NodeProcesses implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public final Path dir;
    private final int[] remotePorts;
    private final int[] httpPorts;
    private final Process[] procs;
    private final String journalConfig;
    /** Environment variables for a node's JVM, by index (kept for its restarts). */
    private final java.util.Map<Integer, java.util.Map<String, String>> environment = new java.util.HashMap<>();
    /** Words before a node's java command, by index (kept for its restarts): {@code ip netns exec NS}. */
    private final java.util.Map<Integer, List<String>> commandPrefix = new java.util.HashMap<>();
    /** Each node's cluster address (canonical hostname), by index; null: all on 127.0.0.1. */
    private String[] hosts;

    /**
     * @param journalConfig HOCON over the defaults for every node: the journal (empty: the embedded H2 file under
     *                      dir), and any settings the test wants
     */
    public NodeProcesses(Path dir, int n, String journalConfig) throws IOException {
        this.dir = dir.toAbsolutePath();
        this.journalConfig = journalConfig;
        Files.createDirectories(this.dir);
        remotePorts = new int[n + 1];
        httpPorts = new int[n + 1];
        procs = new Process[n + 1];
        for (int i = 1; i <= n; i++) {
            remotePorts[i] = freePort();
            httpPorts[i] = freePort();
        }
        LocalCluster.writeLogback(this.dir);
    }

    /**
     * A port free now, below Linux's ephemeral range (32768-60999): a port the OS handed out with bind(0) comes from
     * that range, which every outgoing connection (Artery's, JDBC's) draws from too, so between this call and the
     * node's bind another connection could take it (seen in CI: "Address already in use"). The port 1000 above it
     * is free too and reserved with it: a node's Pekko Management binds its HTTP port + 1000
     * ({@link LocalCluster#nodeConfig}), and CI once saw it collide with another node's port. Never hands out a port
     * reserved before in this JVM.
     */
    public static synchronized int freePort() throws IOException {
        for (int attempt = 0; attempt < 1_000; attempt++) {
            int port = 20_000 + RANDOM.nextInt(11_000);
            if (handedOut.contains(port) || handedOut.contains(port + MANAGEMENT_OFFSET)) continue;
            if (free(port) && free(port + MANAGEMENT_OFFSET)) {
                handedOut.add(port);
                handedOut.add(port + MANAGEMENT_OFFSET);
                return port;
            }
        }
        throw new IOException("no free port found in 20000-31999");
    }

    private static final int MANAGEMENT_OFFSET = LocalCluster.MANAGEMENT_PORT_OFFSET;

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException taken) {
            return false;
        }
    }

    private static final java.util.Random RANDOM = new java.util.Random();
    private static final java.util.Set<Integer> handedOut = new java.util.HashSet<>();

    public int size() {
        return procs.length - 1;
    }

    public Process process(int i) {
        return procs[i];
    }

    public int remotePort(int i) {
        return remotePorts[i];
    }

    public String url(int i) {
        return "http://127.0.0.1:" + httpPorts[i];
    }

    /** Node index of a cluster address such as pekko://blobgc@127.0.0.1:PORT, or -1. */
    public int indexOf(String address) {
        for (int i = 1; i < procs.length; i++) if (address.endsWith(":" + remotePorts[i])) return i;
        return -1;
    }

    /**
     * Sets an environment variable of node {@code i}'s JVM from its next start on: how a test part on the node's
     * classpath (an active-set source, a store) learns what the test wants of it without a config key.
     */
    public void environment(int i, String name, String value) {
        environment.computeIfAbsent(i, k -> new java.util.HashMap<>()).put(name, value);
    }

    /**
     * Runs node {@code i}'s JVM as {@code prefix} followed by its java command from its next start on (a command
     * that execs it, as {@code ip netns exec NS} does: the started process must be the JVM).
     */
    public void commandPrefix(int i, List<String> prefix) {
        commandPrefix.put(i, List.copyOf(prefix));
    }

    /**
     * Each node's cluster address (Pekko's canonical hostname, also in the seed nodes), by index from 1, from their
     * next start on; the admin API stays on the node's 127.0.0.1.
     */
    public void hosts(String... byIndex) {
        if (byIndex.length != size()) throw new IllegalArgumentException("one host per node");
        hosts = new String[byIndex.length + 1];
        System.arraycopy(byIndex, 0, hosts, 1, byIndex.length);
    }

    public int httpPort(int i) {
        return httpPorts[i];
    }

    public void start(int i, String extra) throws IOException {
        Path conf = dir.resolve("node" + i + ".conf");
        List<Integer> seeds = new ArrayList<>();
        for (int n = 1; n < procs.length; n++) seeds.add(remotePorts[n]); // all seeds: a restarted node1 rejoins
        Files.writeString(conf, LocalCluster.nodeConfig(dir, remotePorts[i], seeds, httpPorts[i],
                new LocalCluster.Timings("2s", "500ms", "200ms", "4s"))
                + "pekko.coordinated-shutdown.exit-jvm = on\n" + uploadDir(i) + hostConfig(i) + journalConfig + "\n"
                + extra + "\n");
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(commandPrefix.getOrDefault(i, List.of()));
        command.addAll(LocalCluster.nodeCommand(cp, dir.resolve("logback.xml"), dir.resolve("node" + i + ".log"),
                conf, "256m"));
        // C1 only: a node's start-up (Pekko, the HTTP server: thousands of classes) is mostly JIT work, which three
        // or four JVMs starting at once share two cores for in CI; a test node never runs long or hot enough for C2
        command.add(commandPrefix.getOrDefault(i, List.of()).size() + 1, "-XX:TieredStopAtLevel=1"); // after java
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(environment.getOrDefault(i, java.util.Map.of()));
        pb.redirectErrorStream(true).redirectOutput(dir.resolve("node" + i + ".out").toFile());
        procs[i] = pb.start();
    }

    /**
     * Each node its own upload directory: the nodes share one data directory, whose uploads/ a node empties of
     * leftover uploads when it starts: seen, a restarted node1 deleted the file of an upload node2 was
     * receiving (500 NoSuchFileException). Nodes of a real cluster have a data directory each.
     */
    private String uploadDir(int i) {
        return "blob-gc.http.upload-dir = \"" + dir.resolve("uploads").resolve("node" + i).toString().replace('\\', '/')
                + "\"\n";
    }

    /** HOCON over LocalCluster's 127.0.0.1 addresses when {@link #hosts} were set, else empty. */
    private String hostConfig(int i) {
        if (hosts == null) return "";
        List<String> seeds = new ArrayList<>();
        for (int n = 1; n < procs.length; n++) seeds.add("\"pekko://blobgc@" + hosts[n] + ":" + remotePorts[n] + "\"");
        return "pekko.remote.artery.canonical.hostname = \"" + hosts[i] + "\"\n"
                + "pekko.cluster.seed-nodes = [" + String.join(", ", seeds) + "]\n";
    }

    public void awaitReady(int i, Duration timeout) throws Exception {
        await("node" + i + " ready", timeout, () -> {
            if (!procs[i].isAlive()) {
                throw new NodeExited("node" + i + " exited with " + procs[i].exitValue() + "; the end of "
                        + dir.resolve("node" + i + ".out") + " (a fresh clone's target/ is gone with it):\n"
                        + tail(dir.resolve("node" + i + ".out"), 60));
            }
            return get(i, "/health/ready").status == 200;
        });
    }

    /** The last {@code lines} lines of a node's output, for a failure message (CI keeps no files). */
    static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | RuntimeException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** A node JVM ended while a test waited for it: waiting longer cannot help. */
    static final class NodeExited extends IllegalStateException {
        NodeExited(String message) {
            super(message);
        }
    }

    /**
     * Polls {@code condition} (other JVMs' state, seen through their API or files) until it holds, at most
     * {@code timeout}; errors while polling are remembered for the failure message.
     */
    static void await(String what, Duration timeout, java.util.concurrent.Callable<Boolean> condition)
            throws Exception {
        long until = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (System.nanoTime() < until) {
            try {
                if (condition.call()) return;
            } catch (NodeExited e) {
                throw e;
            } catch (Exception e) {
                last = e;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for: " + what
                + (last == null ? "" : " (last error: " + last + ")"));
    }

    /** Sends {@code sig} (STOP, CONT) to a node's JVM: a process that is late, not dead. */
    static void signal(Process p, String sig) throws IOException, InterruptedException {
        Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid())).inheritIO().start();
        if (k.waitFor() != 0) throw new IOException("kill -" + sig + " " + p.pid() + " failed");
    }

    /** kill -9. */
    public void kill(int i) throws InterruptedException {
        procs[i].destroyForcibly();
        procs[i].waitFor();
    }

    public record Reply(int status, JsonNode json) {
    }

    public Reply get(int i, String path) throws IOException, InterruptedException {
        return send(i, "GET", path, null, null);
    }

    public Reply send(int i, String method, String path, byte[] body, String contentType)
            throws IOException, InterruptedException {
        return send(i, method, path, body, contentType, Duration.ofSeconds(20));
    }

    private Reply send(int i, String method, String path, byte[] body, String contentType, Duration timeout)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(i) + path)).timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) b.header("Content-Type", contentType);
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json;
        try {
            json = JSON.readTree(r.body());
        } catch (IOException notJson) {
            json = null;
        }
        return new Reply(r.statusCode(), json);
    }

    public Reply json(int i, String method, String path, String body) throws IOException, InterruptedException {
        return send(i, method, path, body.getBytes(), "application/json");
    }

    /** The summary from the first live node that answers, or null. */
    public JsonNode summary() {
        return summary(Duration.ofSeconds(20));
    }

    /**
     * {@link #summary()}, each node's answer awaited at most {@code timeout}: for polls during a failover, where a
     * node's ask to the coordinator that just died waits out its whole ask-timeout (10 s) before the node answers,
     * while the next request, sent once the node's proxy found the new coordinator, is answered at once.
     */
    public JsonNode summary(Duration timeout) {
        for (int i = 1; i < procs.length; i++) {
            if (procs[i] == null || !procs[i].isAlive()) continue;
            try {
                Reply r = send(i, "GET", "/v1/summary", null, null, timeout);
                if (r.status == 200) return r.json;
            } catch (IOException | InterruptedException e) {
                // try the next one
            }
        }
        return null;
    }

    /**
     * kill -9 of every node left, all at once. Nothing is asserted once a scenario closes: a graceful leave
     * (SIGTERM, coordinated shutdown, one node after the other) only cost CI 2-4 s a scenario. Whatever a node was
     * writing is cut off as by the kills the scenarios make themselves, and the next scenario starts on a directory
     * (and a PostgreSQL journal) of its own, cleaned.
     */
    @Override
    public void close() throws InterruptedException {
        for (int i = procs.length - 1; i >= 1; i--) if (procs[i] != null) procs[i].destroyForcibly();
        for (int i = procs.length - 1; i >= 1; i--) if (procs[i] != null) procs[i].waitFor();
    }
}
