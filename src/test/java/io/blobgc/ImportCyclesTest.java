package io.blobgc;

import io.blobgc.demo.LocalCluster;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * No import cycle under src/main (issue 23): no cycle of main source files that crosses a package (a file names
 * another — by import, qualified name or, within its package, simple name — and a path of such uses leads back to it
 * through another package), and no cycle among the packages below {@code io.blobgc}. The root package is the API a
 * user imports (the {@code BlobGc} façade beside the value types every package speaks, {@code BlobHash} and the
 * settings); it assembles the packages below it, which use its value types only, never the façade.
 */
class ImportCyclesTest {

    private static final Path MAIN = Path.of("src/main/java");
    private static final Pattern QUALIFIED = Pattern.compile("\\bio\\.blobgc\\.((?:[a-z]\\w*\\.)*)([A-Z]\\w*)");

    @Test
    void noCycleOfFilesCrossesAPackage() throws IOException {
        Map<String, Set<String>> uses = fileUses();
        List<String> crossing = new ArrayList<>();
        for (Set<String> component : stronglyConnected(uses)) {
            Set<String> packages = new TreeSet<>();
            for (String f : component) packages.add(packageOf(f));
            if (packages.size() > 1) crossing.add(new TreeSet<>(component).toString());
        }
        assertEquals(List.of(), crossing);
    }

    @Test
    void thePackagesBelowTheRootFormNoCycle() throws IOException {
        Map<String, Set<String>> packages = new TreeMap<>();
        fileUses().forEach((file, used) -> {
            String from = packageOf(file);
            if (from.equals("io.blobgc")) return;
            for (String u : used) {
                String to = packageOf(u);
                if (!to.equals(from) && !to.equals("io.blobgc")) {
                    packages.computeIfAbsent(from, k -> new TreeSet<>()).add(to);
                }
            }
        });
        List<String> cycles = new ArrayList<>();
        for (Set<String> component : stronglyConnected(packages)) {
            if (component.size() > 1) cycles.add(new TreeSet<>(component).toString());
        }
        assertEquals(List.of(), cycles);
    }

    /** The demo starts node JVMs with the jar's command line by name: the name must be the command line's. */
    @Test
    void theDemoNamesTheCommandLineRight() {
        assertEquals(io.blobgc.cli.Main.class.getName(), LocalCluster.NODE_MAIN);
    }

    /** Each main source file (by class name) and the main source files it names. */
    static Map<String, Set<String>> fileUses() throws IOException {
        Map<String, String> code = new TreeMap<>();
        try (Stream<Path> files = Files.walk(MAIN.resolve("io/blobgc"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String name = MAIN.relativize(f).toString().replace('/', '.').replaceAll("\\.java$", "");
                code.put(name, withoutCommentsAndStrings(Files.readString(f)));
            }
        }
        Map<String, Set<String>> uses = new TreeMap<>();
        code.forEach((file, text) -> {
            Set<String> used = new TreeSet<>();
            Matcher m = QUALIFIED.matcher(text);
            while (m.find()) {
                String sub = m.group(1).isEmpty() ? "" : "." + m.group(1).substring(0, m.group(1).length() - 1);
                String target = "io.blobgc" + sub + "." + m.group(2);
                if (code.containsKey(target)) used.add(target);
            }
            String pkg = packageOf(file);
            for (String other : code.keySet()) {
                if (packageOf(other).equals(pkg)
                        && Pattern.compile("\\b" + simpleName(other) + "\\b").matcher(text).find()) {
                    used.add(other);
                }
            }
            used.remove(file);
            uses.put(file, used);
        });
        return uses;
    }

    private static String withoutCommentsAndStrings(String source) {
        String s = source.replaceAll("(?s)\"\"\"[ \\t]*\\n.*?\"\"\"", "\"\"");
        s = s.replaceAll("\"(?:\\\\.|[^\"\\\\\\n])*\"", "\"\"");
        return s.replaceAll("(?s)//[^\\n]*|/\\*.*?\\*/", "");
    }

    private static String packageOf(String className) {
        return className.substring(0, className.lastIndexOf('.'));
    }

    private static String simpleName(String className) {
        return className.substring(className.lastIndexOf('.') + 1);
    }

    /** Tarjan's strongly connected components of a directed graph. */
    static List<Set<String>> stronglyConnected(Map<String, Set<String>> edges) {
        Map<String, Integer> index = new HashMap<>(), low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new TreeSet<>();
        List<Set<String>> out = new ArrayList<>();
        for (String v : edges.keySet()) if (!index.containsKey(v)) visit(v, edges, index, low, stack, onStack, out);
        return out;
    }

    private static void visit(String v, Map<String, Set<String>> edges, Map<String, Integer> index,
                              Map<String, Integer> low, Deque<String> stack, Set<String> onStack, List<Set<String>> out) {
        index.put(v, index.size());
        low.put(v, index.get(v));
        stack.push(v);
        onStack.add(v);
        for (String w : edges.getOrDefault(v, Set.of())) {
            if (!index.containsKey(w)) {
                visit(w, edges, index, low, stack, onStack, out);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            Set<String> component = new TreeSet<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                component.add(w);
            } while (!w.equals(v));
            out.add(component);
        }
    }
}
