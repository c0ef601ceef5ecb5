package io.blobgc.cli;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped logback configurations (issue 20, item 4), loaded as a node loads them: no message can forge a line,
 * a flood of one kind of line is rate-limited, and a node's files roll by size and are bounded in number. Before the
 * fix both configurations wrote every line, raw, to the console only.
 */
class LogConfigTest {

    @TempDir
    Path dir;

    /** A logging context of its own, configured from {@code config} as logback configures a JVM's. */
    private static LoggerContext configured(URL config, Path logDir) throws Exception {
        LoggerContext ctx = new LoggerContext();
        ctx.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
        if (logDir != null) ctx.putProperty("BLOB_GC_LOG_DIR", logDir.toString());
        JoranConfigurator j = new JoranConfigurator();
        j.setContext(ctx);
        j.doConfigure(config);
        return ctx;
    }

    private LoggerContext load(URL config) throws Exception {
        LoggerContext ctx = configured(config, dir);
        ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender("STDOUT"); // the files tell; keep test output small
        return ctx;
    }

    private List<String> lines() throws Exception {
        return Files.readAllLines(dir.resolve("blob-gc.log"), StandardCharsets.UTF_8);
    }

    @Test
    void aNodesLogForgesNoLineAndRateLimitsAFlood() throws Exception {
        LoggerContext ctx = load(Path.of("config/logback.xml").toUri().toURL());
        try {
            Logger http = ctx.getLogger("org.apache.pekko.http.Flood");
            http.warn("illegal request {}", "x\r\n09:59:59.999 ERROR FORGED \u001b[31mred\u2028next");
            for (int i = 0; i < 5_000; i++) http.warn("bad request from client {}", i);
            ctx.getLogger("io.blobgc.Other").info("a line of another kind");
            List<String> lines = lines();
            assertTrue(lines.stream().noneMatch(l -> l.startsWith("09:59:59.999")), String.join("\n", lines));
            assertTrue(lines.stream().anyMatch(l -> l.contains("illegal request x??09:59:59.999 ERROR FORGED ?[31mred?next")),
                    String.join("\n", lines));
            long flood = lines.stream().filter(l -> l.contains("bad request from client")).count();
            assertEquals(20, flood, "the flood's lines in one window");
            assertTrue(lines.get(lines.size() - 1).contains("a line of another kind"));
            // the next window: what was dropped is counted in one line
            ((RepeatedLineFilter) ctx.getTurboFilterList().get(0)).setWindowSeconds(1);
            Thread.sleep(1_100);
            http.warn("bad request from client {}", -1);
            assertTrue(lines().stream().anyMatch(l -> l.contains("4980 more lines like \"bad request from client {}\" "
                    + "from org.apache.pekko.http.Flood were dropped")), String.join("\n", lines()));
        } finally {
            ctx.stop();
        }
    }

    @Test
    void aNodesLogFilesRollBySizeAndAreBoundedInNumber() throws Exception {
        LoggerContext ctx = load(Path.of("config/logback.xml").toUri().toURL());
        String pad = "x".repeat(1_000);
        try {
            Logger l = ctx.getLogger("io.blobgc.Volume");
            // 130 MB, each line its own kind: more than six files can hold even at the 20 MB each allowed below (the
            // size is checked every 100 ms, so a fast writer overshoots 10 MB; 80 MB fitted in six files under load)
            for (int i = 0; i < 130_000; i++) l.info("line " + i + " " + pad);
        } finally {
            ctx.stop();
        }
        List<String> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertEquals(List.of("blob-gc.1.log", "blob-gc.2.log", "blob-gc.3.log", "blob-gc.4.log", "blob-gc.5.log",
                "blob-gc.log"), files);
        for (String f : files) {
            long size = Files.size(dir.resolve(f));
            assertTrue(size < 20L * 1024 * 1024, f + " is " + size + " bytes");
        }
        assertTrue(lines().get(lines().size() - 1).contains("line 129999"));
        assertFalse(Files.readString(dir.resolve("blob-gc.5.log")).contains("line 0 "), "the oldest lines were dropped");
    }

    @Test
    void theCliDefaultForgesNoLineAndRateLimitsAFlood() throws Exception {
        LoggerContext ctx = configured(getClass().getClassLoader().getResource("blob-gc-logback.xml"), null);
        try {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            var console = (ch.qos.logback.core.ConsoleAppender<?>) ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
                    .getAppender("STDOUT");
            console.setOutputStream(out);
            Logger http = ctx.getLogger("org.apache.pekko.http.Flood");
            http.warn("illegal request {}", "x\r\n09:59:59.999 ERROR FORGED");
            for (int i = 0; i < 1_000; i++) http.warn("bad request from client {}", i);
            String text = out.toString(StandardCharsets.UTF_8);
            assertFalse(text.contains("\n09:59:59.999"), text);
            assertEquals(20, text.lines().filter(l -> l.contains("bad request from client")).count(), text);
        } finally {
            ctx.stop();
        }
    }
}
