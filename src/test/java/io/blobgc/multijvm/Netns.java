package io.blobgc.multijvm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Node JVMs in Linux network namespaces the test creates, so that links between members can be cut and healed
 * (NetworkPartitionTest, RandomizedSafetyTest). Needs root; {@link #unavailable()} says why not.
 *
 * <p>The network. A hub namespace ({@code bgcnshub}) holds a bridge; node i runs in namespace {@code bgcns<i>} whose
 * {@code eth0} (address 10.213.0.i/24) is one end of a veth pair, the other end ({@code bgcnsh<i>}) a port of the
 * bridge. The root namespace gets no address and no link: every veth is created straight into the namespaces, and
 * deleting the namespaces removes them all (in {@link #close()}, in a shutdown hook, and at the start for leftovers
 * with the prefix). Pekko's canonical hostname (and the seed nodes) are the namespace addresses, so cluster traffic
 * crosses the bridge. Faults are made on the bridge side, like pulling a cable at a switch: a member is cut off by
 * setting its bridge port down, and the link between two members (each still seeing the others) is cut by marking
 * both ports {@code isolated} (the bridge forwards nothing between isolated ports); the network is split in two sides
 * by moving one side's ports onto a second bridge in the hub (this kernel's bridge has no VLAN filtering). This kernel
 * has no netem (no qdisc modules), so no {@code tc netem loss 100%}: a port down drops everything silently, as that
 * would.
 *
 * <p>The database does not go through the cut links, on purpose. PostgreSQL listens on 127.0.0.1 and a Unix socket
 * (peer authentication) outside the namespaces, so each node reaches it through a {@link Relay} JVM in its namespace
 * (TCP 127.0.0.1:5432 there → a Unix socket file, the filesystem being shared) and a relay in this JVM (that socket →
 * 127.0.0.1:5432). A coordinator cut off from the other members but still writing the journal is the harshest case
 * for the takeover fence (S10). The admin API, bound to 127.0.0.1 in each namespace, is reached the same way (a relay
 * in this JVM on the node's HTTP port → a socket file → the node's relay → the node).
 *
 * <p>Closing it (or this JVM's shutdown hook) stops the relays and deletes every namespace with the prefix, and with
 * them every veth.
 */
final class Netns implements AutoCloseable {

    private static final String PREFIX = "bgcns";

    private static final String HUB = PREFIX + "hub";
    private static final String BRIDGE = PREFIX + "br";
    /** A second bridge, empty while the network is whole: {@link #split} moves one side's ports onto it. */
    private static final String OTHER_SIDE = PREFIX + "br2";

    private final int n;
    private final Path sockets;
    private final List<Relay> relays = new ArrayList<>();
    private final List<Process> relayJvms = new ArrayList<>();
    private final Thread hook;
    private volatile NodeProcesses nodes;

    /** Why this machine cannot run the test (not root, no {@code ip}, namespaces refused), or null. */
    static String unavailable() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "it creates Linux network namespaces and needs root (CI runs as root)";
        }
        try {
            if (run(List.of("ip", "netns", "list")) != 0) return "`ip netns list` failed";
        } catch (IOException e) {
            return "no `ip` command (iproute2): " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
        return null;
    }

    Netns(int n) throws Exception {
        this.n = n;
        this.sockets = Files.createTempDirectory(Path.of("/tmp"), PREFIX + "-");
        hook = new Thread(this::removeAll, "netns cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            removeLeftovers();
            ip("netns", "add", HUB);
            ip("-n", HUB, "link", "set", "lo", "up");
            ip("-n", HUB, "link", "add", BRIDGE, "type", "bridge");
            ip("-n", HUB, "link", "set", BRIDGE, "up");
            ip("-n", HUB, "link", "add", OTHER_SIDE, "type", "bridge");
            ip("-n", HUB, "link", "set", OTHER_SIDE, "up");
            for (int i = 1; i <= n; i++) {
                ip("netns", "add", ns(i));
                ip("-n", ns(i), "link", "set", "lo", "up");
                ip("-n", ns(i), "link", "add", "eth0", "type", "veth", "peer", "name", port(i), "netns", HUB);
                ip("-n", HUB, "link", "set", port(i), "master", BRIDGE);
                ip("-n", HUB, "link", "set", port(i), "up");
                ip("-n", ns(i), "addr", "add", address(i) + "/24", "dev", "eth0");
                ip("-n", ns(i), "link", "set", "eth0", "up");
            }
            relays.add(Relay.start(UnixDomainSocketAddress.of(sockets.resolve("db.sock")),
                    new InetSocketAddress("127.0.0.1", 5432)));
        } catch (Exception | AssertionError e) {
            close();
            throw e;
        }
    }

    static String ns(int i) {
        return PREFIX + i;
    }

    static String address(int i) {
        return "10.213.0." + i;
    }

    private static String port(int i) {
        return PREFIX + "h" + i;
    }

    /**
     * Before the nodes start: each runs in its namespace at its address, with a relay JVM there for the database
     * and its admin API, and a relay here on its HTTP port.
     */
    void attach(NodeProcesses nodes) throws Exception {
        this.nodes = nodes;
        String[] hosts = new String[n];
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (int i = 1; i <= n; i++) {
            hosts[i - 1] = address(i);
            nodes.commandPrefix(i, List.of("ip", "netns", "exec", ns(i)));
            Path http = sockets.resolve("node" + i + ".sock");
            Process p = new ProcessBuilder("ip", "netns", "exec", ns(i), java, "-Xmx32m", "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1", "-cp", cp, Relay.class.getName(),
                    "tcp:127.0.0.1:5432=unix:" + sockets.resolve("db.sock"),
                    "unix:" + http + "=tcp:127.0.0.1:" + nodes.httpPort(i))
                    .redirectErrorStream(true).start();
            relayJvms.add(p);
            String first = new BufferedReader(new InputStreamReader(p.getInputStream())).readLine();
            if (first == null || !first.startsWith("relaying")) {
                throw new IOException("the relay in " + ns(i) + " did not start: " + first);
            }
            relays.add(Relay.start(new InetSocketAddress("127.0.0.1", nodes.httpPort(i)),
                    UnixDomainSocketAddress.of(http)));
        }
        nodes.hosts(hosts);
    }

    /** Cuts member i off: its bridge port down. */
    void down(int i) throws Exception {
        ip("-n", HUB, "link", "set", port(i), "down");
    }

    void up(int i) throws Exception {
        ip("-n", HUB, "link", "set", port(i), "up");
    }

    /**
     * Splits the network in two: the members in {@code side} see each other and no one else (their bridge ports moved
     * onto a bridge of their own), the others likewise. {@link #heal} joins them again.
     */
    void split(int... side) throws Exception {
        for (int i : side) ip("-n", HUB, "link", "set", port(i), "master", OTHER_SIDE);
    }

    /** Undoes {@link #split}: every port on the one bridge again. */
    void heal() throws Exception {
        for (int i = 1; i <= n; i++) ip("-n", HUB, "link", "set", port(i), "master", BRIDGE);
    }

    /** Cuts (or heals) the link between members i and j: both bridge ports isolated (or not). */
    void isolated(int i, int j, boolean on) throws Exception {
        for (int k : new int[]{i, j}) {
            run(List.of("ip", "netns", "exec", HUB, "bridge", "link", "set", "dev", port(k), "isolated",
                    on ? "on" : "off"), true);
        }
    }

    private static void ip(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ip"));
        cmd.addAll(List.of(args));
        run(cmd, true);
    }

    private static int run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor();
    }

    private static String run(List<String> cmd, boolean check) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            if (check) throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }

    /** Namespaces with the prefix left by an earlier run that could not clean up (killed). */
    private static void removeLeftovers() throws IOException, InterruptedException {
        for (String line : run(List.of("ip", "netns", "list"), false).split("\n")) {
            String name = line.split(" ")[0].trim();
            if (name.startsWith(PREFIX)) run(List.of("ip", "netns", "delete", name), false);
        }
    }

    private void removeAll() {
        NodeProcesses started = nodes;
        for (int i = 1; started != null && i <= n; i++) {
            Process p = started.process(i); // gone already unless this JVM is ending mid-test (the hook)
            if (p != null && p.isAlive()) p.destroyForcibly();
        }
        for (Process p : relayJvms) p.destroyForcibly();
        for (Relay r : relays) {
            try {
                r.close();
            } catch (IOException ignored) {
                // going
            }
        }
        try {
            for (Process p : relayJvms) p.waitFor(10, TimeUnit.SECONDS);
            for (int i = 1; i <= n; i++) run(List.of("ip", "netns", "delete", ns(i)), false);
            run(List.of("ip", "netns", "delete", HUB), false);
            try (var files = Files.list(sockets)) {
                for (Path f : files.toList()) Files.deleteIfExists(f);
            }
            Files.deleteIfExists(sockets);
        } catch (IOException | InterruptedException e) {
            System.err.println("netns cleanup: " + e);
        }
    }

    @Override
    public void close() {
        removeAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }
}
