package io.blobgc.cli;

import io.blobgc.BlobGc;
import io.blobgc.BlobHash;
import io.blobgc.TestNodes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line against a running node: tables, --json, and exit codes 0 / 1 / 2. */
class CliTest {

    @TempDir
    static Path dir;
    private static ActorSystem<Void> node;
    private static String url;

    @BeforeAll
    static void start() {
        // a long grace: the blobs of this test must not be collected under its feet
        node = ActorSystem.create(Behaviors.empty(), "blobgc", TestNodes.config(dir, "blob-gc.grace-period = 1h"));
        Cluster c = Cluster.get(node);
        c.manager().tell(Join.create(c.selfMember().address()));
        TestProbe.create(node).awaitAssert(Duration.ofSeconds(20), () -> {
            assertEquals(MemberStatus.up(), c.selfMember().status());
            return null;
        });
        url = "http://127.0.0.1:" + BlobGc.get(node).httpAddress().getPort();
    }

    @AfterAll
    static void stop() throws Exception {
        node.terminate();
        node.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    record Run(int code, String out, String err) {
    }

    private static Run cli(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    /** Issue 21 (small things): {@code --help} on every subcommand prints its usage and exits 0 (it exited 2). */
    @Test
    void everySubcommandAnswersHelp() {
        for (String cmd : List.of("node", "demo", "bench", "bench-registrations", "bench-orphans", "status", "blob", "pin", "unpin",
                "cycle", "history", "put")) {
            Run r = cli(cmd, "--help");
            assertEquals(0, r.code(), cmd + " --help: " + r.err());
            assertTrue(r.out().contains("Usage: blob-gc " + cmd), cmd + " --help: " + r.out());
        }
    }

    /**
     * Issue 24: {@code bench --partitions P} splits the registry by hash prefix into P ledgers, each with its share of
     * the blobs, reports and snapshot; the figures are printed per partition and in total.
     */
    @Test
    void benchSplitsItsWorkloadIntoPartitionsAndPrintsEach() throws Exception {
        Run r = cli("bench", "--blobs", "20000", "--nodes", "4", "--active", "500", "--churn", "10", "--cycles", "3",
                "--warmup", "0", "--partitions", "4");
        assertEquals(0, r.code(), r.err());
        String line = r.out().lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow();
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
        assertEquals(4, json.get("partitions").asInt());
        assertEquals(4, json.get("per_partition").size());
        long blobs = 0, bytes = 0;
        for (var p : json.get("per_partition")) {
            assertTrue(p.get("blobs").asLong() > 3_000, "a share of the 20,000 blobs each: " + p);
            assertTrue(p.get("snapshot_bytes").asLong() > 0, "each partition's snapshot written: " + p);
            blobs += p.get("blobs").asLong();
            bytes += p.get("snapshot_bytes").asLong();
        }
        assertEquals(20_000, blobs);
        assertEquals(json.get("snapshot_bytes").asLong(), bytes);
        Run bad = cli("bench", "--blobs", "1000", "--nodes", "1", "--active", "10", "--churn", "1", "--cycles", "1",
                "--partitions", "3");
        assertTrue(bad.code() != 0 && bad.err().contains("power of two"), bad.err());
    }

    @Test
    void putBlobPinUnpinCycleHistoryAndStatus() throws Exception {
        Path file = dir.resolve("function.wasm");
        Files.writeString(file, "a function body");
        String hex = BlobHash.sha256(Files.readAllBytes(file)).toHex();
        Run put = cli("put", file.toString(), "--url", url);
        assertEquals(0, put.code(), put.err());
        assertTrue(put.out().startsWith(hex), put.out());

        Run blob = cli("blob", hex, "--url", url);
        assertEquals(0, blob.code(), blob.err());
        assertTrue(blob.out().matches("(?s).*status +(ACTIVE|UNREFERENCED).*"), blob.out());

        Run pin = cli("pin", hex, "--owner", "ops", "--reason", "golden", "--ttl", "1h", "--url", url);
        assertEquals(0, pin.code(), pin.err());
        Run json = cli("blob", hex, "--json", "--url", url);
        assertTrue(json.out().contains("\"status\" : \"PINNED\"") && json.out().contains("\"owner\" : \"ops\""), json.out());
        assertEquals(0, cli("unpin", hex, "--owner", "ops", "--url", url).code());

        assertEquals(0, cli("cycle", "--url", url).code());
        assertEquals(0, cli("cycle", "--url", url).code());
        Run cycle = cli("cycle", "--dry-run", "--url", url);
        assertEquals(0, cycle.code(), cycle.err());
        assertTrue(cycle.out().contains("(dry run)"), cycle.out());
        Run history = cli("history", "--limit", "3", "--url", url);
        assertEquals(0, history.code(), history.err());
        assertTrue(history.out().startsWith("CYCLE"), history.out());
        assertEquals(4, history.out().lines().filter(l -> !l.startsWith(" ")).count(), history.out());

        TestProbe.create(node).awaitAssert(Duration.ofSeconds(20), () -> {
            Run status = cli("status", "--url", url);
            assertEquals(0, status.code(), status.err());
            assertTrue(status.out().contains("LIVE") && status.out().contains("ACTIVE"), status.out());
            return null;
        });
    }

    @Test
    void errorsExitWith1AndUsageWith2() {
        Run unknown = cli("blob", "0".repeat(64), "--url", url);
        assertEquals(1, unknown.code());
        assertTrue(unknown.err().contains("not_found"), unknown.err());
        Run malformed = cli("blob", "xyz", "--url", url);
        assertEquals(1, malformed.code());
        assertTrue(malformed.err().contains("malformed blob hash"), malformed.err());
        Run unreachable = cli("status", "--url", "http://127.0.0.1:1");
        assertEquals(1, unreachable.code());
        assertTrue(unreachable.err().contains("cannot reach"), unreachable.err());
        assertEquals(2, cli("pin", "0".repeat(64), "--url", url).code(), "--owner and --reason are required");
        assertEquals(2, cli("no-such-command").code());
        assertEquals(2, cli().code());
        assertEquals(0, cli("--help").code());
    }
}
