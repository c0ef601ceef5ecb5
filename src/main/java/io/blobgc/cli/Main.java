package io.blobgc.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.blobgc.BlobGc;
import io.blobgc.BlobHash;
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
import java.util.Iterator;
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
                    SweepProgress.Reading r = progress.add(System.currentTimeMillis(), s);
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

        private int table(JsonNode s) {
            return api.print(s, () -> {
                PrintWriter o = api.out();
                o.printf("cycle %d, coordinator %s%s%s%n", s.path("cycle").asLong(), s.path("coordinatorNode").asText(),
                        s.path("warmingUp").asBoolean() ? ", WARMING UP (waiting for " + s.path("warmUpBlockers") + ")" : "",
                        s.path("dryRun").asBoolean() ? ", DRY RUN" : "");
                StringBuilder counts = new StringBuilder();
                for (Iterator<Map.Entry<String, JsonNode>> it = s.path("counts").fields(); it.hasNext(); ) {
                    var e = it.next();
                    counts.append(String.format("%s %d  ", e.getKey(), e.getValue().asLong()));
                }
                o.println(counts.toString().trim());
                o.printf("collected %d blobs (%s), %d failed deletions%n", s.path("collected").asLong(),
                        bytes(s.path("collectedBytes").asLong()), s.path("failedDeletions").asLong());
                o.printf("%-40s %-6s %10s %8s %7s%n", "NODE", "STATE", "REPORT AGE", "ACTIVE", "PINNED");
                for (JsonNode n : s.path("nodes")) {
                    o.printf("%-40s %-6s %9.1fs %8d %7d%n", n.path("node").asText(), n.path("state").asText(),
                            n.path("lastReportAgeMs").asLong() / 1000.0, n.path("active").asInt(), n.path("pinned").asInt());
                }
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
            JsonNode b = api.client().get("/v1/blobs/" + hash);
            return api.print(b, () -> {
                PrintWriter o = api.out();
                o.printf("%-18s %s%n", "hash", b.path("hash").asText());
                o.printf("%-18s %s%n", "status", b.path("status").asText());
                if (!b.path("unreferencedSince").isNull()) {
                    o.printf("%-18s %s%n", "unreferenced since", Instant.ofEpochMilli(b.path("unreferencedSince").asLong()));
                }
                o.printf("%-18s %s%n", "referenced by", b.path("referencedBy"));
                o.printf("%-18s %s%n", "node pins", b.path("nodePinnedBy"));
                for (JsonNode p : b.path("pins")) {
                    o.printf("%-18s %s (%s)%n", "pinned by", p.path("owner").asText(), p.path("reason").asText());
                }
                o.printf("%-18s %s%n", "dependencies", b.path("dependencies"));
                o.printf("%-18s %s%n", "dependents", b.path("dependents"));
                if (!b.path("collectedAt").isNull()) {
                    o.printf("%-18s %s (marked in cycle %s)%n", "collected at",
                            Instant.ofEpochMilli(b.path("collectedAt").asLong()), b.path("markedCycle").asText());
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
            Map<String, String> body = new java.util.LinkedHashMap<>();
            body.put("owner", owner);
            body.put("reason", reason);
            if (ttl != null) body.put("ttl", ttl);
            JsonNode r = api.client().put("/v1/pins/" + hash, ApiClient.JSON.writeValueAsString(body));
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
            JsonNode c = api.client().post("/v1/cycles?dryRun=" + dryRun, null);
            return api.print(c, () -> {
                PrintWriter o = api.out();
                o.printf("cycle %d%s%s%s: %d newly unreferenced, %d rescued, %d %s%n", c.path("cycle").asLong(),
                        dryRun ? " (dry run)" : "", c.path("frozen").asBoolean() ? " FROZEN" : "",
                        c.path("warmingUp").asBoolean() ? " WARMING UP" : "", c.path("unreferenced").size(),
                        c.path("rescued").size(), c.path("marked").size(), dryRun ? "would be marked" : "marked");
                for (JsonNode m : c.path("marked")) {
                    o.printf("  %s unreferenced since %s%n", m.path("hash").asText(),
                            Instant.ofEpochMilli(m.path("unreferencedSince").asLong()));
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
            JsonNode h = api.client().get("/v1/cycles?limit=" + limit);
            return api.print(h, () -> {
                PrintWriter o = api.out();
                o.printf("%-7s %-24s %-5s %-7s %-7s %-7s%n", "CYCLE", "AT", "DRY", "UNREF", "RESCUED", "MARKED");
                for (JsonNode c : h.path("cycles")) {
                    o.printf("%-7d %-24s %-5s %-7d %-7d %-7d%n", c.path("cycle").asLong(),
                            Instant.ofEpochMilli(c.path("at").asLong()), c.path("dryRun").asBoolean() ? "yes" : "",
                            c.path("newlyUnreferenced").asInt(), c.path("rescuedCount").asInt(), Math.max(c.path("markedCount").asInt(), c.path("marked").size()));
                    for (JsonNode m : c.path("marked")) {
                        o.printf("        marked %s (unreferenced since %s, confirmed by %d node(s))%n",
                                m.path("hash").asText(), Instant.ofEpochMilli(m.path("unreferencedSince").asLong()),
                                c.path("confirmedBy").size());
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
            return api.print(r, () -> api.out().printf("%s %s%n", h.toHex(), bytes(bytes.length)));
        }
    }

    /** {@code n} bytes for people: B, KiB or MiB (the demo's lines too). */
    public static String bytes(long n) {
        if (n < 1024) return n + " B";
        if (n < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
        return String.format(Locale.ROOT, "%.1f MiB", n / (1024.0 * 1024));
    }
}
