package io.blobgc;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** README's "Code layout" lists exactly the packages under src/main/java (a package added or gone changes both). */
class ReadmeLayoutTest {

    @Test
    void theLayoutListsEveryPackageAndNoOther() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        int start = readme.indexOf("## Code layout");
        int end = readme.indexOf("\n## ", start + 1);
        String section = readme.substring(start, end);
        Set<String> listed = new TreeSet<>();
        Matcher m = Pattern.compile("^\\| `(io\\.blobgc(?:\\.[a-z]+)*)` \\|", Pattern.MULTILINE).matcher(section);
        while (m.find()) listed.add(m.group(1));
        Set<String> folders = new TreeSet<>();
        Path main = Path.of("src/main/java");
        try (Stream<Path> files = Files.walk(main.resolve("io/blobgc"))) {
            files.filter(p -> p.toString().endsWith(".java"))
                    .forEach(p -> folders.add(main.relativize(p.getParent()).toString().replace('/', '.')));
        }
        assertEquals(folders, listed);
    }
}
