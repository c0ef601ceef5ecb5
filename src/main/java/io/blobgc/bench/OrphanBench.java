package io.blobgc.bench;

import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator;
import io.blobgc.coordinator.CoordinatorCore;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.Registration;
import io.blobgc.store.BlobStore;
import io.blobgc.store.FileBlobStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code blob-gc bench-orphans}: what the store reconciliation costs per cycle as the store grows. For each size N it
 * fills a {@link FileBlobStore} with N files (empty, named by hash, in the store's own layout: content put there
 * outside the protocol), registers every other hash with a coordinator's ledger, and walks the whole store a page
 * at a time as the sweeper and the coordinator do after each cycle: the store's listing of one page
 * ({@link BlobStore#page}) and the coordinator's decision on it ({@link CoordinatorCore#storePage}, its
 * {@code OrphansCondemned} applied). Prints one JSON line per size with the median and the worst page of each; a
 * page's cost should not grow with N. The files are created once under {@code --dir} and kept (a later run with the
 * same directory reuses them) unless {@code --clean}.
 */
@Command(name = "bench-orphans", mixinStandardHelpOptions = true,
        description = "Benchmark the store reconciliation (one page of the listing + the coordinator's decision) "
                + "at several store sizes; prints one JSON line per size.")
public final class OrphanBench implements Callable<Integer> {

    @Option(names = "--files", split = ",", defaultValue = "1000,100000,1000000",
            description = "store sizes (files); default ${DEFAULT-VALUE}") List<Integer> sizes;

    @Option(names = "--page", defaultValue = "1000", description = "entries per page (sweeper.orphan-page-size); "
            + "default ${DEFAULT-VALUE}") int pageSize;

    @Option(names = "--dir", description = "where the stores are made (default: a temporary directory)") Path dir;

    @Option(names = "--clean", description = "delete the stores' files afterwards") boolean clean;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (pageSize < 1) throw new IllegalArgumentException("--page must be positive");
        Path base = dir != null ? dir : Files.createTempDirectory("blob-gc-bench-orphans");
        for (int n : sizes) {
            if (n < 1) throw new IllegalArgumentException("--files must be positive");
            Path root = base.resolve("store-" + n);
            fill(new FileBlobStore(root), n);
            walk(new FileBlobStore(root), n, pageSize, 20); // warm-up: 20 pages (JIT)
            spec.commandLine().getOut().println(walk(new FileBlobStore(root), n, pageSize, Integer.MAX_VALUE));
            if (clean) deleteTree(root);
        }
        if (clean && dir == null) Files.deleteIfExists(base);
        return 0;
    }

    /** Creates the files that are missing (a reused directory keeps its own). */
    private static void fill(FileBlobStore store, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            Path p = store.pathOf(Bench.hashOf(i));
            if (Files.exists(p)) continue;
            Files.createDirectories(p.getParent());
            Files.createFile(p);
        }
    }

    /** Walks the store from its first page, {@code maxPages} pages at most (the whole store: it checks the count). */
    private static String walk(FileBlobStore store, int n, int pageSize, int maxPages) throws IOException {
        long now = System.currentTimeMillis() + 1;
        PartitionedLedger l = new PartitionedLedger(LedgerSettings.DEFAULTS, n);
        CoordinatorCore core = new CoordinatorCore(false);
        core.recovered(l, null, now);
        List<Registration> batch = new ArrayList<>();
        for (int i = 0; i < n; i += 2) { // every other file is a registered blob; the rest are orphans
            batch.add(Registration.of(Bench.hashOf(i)));
            if (batch.size() == 10_000 || i + 2 >= n) {
                apply(l, core.register(l, List.copyOf(batch), h -> true, now));
                batch.clear();
            }
        }
        List<Long> listNs = new ArrayList<>(), decideNs = new ArrayList<>();
        long entries = 0, condemned = 0;
        BlobHash after = null;
        boolean more = true;
        while (more && listNs.size() < maxPages) {
            long t0 = System.nanoTime();
            BlobStore.Page page = store.page(after, pageSize);
            long t1 = System.nanoTime();
            CoordinatorCore.Decision<List<BlobHash>> d = core.storePage(l, after, page.entries(), page.more(),
                    false, now, 0);
            condemned += apply(l, d).size();
            long t2 = System.nanoTime();
            listNs.add(t1 - t0);
            decideNs.add(t2 - t1);
            entries += page.entries().size();
            more = page.more();
            if (!page.entries().isEmpty()) after = page.entries().get(page.entries().size() - 1).hash();
        }
        if (!more && (entries != n || condemned != n / 2)) {
            throw new IllegalStateException("the walk saw " + entries + " of " + n + " files and condemned "
                    + condemned + " of " + n / 2 + " orphans");
        }
        return String.format(Locale.ROOT, "{\"workload\":\"orphans\",\"files\":%d,\"orphans\":%d,\"page\":%d,"
                        + "\"pages\":%d,\"list_ms_median\":%.2f,\"list_ms_max\":%.2f,\"decide_ms_median\":%.2f,"
                        + "\"decide_ms_max\":%.2f,\"pass_s\":%.1f}", n, condemned, pageSize, listNs.size(),
                median(listNs) / 1e6, max(listNs) / 1e6, median(decideNs) / 1e6, max(decideNs) / 1e6,
                (sum(listNs) + sum(decideNs)) / 1e9);
    }

    private static <T> T apply(PartitionedLedger l, CoordinatorCore.Decision<T> d) {
        for (Coordinator.Event e : d.events()) CoordinatorCore.apply(l, e);
        return d.reply().apply(l);
    }

    private static double median(List<Long> xs) {
        long[] a = xs.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(a);
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2.0;
    }

    private static long max(List<Long> xs) {
        return xs.stream().mapToLong(Long::longValue).max().orElse(0);
    }

    private static long sum(List<Long> xs) {
        return xs.stream().mapToLong(Long::longValue).sum();
    }

    private static void deleteTree(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
