package io.blobgc.cli;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Review 20: the shipped node logging (config/logback.xml), attacked. */
class Review20LogTest {

    @TempDir
    Path dir;

    private LoggerContext load() throws Exception {
        LoggerContext ctx = new LoggerContext();
        ctx.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
        ctx.putProperty("BLOB_GC_LOG_DIR", dir.toString());
        JoranConfigurator j = new JoranConfigurator();
        j.setContext(ctx);
        j.doConfigure(Path.of("config/logback.xml").toUri().toURL());
        ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender("STDOUT");
        return ctx;
    }

    private List<String> lines() throws Exception {
        return Files.readAllLines(dir.resolve("blob-gc.log"), StandardCharsets.UTF_8);
    }

    /**
     * Only %msg is escaped: a logged exception's message (AdminRoutes.failure logs the exception itself, pekko-http's
     * default exception handler too) is written raw by the throwable converter, so its text forges a line.
     */
    @Test
    void anExceptionsMessageCannotForgeALine() throws Exception {
        LoggerContext ctx = load();
        try {
            ctx.getLogger("io.blobgc.http.AdminRoutes").error("admin API request failed: {}", "escaped",
                    new IllegalStateException("bad input x\r\n09:59:59.999 ERROR io.blobgc.Sweeper - FORGED"));
        } finally {
            ctx.stop();
        }
        List<String> lines = lines();
        assertTrue(lines.stream().noneMatch(l -> l.startsWith("09:59:59.999")),
                "a line forged through an exception's message: " + String.join("\n", lines));
    }

    /**
     * The dropped lines of a kind are counted only "when the kind shows up again in a later window": a burst of 25
     * ERROR lines that never recurs loses 5 of them without a trace, even when the node goes on logging.
     */
    @Test
    void droppedErrorLinesAreCountedEvenWhenTheirKindDoesNotRecur() throws Exception {
        LoggerContext ctx = load();
        try {
            ((RepeatedLineFilter) ctx.getTurboFilterList().get(0)).setWindowSeconds(1);
            Logger sweeper = ctx.getLogger("io.blobgc.coordinator.Sweeper");
            for (int i = 0; i < 25; i++) sweeper.error("deletion of {} failed: {}", "blob" + i, "EIO");
            Thread.sleep(1_500);
            for (int i = 0; i < 50; i++) ctx.getLogger("io.blobgc.Other").info("life goes on {}", i);
            Thread.sleep(1_500);
            ctx.getLogger("io.blobgc.Other2").info("later still");
        } finally {
            ctx.stop();
        }
        List<String> lines = lines();
        long errors = lines.stream().filter(l -> l.contains("deletion of")).count();
        assertTrue(lines.stream().anyMatch(l -> l.contains("5 more lines like")),
                errors + " of 25 ERROR lines written, and no line counts the other " + (25 - errors) + ": "
                        + String.join("\n", lines.subList(Math.max(0, lines.size() - 5), lines.size())));
    }

    /**
     * Pekko's classic logging hands logback a message already formatted (no template, no arguments): each line with
     * request text in it is a kind of its own, so a flood of such lines is never rate-limited.
     */
    @Test
    void aFloodOfPreformattedPekkoLinesIsRateLimited() throws Exception {
        LoggerContext ctx = load();
        try {
            Logger pekko = ctx.getLogger("org.apache.pekko.actor.ActorSystemImpl");
            // what Slf4jLogger does with log.warning("Illegal request, responding with status '{}': {}", ...)
            for (int i = 0; i < 5_000; i++) {
                pekko.warn("Illegal request, responding with status '400 Bad Request': Illegal request-target: /x" + i);
            }
        } finally {
            ctx.stop();
        }
        long flood = lines().stream().filter(l -> l.contains("Illegal request, responding")).count();
        assertTrue(flood <= 40, flood + " lines of one flood were written (burst 20 per 10 s)");
    }
}
