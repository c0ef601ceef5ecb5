package io.blobgc;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The PostgreSQL journal for tests: on when {@code BLOB_GC_TEST_POSTGRES} is set (.ci/run sets it to "required"
 * after starting PostgreSQL), skipped with a message elsewhere.
 */
public final class Postgres {

    public static final String ENV = "BLOB_GC_TEST_POSTGRES";
    public static final String HOW = "PostgreSQL test skipped: start PostgreSQL, create role and database 'blobgc' "
            + "(password 'blobgc', or set BLOB_GC_DB_URL/USER/PASSWORD), then run "
            + "BLOB_GC_TEST_POSTGRES=required mvn verify (.ci/run does all of this)";

    private Postgres() {
    }

    /** Skips the calling test, with the message saying how to run it, unless PostgreSQL tests are on. */
    public static void assume() {
        Assumptions.assumeTrue(System.getenv(ENV) != null, HOW);
    }

    public static File configFile() {
        return new File("config/postgres.conf").getAbsoluteFile();
    }

    /** HOCON that switches a node to the PostgreSQL journal: an include of config/postgres.conf. */
    public static String nodeConfig() {
        return "include file(\"" + configFile().getPath().replace('\\', '/') + "\")";
    }

    public static Config db() {
        return ConfigFactory.parseFile(configFile()).resolve().getConfig("pekko-persistence-jdbc.shared-databases.blob-gc");
    }

    public static Connection connect() throws SQLException {
        Config db = db();
        return DriverManager.getConnection(db.getString("db.url"), db.getString("db.user"), db.getString("db.password"));
    }

    /** A clean journal: the schema if missing, and no events or snapshots (the coordinator's id is fixed). */
    public static void clean() throws SQLException {
        io.blobgc.journal.JournalSchema.ensure(db());
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute("DELETE FROM event_journal");
            st.execute("DELETE FROM snapshot");
        }
    }

    /**
     * Runs {@code pg_ctlcluster <version> main <action>} (restart, stop, start) on the local server the tests use;
     * skips the calling test, saying why, when that server is not a local cluster this user may control (root, as
     * .ci/run runs).
     */
    public static void server(String action) throws IOException, InterruptedException {
        Assumptions.assumeTrue(mayControlServer(), "PostgreSQL restart test skipped: it restarts the local cluster "
                + "with pg_ctlcluster, as root (.ci/run)");
        if (ctl(action) != 0) throw new IOException("pg_ctlcluster main " + action + " failed: see target/pg_ctlcluster.log");
    }

    /** Starts the local server unless it runs ({@link #server}). */
    public static void serverRunning() throws IOException, InterruptedException {
        if (ctl("status") != 0) server("start");
    }

    /** Whether the tests' server is a local cluster this user may restart ({@link #server}): root, as .ci/run runs. */
    public static boolean mayControlServer() {
        String[] installed = new File("/usr/lib/postgresql").list();
        return installed != null && installed.length > 0 && System.getenv("BLOB_GC_DB_URL") == null
                && "root".equals(System.getProperty("user.name"));
    }

    private static int ctl(String action) throws IOException, InterruptedException {
        String[] installed = new File("/usr/lib/postgresql").list();
        java.util.Arrays.sort(installed, java.util.Comparator.comparingInt(v -> Integer.parseInt(v.replaceAll("\\D", "0"))));
        Process p = new ProcessBuilder("pg_ctlcluster", installed[installed.length - 1], "main", action)
                .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(new File("target/pg_ctlcluster.log"))).start();
        return p.waitFor();
    }

    /** Runs SQL as the database superuser (psql as the postgres OS user: .ci/run runs as root). */
    public static void superuser(String sql) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("su", "postgres", "-c", "psql -v ON_ERROR_STOP=1 -tAc \"" + sql + "\"")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IOException("psql failed: " + sql + ": " + out);
    }
}
