package io.blobgc;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * README's embedding lines are the consumer project's code: the Java block after README's "embedded from" mark is
 * the same as the lines between EmbedTest's {@code README: begin} and {@code README: end} marks (indentation aside).
 */
class ReadmeEmbeddingTest {

    private static final Path EMBED_TEST = Path.of("src/it/consumer/src/test/java/io/blobgc/it/EmbedTest.java");

    @Test
    void readmesEmbeddingCodeIsTheConsumerTestsCode() throws IOException {
        List<String> readme = Files.readAllLines(Path.of("README.md"));
        int mark = readme.indexOf("<!-- embedded from " + EMBED_TEST.toString().replace('\\', '/') + " -->");
        assertTrue(mark >= 0, "README names the file its embedding code comes from");
        assertEquals("```java", readme.get(mark + 1));
        List<String> shown = new ArrayList<>();
        for (int i = mark + 2; !readme.get(i).equals("```"); i++) shown.add(readme.get(i));

        List<String> code = Files.readAllLines(EMBED_TEST);
        int begin = code.indexOf(code.stream().filter(l -> l.strip().equals("// README: begin")).findFirst()
                .orElseThrow(() -> new AssertionError("EmbedTest has no README: begin mark")));
        int end = code.indexOf(code.stream().filter(l -> l.strip().equals("// README: end")).findFirst()
                .orElseThrow(() -> new AssertionError("EmbedTest has no README: end mark")));
        List<String> region = code.subList(begin + 1, end);
        int indent = region.stream().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length())
                .min().orElse(0);
        List<String> dedented = region.stream().map(l -> l.isBlank() ? "" : l.substring(indent)).toList();
        assertEquals(String.join("\n", dedented), String.join("\n", shown));
        assertTrue(shown.size() <= 10, "about ten lines: " + shown.size());
    }
}
