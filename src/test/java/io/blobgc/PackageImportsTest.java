package io.blobgc;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reporter and the coordinator speak through {@code io.blobgc.protocol} only (issue 23): no main source file of
 * {@code io.blobgc.coordinator} names a class of {@code io.blobgc.node} (an import or a qualified name), none of
 * {@code io.blobgc.node} one of {@code io.blobgc.coordinator}, and {@code io.blobgc.protocol} names neither. And the
 * library names nothing of the command line, the demo or the benchmarks; the admin API names nothing of the façade.
 */
class PackageImportsTest {

    private static final Path MAIN = Path.of("src/main/java/io/blobgc");

    @Test
    void coordinatorAndNodeDoNotImportEachOther() throws IOException {
        assertEquals(List.of(), uses("coordinator", "node"));
        assertEquals(List.of(), uses("node", "coordinator"));
        assertEquals(List.of(), uses("protocol", "node"));
        assertEquals(List.of(), uses("protocol", "coordinator"));
    }

    /**
     * The library an application embeds names nothing of the command line, the demo or the benchmarks (issue 23,
     * step 6: they are packages of their own, which only the jar's command line brings together).
     */
    @Test
    void theLibraryDoesNotImportTheCommandLineTheDemoOrTheBenchmarks() throws IOException {
        for (String library : List.of("coordinator", "node", "ledger", "store", "http", "protocol", "journal", "api")) {
            for (String tool : List.of("cli", "demo", "bench")) assertEquals(List.of(), uses(library, tool));
        }
        Pattern tools = Pattern.compile("\\bio\\.blobgc\\.(cli|demo|bench)\\.[\\w*]");
        List<String> top = new ArrayList<>();
        try (Stream<Path> files = Files.list(MAIN)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                for (String line : Files.readAllLines(f)) if (tools.matcher(line).find()) top.add(f + ": " + line.strip());
            }
        }
        assertEquals(List.of(), top, "io.blobgc's own classes (BlobGc, its settings)");
    }

    /**
     * The admin API names nothing of the façade (issue 23): it serves what {@code io.blobgc.http.AdminBackend} offers,
     * which the root package adapts {@code BlobGc} to where it starts the server, and its health checks find that
     * backend through {@code AdminBackends} — no file of {@code io.blobgc.http} names {@code BlobGc},
     * {@code NodeWiring} or {@code Uploads} (another package's class needs an import or a qualified name).
     */
    @Test
    void theAdminApiDoesNotNameTheFacade() throws IOException {
        assertEquals(List.of(), uses("http", Pattern.compile("\\bio\\.blobgc\\.(BlobGc|NodeWiring|Uploads)\\b")));
    }

    /** The lines of {@code from}'s main sources that name a class of {@code to}. */
    private static List<String> uses(String from, String to) throws IOException {
        return uses(from, Pattern.compile("\\bio\\.blobgc\\." + to + "\\.[\\w*]"));
    }

    /** The lines of {@code from}'s main sources that {@code use} matches. */
    private static List<String> uses(String from, Pattern use) throws IOException {
        Path dir = MAIN.resolve(from);
        assertTrue(Files.isDirectory(dir), dir + " exists");
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    if (use.matcher(lines.get(i)).find()) found.add(f + ":" + (i + 1) + ": " + lines.get(i).strip());
                }
            }
        }
        return found;
    }
}
