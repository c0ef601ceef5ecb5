package io.blobgc.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.blobgc.BlobGc;
import io.blobgc.BlobHash;
import io.blobgc.api.ApiClient;
import io.blobgc.api.ApiJson;
import io.blobgc.api.BlobDetail;
import io.blobgc.api.Bytes;
import io.blobgc.api.CycleEntry;
import io.blobgc.api.CycleRun;
import io.blobgc.api.CyclesPage;
import io.blobgc.api.MarkedBlob;
import io.blobgc.api.NodeRow;
import io.blobgc.api.PinRequest;
import io.blobgc.api.SummaryBody;
import io.blobgc.bench.Bench;
import io.blobgc.bench.OrphanBench;
import io.blobgc.bench.RegistrationBench;
import io.blobgc.demo.Demo;
import io.blobgc.demo.DemoVm;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The {@code blob-gc} command line: {@code node} runs a cluster node, {@code demo} the 3-node demo
 * ({@code io.blobgc.demo}), {@code bench}, {@code bench-registrations} and {@code bench-orphans} the benchmarks
 * ({@code io.blobgc.bench}); the other commands talk to a node's admin API. Exit codes: 0 ok, 1 error, 2 usage.
 */
@Command(name = "blob-gc", mixinStandardHelpOptions = true, version = "blob-gc 0.1.0",
        description = "Distributed garbage collector for content-addressed blobs on Apache Pekko Cluster.",
        subcommands = {Main.Node.class, Demo.class, Bench.class, RegistrationBench.class, OrphanBench.class, Main.Status.class, Main.Blob.class, Main.PinCmd.class,
                Main.Unpin.class, Main.Cycle.class, Main.History.class, Main.Put.class})
public final class Main implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "blob-gc-logback.xml");
        }
        int code = run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
        if (code != 0 || args.length == 0 || !(args[0].equals("node"))) System.exit(code);
    }

    /** Runs the command line with the given streams; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof ApiClient.ApiException || e instanceof IllegalArgumentException
                    || e instanceof IOException) {
                line.getErr().println("blob-gc: " + e.getMessage());
                return 1;
            }
            throw e;
        });
        return cl.execute(args);
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }

    /** Options shared by the API commands. */
    static class ApiOptions {
        @Option(names = "--url", defaultValue = "${BLOB_GC_URL:-http://127.0.0.1:7400}",
                description = "a node's admin API (default ${DEFAULT-VALUE})")
        String url;

        @Option(names = "--token", defaultValue = "${BLOB_GC_HTTP_TOKEN:-}",
                description = "bearer token for mutating calls (default: $BLOB_GC_HTTP_TOKEN)")
        String token;

        @Option(names = "--json", description = "print the API's JSON instead of a table")
        boolean json;

        @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
        CommandLine.Model.CommandSpec spec;

        ApiClient client() {
            return new ApiClient(url, token);
        }

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        /** Prints JSON when asked, the table otherwise. */
        int print(JsonNode json, Runnable table) {
            if (this.json) out().println(json.toPrettyString());
            else table.run();
            return 0;
        }

        /** Prints JSON when asked (the API's, as it came), otherwise the table of the answer read into its record. */
        <T> int print(JsonNode json, Class<T> type, java.util.function.Consumer<T> table) {
            return print(json, () -> table.accept(ApiJson.read(json, type)));
        }
    }

    @Command(name = "node", mixinStandardHelpOptions = true,
            description = "Run one blob-gc cluster node (reporter, coordinator candidate, admin API).")
    static final class Node implements Callable<Integer> {
        @Option(names = "--config", description = "a HOCON file over blob-gc's defaults, e.g. config/embedded.conf")
        File config;

        @Override
        public Integer call() {
            if (config != null && !config.isFile()) throw new IllegalArgumentException("no such config file: " + config);
            Config file = config == null ? ConfigFactory.empty() : ConfigFactory.parseFile(config);
            Config c = ConfigFactory.defaultOverrides().withFallback(file).withFallback(ConfigFactory.defaultApplication())
                    .withFallback(ConfigFactory.parseResources("io/blobgc/node-management.conf"))
                    .withFallback(ConfigFactory.defaultReferenceUnresolved()).resolve();
            ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "blobgc", c);
            try {
                BlobGc.get(system);
                if (c.getBoolean("blob-gc.management.enabled")) io.blobgc.http.Management.start(system);
                DemoVm.startIfConfigured(system);
            } catch (RuntimeException e) {
                system.terminate();
                throw new IllegalArgumentException("cannot start: " + e.getMessage());
            }
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Cycle, coordinator, counts by status, and the nodes; with --watch, "
            + "the sweep's progress (done / total, rate, time left) until interrupted.")
    static final class Status implements Callable<Integer> {
        @CommandLine.Mixin
        ApiOptions api;

        @Option(names = "--watch", description = "after the status, print the sweep's progress every --interval")
        boolean watch;

        @Option(names = "--interval", defaultValue = "2", description = "seconds between --watch lines (default ${DEFAULT-VALUE})")
        double interval;

        @Option(names = "--until-done", description = "with --watch: stop (exit 0) once nothing is left to delete")
        boolean untilDone;

        @Override
        public Integer call() throws InterruptedException {
            if (interval <= 0) throw new CommandLine.ParameterException(api.spec.commandLine(), "--interval must be positive");
            ApiClient client = api.client();
            JsonNode s = client.get("/v1/summary");
            int code = table(s);
            if (!watch) return code;
            SweepProgress progress = new SweepProgress(30_000);
            while (true) {
                String now = java.time.LocalTime.now().withNano(0).toString();
                if (s != null) {
                    SweepProgress.Reading r = progress.add(System.currentTimeMillis(), ApiJson.read(s, SummaryBody.class));
                    api.out().println(api.json ? ApiClient.JSON.valueToTree(r).toString() : now + "  " + SweepProgress.line(r));
                    if (untilDone && r.idle()) return 0;
                }
                Thread.sleep((long) (interval * 1000));
                try {
                    s = client.get("/v1/summary");
                } catch (ApiClient.ApiException e) {     // a failover, a restart: keep watching
                    api.out().println(now + "  " + e.getMessage() + " (retrying)");
                    s = null;
                }
            }
        }

        private int table(JsonNode json) {
            return api.print(json, SummaryBody.class, s -> {
                PrintWriter o = api.out();
                o.printf("cycle %d, coordinator %s%s%s%n", s.cycle(), s.coordinatorNode(),
                        s.warmingUp() ? ", WARMING UP (waiting for " + jsonText(s.warmUpBlockers()) + ")" : "",
                        s.dryRun() ? ", DRY RUN" : "");
                StringBuilder counts = new StringBuilder();
                for (Map.Entry<String, Long> e : orEmpty(s.counts()).entrySet()) {
                    counts.append(String.format("%s %d  ", e.getKey(), e.getValue() == null ? 0 : e.getValue()));
                }
                o.println(counts.toString().trim());
                o.printf("collected %d blobs (%s), %d failed deletions%n", s.collected(),
                        Bytes.human(s.collectedBytes()), s.failedDeletions());
                o.printf("%-40s %-6s %10s %8s %7s%n", "NODE", "STATE", "REPORT AGE", "ACTIVE", "PINNED");
                for (NodeRow n : orEmpty(s.nodes())) {
                    o.printf("%-40s %-6s %9.1fs %8d %7d%n", n.node(), n.state(),
                            n.lastReportAgeMs() / 1000.0, n.active(), n.pinned());
                }
                for (String line : PartitionsTable.lines(s.partitions())) o.println(line);
            });
        }
    }

    @Command(name = "blob", mixinStandardHelpOptions = true,
            description = "Why is this blob still here? Its status, references, pins, dependencies.")
    static final class Blob implements Callable<Integer> {
        @CommandLine.Mixin
        ApiOptions api;

        @Parameters(paramLabel = "HASH", description = "64 hex characters")
        String hash;

        @Override
        public Integer call() {
            BlobHash.parse(hash);
            return api.print(api.client().get("/v1/blobs/" + hash), BlobDetail.class, b -> {
                PrintWriter o = api.out();
                o.printf("%-18s %s%n", "hash", b.hash());
                o.printf("%-18s %s%n", "status", b.status());
                if (b.unreferencedSince() != null) {
                    o.printf("%-18s %s%n", "unreferenced since", Instant.ofEpochMilli(b.unreferencedSince()));
                }
                o.printf("%-18s %s%n", "referenced by", jsonText(b.referencedBy()));
                o.printf("%-18s %s%n", "node pins", jsonText(b.nodePinnedBy()));
                for (BlobDetail.BlobPin p : orEmpty(b.pins())) {
                    o.printf("%-18s %s (%s)%n", "pinned by", p.owner(), p.reason());
                }
                o.printf("%-18s %s%n", "dependencies", jsonText(b.dependencies()));
                o.printf("%-18s %s%n", "dependents", jsonText(b.dependents()));
                if (b.collectedAt() != null) {
                    o.printf("%-18s %s (marked in cycle %s)%n", "collected at",
                            Instant.ofEpochMilli(b.collectedAt()), b.markedCycle());
                }
            });
        }
    }

    @Command(name = "pin", mixinStandardHelpOptions = true,
            description = "Pin a blob (an operator pin: only its owner, or its TTL, removes it).")
    static final class PinCmd implements Callable<Integer> {
        @CommandLine.Mixin
        ApiOptions api;

        @Parameters(paramLabel = "HASH")
        String hash;

        @Option(names = "--owner", required = true)
        String owner;

        @Option(names = "--reason", required = true)
        String reason;

        @Option(names = "--ttl", description = "e.g. 10m, 7d; none by default")
        String ttl;

        @Override
        public Integer call() throws IOException {
            BlobHash.parse(hash);
            PinRequest body = new PinRequest(owner, reason, ttl);
            JsonNode r = api.client().put("/v1/pins/" + hash, ApiJson.MAPPER.writeValueAsString(body));
            return api.print(r, () -> api.out().printf("pinned %s for %s%s%n", hash, owner,
                    ttl == null ? "" : " (ttl " + ttl + ")"));
        }
    }

    @Command(name = "unpin", mixinStandardHelpOptions = true, description = "Remove an operator pin.")
    static final class Unpin implements Callable<Integer> {
        @CommandLine.Mixin
        ApiOptions api;

        @Parameters(paramLabel = "HASH")
        String hash;

        @Option(names = "--owner", required = true)
        String owner;

        @Override
        public Integer call() {
            BlobHash.parse(hash);
            JsonNode r = api.client().delete("/v1/pins/" + hash + "?owner="
                    + java.net.URLEncoder.encode(owner, java.nio.charset.StandardCharsets.UTF_8));
            return api.print(r, () -> api.out().printf("unpinned %s (owner %s)%n", hash, owner));
        }
    }

    @Command(name = "cycle", mixinStandardHelpOptions = true,
            description = "Run one GC cycle now and print its decisions.")
    static final class Cycle implements Callable<Integer> {
        @CommandLine.Mixin
        ApiOptions api;

        @Option(names = "--dry-run", description = "compute and record what would be collected, delete nothing")
        boolean dryRun;

        @Override
        public Integer call() {
            return api.print(api.client().post("/v1/cycles?dryRun=" + dryRun, null), CycleRun.class, c -> {
                PrintWriter o = api.out();
                o.printf("cycle %d%s%s%s: %d newly unreferenced, %d rescued, %d %s%n", c.cycle(),
                        dryRun ? " (dry run)" : "", c.frozen() ? " FROZEN" : "",
                        c.warmingUp() ? " WARMING UP" : "", orEmpty(c.unreferenced()).size(),
                        orEmpty(c.rescued()).size(), orEmpty(c.marked()).size(), dryRun ? "would be marked" : "marked");
                for (MarkedBlob m : orEmpty(c.marked())) {
                    o.printf("  %s unreferenced since %s%n", m.hash(), Instant.ofEpochMilli(m.unreferencedSince()));
                }
            });
        }
    }

    @Command(name = "history", mixinStandardHelpOptions = true,
            description = "Past cycles, newest first, with per-blob decisions.")
    static final class History implements Callable<Integer> {
        @CommandLine.Mixin
        ApiOptions api;

        @Option(names = "--limit", defaultValue = "20")
        int limit;

        @Override
        public Integer call() {
            if (limit < 1) throw new CommandLine.ParameterException(api.spec.commandLine(), "--limit must be at least 1");
            return api.print(api.client().get("/v1/cycles?limit=" + limit), CyclesPage.class, h -> {
                PrintWriter o = api.out();
                o.printf("%-7s %-24s %-5s %-7s %-7s %-7s%n", "CYCLE", "AT", "DRY", "UNREF", "RESCUED", "MARKED");
                for (CycleEntry c : orEmpty(h.cycles())) {
                    o.printf("%-7d %-24s %-5s %-7d %-7d %-7d%n", c.cycle(),
                            Instant.ofEpochMilli(c.at()), c.dryRun() ? "yes" : "",
                            c.newlyUnreferenced(), c.rescuedCount(), Math.max(c.markedCount(), orEmpty(c.marked()).size()));
                    for (MarkedBlob m : orEmpty(c.marked())) {
                        o.printf("        marked %s (unreferenced since %s, confirmed by %d node(s))%n",
                                m.hash(), Instant.ofEpochMilli(m.unreferencedSince()), orEmpty(c.confirmedBy()).size());
                    }
                }
            });
        }
    }

    @Command(name = "put", mixinStandardHelpOptions = true,
            description = "Upload a file as a blob (addressed by its SHA-256) and register it.")
    static final class Put implements Callable<Integer> {
        @CommandLine.Mixin
        ApiOptions api;

        @Parameters(paramLabel = "FILE")
        File file;

        @Option(names = "--depends-on", split = ",", description = "hashes of the blobs this one calls")
        java.util.List<String> dependsOn = new java.util.ArrayList<>();

        @Override
        public Integer call() throws IOException {
            if (!file.isFile()) throw new IllegalArgumentException("no such file: " + file);
            byte[] bytes = Files.readAllBytes(file.toPath());
            BlobHash h = BlobHash.sha256(bytes);
            for (String d : dependsOn) BlobHash.parse(d);
            String query = dependsOn.isEmpty() ? "" : "?dependsOn=" + String.join(",", dependsOn);
            JsonNode r = api.client().putBytes("/v1/blobs/" + h.toHex() + query, bytes);
            return api.print(r, () -> api.out().printf("%s %s%n", h.toHex(), Bytes.human(bytes.length)));
        }
    }

    /** A list as the API wrote it ({@code ["a","b"]}), as these tables have always shown it. */
    static String jsonText(java.util.List<String> list) {
        return ApiJson.MAPPER.valueToTree(list).toString();
    }

    static <T> java.util.List<T> orEmpty(java.util.List<T> list) {
        return list == null ? java.util.List.of() : list;
    }

    static <K, V> Map<K, V> orEmpty(Map<K, V> map) {
        return map == null ? Map.of() : map;
    }
}
