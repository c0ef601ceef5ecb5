package io.blobgc.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.blobgc.BlobGc;
import io.blobgc.BlobHash;
import io.blobgc.TestNodes;
import io.blobgc.store.FileBlobStore;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dashboard in a real browser: Debian's headless Chromium, driven by Selenium through the system's chromedriver
 * (nothing is downloaded), against a real three-node cluster with real blobs. Screenshots go to
 * {@code target/dashboard-screenshots/}. Without Chromium the test is skipped with a message saying how to run it;
 * with {@code BLOB_GC_TEST_BROWSER=required} (CI) a missing browser fails it instead.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardBrowserTest {

    private static final String TOKEN = "dashboard-s3cret";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Path SHOTS = Path.of("target", "dashboard-screenshots");
    private static final List<ActorSystem<Void>> systems = new ArrayList<>();

    @TempDir
    static Path dir;
    private static String base;
    private static FileBlobStore store;
    private static ChromeDriver browser;
    private static String skipped;
    private static final List<String> held = new ArrayList<>();
    private static final Set<String> unused = new TreeSet<>();

    @BeforeAll
    static void start() throws Exception {
        String chromium = System.getenv().getOrDefault("BLOB_GC_CHROMIUM", "/usr/bin/chromium");
        String driver = System.getenv().getOrDefault("BLOB_GC_CHROMEDRIVER", "/usr/bin/chromedriver");
        boolean present = new File(chromium).canExecute() && new File(driver).canExecute();
        String how = "the dashboard's browser test needs Chromium and its driver: apt-get install chromium chromium-driver "
                + "(or set BLOB_GC_CHROMIUM and BLOB_GC_CHROMEDRIVER), then mvn -B test -Dtest=DashboardBrowserTest; "
                + ".ci/run installs them";
        if ("required".equals(System.getenv("BLOB_GC_TEST_BROWSER"))) {
            assertTrue(present, "BLOB_GC_TEST_BROWSER=required, but no " + chromium + " / " + driver + ": " + how);
        }
        if (!present) {
            skipped = "skipped: " + how;
            System.err.println("DashboardBrowserTest " + skipped);
            return;
        }

        // cycles run only when asked (the test decides when), with a token so that changes need it
        String extra = "blob-gc.cycle-interval = 1h\nblob-gc.grace-period = 4s\nblob-gc.http.token = \"" + TOKEN + "\"";
        ActorSystem<Void> first = node(dir.resolve("n1"), extra, null);
        BlobGc gc = BlobGc.get(first);
        base = "http://127.0.0.1:" + gc.httpAddress().getPort();
        store = (FileBlobStore) gc.store();
        for (int i = 2; i <= 3; i++) BlobGc.get(node(dir.resolve("n" + i), extra, first));

        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-quic", "--user-data-dir=" + Files.createDirectories(dir.resolve("chromium-profile")),
                "--window-size=1440,1000", "--force-device-scale-factor=1");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(driver))
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
        Files.createDirectories(SHOTS);
    }

    /** Per test, so that the reports count the tests as skipped and give the reason. */
    @BeforeEach
    void browserPresent() {
        Assumptions.assumeTrue(skipped == null, skipped);
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) browser.quit();
        for (ActorSystem<Void> s : systems) {
            s.terminate();
            s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    private static ActorSystem<Void> node(Path data, String extra, ActorSystem<Void> seed) {
        ActorSystem<Void> s = ActorSystem.create(Behaviors.empty(), "blobgc", TestNodes.config(data, extra));
        systems.add(s);
        Cluster c = Cluster.get(s);
        c.manager().tell(Join.create((seed == null ? c : Cluster.get(seed)).selfMember().address()));
        TestProbe.create(s).awaitAssert(Duration.ofSeconds(30), () -> {
            assertEquals(MemberStatus.up(), c.selfMember().status());
            return null;
        });
        return s;
    }

    // ---------------------------------------------------------------- the checks

    @Test
    @Order(1)
    void thePageShowsTheCycleNodesAndCountsOfTheSummary() throws Exception {
        // the warm-up ends on the three nodes' FULL reports (no cycle needed)
        eventually(Duration.ofSeconds(40), () -> {
            JsonNode s = api("GET", "/v1/summary", null).json();
            assertFalse(s.path("warmingUp").asBoolean(), s.toString());
            assertEquals(3, s.path("nodes").size(), s.toString());
        });
        for (int i = 0; i < 30; i++) {
            String hex = upload("dashboard blob " + i);
            if (i < 18) held.add(hex);
            else unused.add(hex);
        }
        // a VM outside the JVM holds 18 of them (a lease on this node); the other 12 are used by nobody
        StringBuilder hashes = new StringBuilder();
        for (String h : held) hashes.append(hashes.length() == 0 ? "" : ",").append('"').append(h).append('"');
        assertEquals(200, api("PUT", "/v1/node/holders/vm-1", "{\"hashes\":[" + hashes + "],\"ttl\":\"10m\"}").status());
        // one cycle: the unused ones become unreferenced (their 4 s grace starts), the held ones stay active
        assertEquals(unused.size(), api("POST", "/v1/cycles?dryRun=false", "{}").json().path("unreferenced").size());
        JsonNode counts = api("GET", "/v1/summary", null).json().path("counts");
        assertEquals(unused.size(), counts.path("UNREFERENCED").asLong(), counts.toString());
        assertEquals(held.size(), counts.path("ACTIVE").asLong(), counts.toString());

        browser.get(base + "/");
        JsonNode s = api("GET", "/v1/summary", null).json();
        eventually(Duration.ofSeconds(15), () ->
                assertEquals(String.format("%,d", s.path("cycle").asLong()), text("cycle")));
        assertEquals(s.path("coordinatorNode").asText().replaceFirst("^.*@", "").replaceFirst("#.*$", ""),
                text("coordinator"));
        for (String status : List.of("ACTIVE", "PINNED", "UNREFERENCED", "MARKED_FOR_COLLECTION", "DELETING")) {
            assertEquals(String.format("%,d", s.path("counts").path(status).asLong()), text("c-" + status), status);
        }
        assertEquals(String.format("%,d", s.path("collected").asLong()), text("c-collected"));
        String rows = text("node-rows");
        for (JsonNode n : s.path("nodes")) {
            String address = n.path("node").asText().replaceFirst("^.*@", "").replaceFirst("#.*$", "");
            assertTrue(rows.contains(address), address + " in " + rows);
        }
        assertEquals(3, browser.findElements(By.cssSelector("#node-grid span")).size());
        assertTrue(text("nodes-summary").startsWith("3 nodes"), text("nodes-summary"));
        assertTrue(text("state-pill").startsWith("RUNNING"), text("state-pill"));
        // the sweeper's pace from the summary (at its limit, 1000/s) and a healthy store
        assertEquals("1.0k / 1.0k deletions/s", text("sw-allowed"));
        assertEquals("ok", text("sw-store"));
        shot("1-summary", "counts");
    }

    @Test
    @Order(2)
    void aMissingOrWrongTokenIsReportedNotSwallowed() throws Exception {
        long cycle = api("GET", "/v1/summary", null).json().path("cycle").asLong();
        setToken("");
        click("btn-dry");
        eventually(Duration.ofSeconds(10), () -> assertTrue(text("cycle-result").contains("needs an API token"),
                text("cycle-result")));
        assertTrue(browser.findElement(By.id("cycle-result")).getAttribute("class").contains("error"));
        assertTrue(browser.findElement(By.id("token")).getAttribute("class").contains("needed"),
                "the token field is pointed out");
        shot("2-missing-token", "actions");

        setToken("not-the-token");
        click("btn-cycle");
        eventually(Duration.ofSeconds(10), () -> assertTrue(text("cycle-result").contains("refused the API token"),
                text("cycle-result")));
        assertEquals(cycle, api("GET", "/v1/summary", null).json().path("cycle").asLong(), "nothing ran");
    }

    @Test
    @Order(3)
    void aDryRunClickedOnThePageShowsTheBlobsThatARealCycleThenCollects() throws Exception {
        setToken(TOKEN);
        // grace (4 s) over and every node's view confirms them absent: a dry run through the API says so first
        eventually(Duration.ofSeconds(30), () ->
                assertEquals(unused.size(), api("POST", "/v1/cycles?dryRun=true", "{}").json().path("marked").size()));

        click("btn-dry");
        eventually(Duration.ofSeconds(15), () -> assertTrue(text("cycle-result").contains("(dry run): " + unused.size()
                + " blob(s) would be marked"), text("cycle-result")));
        Set<String> shown = new TreeSet<>();
        for (WebElement e : browser.findElements(By.cssSelector("#dry-marked [data-marked]"))) {
            shown.add(e.getAttribute("data-marked"));
        }
        assertEquals(unused, shown, "the page lists exactly the unused blobs");
        shot("3-dry-run", "actions");

        click("btn-cycle");
        eventually(Duration.ofSeconds(15), () -> assertTrue(text("cycle-result").contains(unused.size()
                + " blob(s) marked"), text("cycle-result")));
        eventually(Duration.ofSeconds(40), () -> {
            api("POST", "/v1/cycles?dryRun=false", "{}");
            for (String h : shown) {
                assertEquals("COLLECTED", api("GET", "/v1/blobs/" + h, null).json().path("status").asText(), h);
            }
        });
        for (String h : shown) assertFalse(store.exists(BlobHash.parse(h)), h + " deleted from the store");
        for (String h : held) {
            assertEquals("ACTIVE", api("GET", "/v1/blobs/" + h, null).json().path("status").asText(), h);
            assertTrue(store.exists(BlobHash.parse(h)), h);
        }
        eventually(Duration.ofSeconds(15), () -> assertEquals(String.format("%,d", unused.size()), text("c-collected")));
    }

    @Test
    @Order(4)
    void aPinMadeOnThePageShowsUpInTheBlobsApiAndTheLookupExplainsIt() throws Exception {
        setToken(TOKEN);
        String hex = held.get(0);
        type("pin-hash", hex);
        type("pin-owner", "release-team");
        type("pin-reason", "golden image");
        type("pin-ttl", "7d");
        browser.findElement(By.cssSelector("#pin-form button")).click();
        eventually(Duration.ofSeconds(10), () -> assertTrue(text("pin-result").startsWith("Pinned"), text("pin-result")));
        JsonNode b = api("GET", "/v1/blobs/" + hex, null).json();
        assertEquals("release-team", b.path("pins").get(0).path("owner").asText(), b.toString());
        assertEquals("golden image", b.path("pins").get(0).path("reason").asText(), b.toString());
        assertTrue(b.path("pins").get(0).path("expiresAt").asLong() > System.currentTimeMillis() + 6 * 86_400_000L);
        eventually(Duration.ofSeconds(10), () -> assertTrue(text("pin-rows").contains("release-team"), text("pin-rows")));

        type("why-hash", hex);
        browser.findElement(By.cssSelector("#why-form button")).click();
        eventually(Duration.ofSeconds(10), () -> {
            String why = text("why-result");
            assertTrue(why.contains("Retained because"), why);
            assertTrue(why.contains("used by 1 node(s)"), why);
            assertTrue(why.contains("pinned by release-team (golden image)"), why);
        });
        shot("4-pin-and-why", "why");

        browser.findElement(By.cssSelector("#pin-rows button.unpin[data-hash='" + hex + "']")).click();
        eventually(Duration.ofSeconds(10), () -> assertTrue(text("pin-result").startsWith("Unpinned"), text("pin-result")));
        assertEquals(0, api("GET", "/v1/blobs/" + hex, null).json().path("pins").size());
    }

    /** Not a check: some cycles of work for the charts, then the screenshot README shows. */
    @Test
    @Order(5)
    void aFewCyclesOfWorkForTheScreenshot() throws Exception {
        setToken(TOKEN);
        type("pin-hash", held.get(1));
        type("pin-owner", "ops");
        type("pin-reason", "incident 4711: keep for forensics");
        type("pin-ttl", "");
        browser.findElement(By.cssSelector("#pin-form button")).click();
        eventually(Duration.ofSeconds(10), () -> assertTrue(text("pin-result").startsWith("Pinned"), text("pin-result")));
        int n = 0;
        for (int round = 0; round < 4; round++) { // a page refresh each: enough points for the charts, not more CI time
            for (int i = 0; i < 8 + 3 * (round % 4); i++) upload("screenshot blob " + n++);
            long before = api("GET", "/v1/summary", null).json().path("cycle").asLong();
            api("POST", "/v1/cycles?dryRun=false", "{}");
            eventually(Duration.ofSeconds(10), () -> assertTrue(Long.parseLong(text("cycle").replace(",", "")) > before));
            waitForRefresh();
        }
        api("POST", "/v1/cycles?dryRun=true", "{}");
        browser.navigate().refresh();           // the per-cycle series survives a reload
        waitForRefresh();
        click("btn-dry");
        eventually(Duration.ofSeconds(10), () -> assertTrue(text("cycle-result").contains("(dry run)")));
        type("why-hash", held.get(1));
        browser.findElement(By.cssSelector("#why-form button")).click();
        eventually(Duration.ofSeconds(10), () -> assertTrue(text("why-result").contains("Retained because")));
        // the history rows are drawn again by every refresh: a row found just before one is stale, so find it again
        eventually(Duration.ofSeconds(10), () -> browser.findElement(By.cssSelector("#history-rows tr[data-cycle]")).click());
        fullPageShot("dashboard");
    }

    /**
     * A failing, then throttled store as the page shows it: the node's own summary with the store fields the
     * coordinator sets (StoreTroubleMetricsTest shows them set by a real store) changed, rendered in one script so that
     * no refresh comes between; the real summary is shown again after.
     */
    @Test
    @Order(6)
    void aFailingOrThrottledStoreShowsInThePillAnAlertAndTheSweepCard() throws Exception {
        JsonNode real = api("GET", "/v1/summary", null).json();
        for (String field : List.of("storeFailing", "lastStoreError", "storeThrottling", "storeThrottledRequests",
                "sweepRate", "sweepRateLimit")) {
            assertTrue(real.has(field), field + " in " + real);
        }
        String show = "st.summary = Object.assign({}, st.summary, arguments[0]); st.error = null; render();"
                + " return [$('state-pill').textContent, $('alerts').textContent, $('sw-store').textContent,"
                + " $('sw-allowed').textContent];";
        JavascriptExecutor js = (JavascriptExecutor) browser;
        List<?> failing = (List<?>) js.executeScript(show, Map.of("storeFailing", true,
                "lastStoreError", "java.net.ConnectException: Connection refused"));
        assertEquals("STORE FAILING", failing.get(0), failing.toString());
        assertTrue(failing.get(1).toString().contains("Store failing")
                && failing.get(1).toString().contains("Connection refused"), failing.toString());
        assertTrue(failing.get(2).toString().startsWith("failing"), failing.toString());
        List<?> throttled = (List<?>) js.executeScript(show, Map.of("storeFailing", false, "storeThrottling", true,
                "storeThrottledRequests", 7, "sweepRate", 62.5, "sweepRateLimit", 1000));
        assertEquals("STORE THROTTLING", throttled.get(0), throttled.toString());
        assertTrue(throttled.get(1).toString().contains("Store throttling: the store pushed back 7 request(s); "
                + "the sweeper slowed to 62.5 of 1.0k deletions/s"), throttled.toString());
        assertTrue(throttled.get(2).toString().startsWith("throttling 7 request(s)"), throttled.toString());
        assertEquals("62.5 / 1.0k deletions/s", throttled.get(3), throttled.toString());
        shot("6-store-throttling", "sweep");
        js.executeScript("return refresh();");
        eventually(Duration.ofSeconds(10), () -> assertEquals("ok", text("sw-store")));
    }

    /**
     * The cluster card's partitions: "all in the coordinator" on this node (it hosts every partition), and the
     * partition entities of a sharded cluster (partition-hosting = sharded) — how many, on how many members, which do
     * not answer — from a summary listing them, rendered in one script; the real summary is shown again after.
     */
    @Test
    @Order(7)
    void theClusterCardListsThePartitionEntitiesOfAShardedCluster() throws Exception {
        assertEquals("all in the coordinator", text("cl-partitions"));
        String show = "st.summary = Object.assign({}, st.summary, arguments[0]); st.error = null; render();"
                + " return $('cl-partitions').textContent;";
        JavascriptExecutor js = (JavascriptExecutor) browser;
        Object shown = js.executeScript(show, Map.of("partitions", List.of(
                Map.of("partition", 0, "member", "pekko://blobgc@127.0.0.1:25521", "answered", true, "cycle", 4),
                Map.of("partition", 1, "member", "pekko://blobgc@127.0.0.1:25522", "answered", true, "cycle", 4),
                Map.of("partition", 2, "answered", false, "cycle", 0),
                Map.of("partition", 3, "member", "pekko://blobgc@127.0.0.1:25521", "answered", true, "cycle", 4))));
        assertEquals("4 entities on 2 members · 1 not answering 2", shown);
        js.executeScript("return refresh();");
        eventually(Duration.ofSeconds(10), () -> assertEquals("all in the coordinator", text("cl-partitions")));
    }

    // ---------------------------------------------------------------- helpers

    private static String text(String id) {
        return browser.findElement(By.id(id)).getText();
    }

    private static void click(String id) {
        browser.findElement(By.id(id)).click();
    }

    private static void type(String id, String value) {
        WebElement e = browser.findElement(By.id(id));
        e.clear();
        if (!value.isEmpty()) e.sendKeys(value);
    }

    private static void setToken(String token) {
        type("token", token);
    }

    private static void waitForRefresh() {
        String before = text("updated");
        new WebDriverWait(browser, Duration.ofSeconds(10)).until(d -> !text("updated").equals(before));
    }

    /** A screenshot with the element {@code id} in the middle of the window. */
    private static void shot(String name, String id) throws Exception {
        ((JavascriptExecutor) browser).executeScript("document.getElementById(arguments[0])"
                + ".scrollIntoView({block: 'center'})", id);
        shot(name);
    }

    private static void shot(String name) throws Exception {
        File f = browser.getScreenshotAs(OutputType.FILE);
        Files.copy(f.toPath(), SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }

    private static void fullPageShot(String name) throws Exception {
        Number height = (Number) ((JavascriptExecutor) browser).executeScript(
                "window.scrollTo(0, 0); return document.documentElement.scrollHeight");
        browser.manage().window().setSize(new Dimension(1440, Math.min(4000, height.intValue() + 20)));
        waitForRefresh();
        shot(name);
        browser.manage().window().setSize(new Dimension(1440, 1000));
    }

    private interface Check {
        void run() throws Exception;
    }

    private static void eventually(Duration within, Check check) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            try {
                check.run();
                return;
            } catch (AssertionError | Exception e) {
                if (System.nanoTime() > deadline) throw e;
                TimeUnit.MILLISECONDS.sleep(100);
            }
        }
    }

    record Reply(int status, JsonNode json, String text) {
    }

    private static Reply api(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) b.header("Content-Type", "application/json");
        if (!method.equals("GET")) b.header("Authorization", "Bearer " + TOKEN);
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = null;
        try {
            json = JSON.readTree(r.body());
        } catch (Exception notJson) {
            // the page itself
        }
        return new Reply(r.statusCode(), json, r.body());
    }

    private static String upload(String content) throws Exception {
        byte[] bytes = content.getBytes();
        String hex = BlobHash.sha256(bytes).toHex();
        HttpRequest r = HttpRequest.newBuilder(URI.create(base + "/v1/blobs/" + hex)).timeout(Duration.ofSeconds(30))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).header("Content-Type", "application/octet-stream")
                .header("Authorization", "Bearer " + TOKEN).build();
        HttpResponse<String> resp = HTTP.send(r, HttpResponse.BodyHandlers.ofString());
        assertEquals(201, resp.statusCode(), resp.body());
        return hex;
    }
}
