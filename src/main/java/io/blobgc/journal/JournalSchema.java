package io.blobgc.journal;

import com.typesafe.config.Config;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Creates the journal's tables when they are missing, from the DDL that pekko-persistence-jdbc ships
 * ({@code schema/<db>/<db>-create-schema.sql}). It runs only when {@code event_journal} is absent: the shipped
 * PostgreSQL script is not re-runnable.
 */
public final class JournalSchema {

    private static final Logger log = LoggerFactory.getLogger(JournalSchema.class);

    private JournalSchema() {
    }

    /**
     * @param db the slick database config, {@code pekko-persistence-jdbc.shared-databases.<name>}. Transient
     *           failures (the database starting, H2's file lock while another JVM opens it) are retried for 30 s.
     */
    public static void ensure(Config db) {
        long until = System.nanoTime() + 30_000_000_000L;
        for (int attempt = 1; ; attempt++) {
            try {
                ensureOnce(db);
                return;
            } catch (IllegalStateException e) {
                if (System.nanoTime() > until || !(e.getCause() instanceof SQLException)) throw e;
                log.warn("journal not ready (attempt {}), retrying: {}", attempt, e.getMessage());
                try {
                    Thread.sleep(Math.min(2000, 200L * attempt));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private static void ensureOnce(Config db) {
        String profile = db.getString("profile");
        String dialect;
        if (profile.contains("H2")) dialect = "h2";
        else if (profile.contains("Postgres")) dialect = "postgres";
        else throw new IllegalArgumentException("blob-gc creates the journal schema for H2 and PostgreSQL only, not "
                    + profile + ": create it yourself and set blob-gc.journal.create-schema = off");
        String url = db.getString("db.url");
        try (Connection c = DriverManager.getConnection(url, db.getString("db.user"), db.getString("db.password"))) {
            if (tableExists(c, "event_journal")) return;
            String script = "schema/" + dialect + "/" + dialect + "-create-schema.sql";
            log.info("creating the blob-gc journal schema in {} from {}", url, script);
            c.setAutoCommit(true);
            try (Statement st = c.createStatement()) {
                for (String sql : read(script).split(";")) {
                    if (!sql.isBlank()) st.execute(sql.trim());
                }
            }
        } catch (SQLException | IOException e) {
            throw new IllegalStateException("cannot prepare the journal at " + url + ": " + e.getMessage(), e);
        }
    }

    private static boolean tableExists(Connection c, String table) throws SQLException {
        DatabaseMetaData md = c.getMetaData();
        for (String name : new String[]{table, table.toUpperCase()}) {
            try (ResultSet rs = md.getTables(null, null, name, new String[]{"TABLE"})) {
                if (rs.next()) return true;
            }
        }
        return false;
    }

    private static String read(String resource) throws IOException {
        try (InputStream in = JournalSchema.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new IOException(resource + " is not on the classpath");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
