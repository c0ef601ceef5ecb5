package io.blobgc.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.blobgc.BlobGc;
import io.blobgc.BlobHash;
import io.blobgc.LogText;
import io.blobgc.NodeIds;
import io.blobgc.coordinator.Coordinator;
import io.blobgc.ledger.BlobInfo;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.ledger.NodeInfo;
import io.blobgc.ledger.Pin;
import io.blobgc.ledger.Refusal;
import io.blobgc.ledger.Registration;
import io.blobgc.node.NodeReporter;
import io.blobgc.node.ReporterCore;
import io.blobgc.protocol.ReporterProtocol.Registered;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedQueryParamRejection;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.MissingQueryParamRejection;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.FileIO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The admin HTTP API (see README). Any node answers; coordinator calls go through the singleton proxy. Errors are
 * JSON {@code {"error":"<code>","message":"…"}}: 400 bad input (naming the field and, for a bound, its setting),
 * 401 missing token, 403 foreign Host or origin, 404, 409, 413 too large, 415 wrong Content-Type, 503 coordinator
 * unreachable or reporter stopped — never a stack trace; 5xx only for the server's own faults.
 */
public final class AdminRoutes extends AllDirectives {

    private static final Logger log = LoggerFactory.getLogger(AdminRoutes.class);
    /** Writes answers; requests are read by {@link Inputs#STRICT}. */
    static final ObjectMapper JSON = new ObjectMapper();

    private final ActorSystem<?> system;
    private final BlobGc gc;
    private final Duration timeout;
    private final String token;
    private final Inputs inputs;
    private final AllowedHosts hosts;
    private final UploadGate uploads;

    public AdminRoutes(ActorSystem<?> system, BlobGc gc, AllowedHosts hosts) {
        this.system = system;
        this.gc = gc;
        this.timeout = gc.settings().askTimeout();
        this.token = gc.settings().httpToken();
        this.inputs = new Inputs(gc.settings());
        this.hosts = hosts;
        this.uploads = new UploadGate(gc.settings().http(), gc.store());
    }

    // ---- request bodies

    record RegisterBody(List<String> hashes, Map<String, List<String>> dependencies) {
    }

    record PinBody(String owner, String reason, String ttl) {
    }

    record LeaseBody(List<String> hashes, List<String> pins, String ttl) {
    }

    /** A refusal that becomes an HTTP error. */
    static final class ApiError extends RuntimeException {
        final StatusCode status;
        final String code;
        /** Seconds for a {@code Retry-After} header; 0: none. */
        final long retryAfterSeconds;

        ApiError(StatusCode status, String code, String message) {
            this(status, code, message, 0);
        }

        ApiError(StatusCode status, String code, String message, long retryAfterSeconds) {
            super(message, null, false, false);
            this.status = status;
            this.code = code;
            this.retryAfterSeconds = retryAfterSeconds;
        }

        HttpResponse response() {
            HttpResponse r = error(status, code, getMessage());
            return retryAfterSeconds > 0 ? r.addHeader(RetryAfter.create(retryAfterSeconds)) : r;
        }

        static ApiError badRequest(String message) {
            return new ApiError(StatusCodes.BAD_REQUEST, "bad_request", message);
        }
    }

    /** Every route; until blob-gc has started (the server is bound first), 503 "starting" for all of them. */
    public Route route() {
        Route routes = routes();
        Route starting = complete(error(StatusCodes.SERVICE_UNAVAILABLE, "starting", "blob-gc is starting on this node")
                .addHeader(RetryAfter.create(1L)));
        return extractRequestContext(ctx -> gc.started() ? routes : starting);
    }

    private Route routes() {
        return handleExceptions(exceptions(), () -> handleRejections(rejections(), () -> hostChecked(() -> concat(
                dashboard(),
                pathPrefix("v1", () -> concat(
                        path("summary", () -> get(() -> completeWithFuture(summary()))),
                        path("pins", () -> get(() -> parameterOptional("offset", offset ->
                                parameterOptional("limit", limit -> completeWithFuture(pins(offset, limit)))))),
                        pathPrefix("blobs", () -> concat(
                                pathEnd(() -> post(() -> mutating(Body.JSON, () ->
                                        body(RegisterBody.class, this::register)))),
                                path(PathMatchers.segment(), hex -> concat(
                                        get(() -> completeWithFuture(blob(hex))),
                                        put(() -> mutating(Body.OCTETS, () -> parameterOptional("dependsOn", deps ->
                                                extractRequestEntity(entity -> extractMaterializer(mat ->
                                                        completeWithFuture(putBlob(hex, entity, deps, mat))))))))))),
                        path(PathMatchers.segment("pins").slash(PathMatchers.segment()), hex -> concat(
                                put(() -> mutating(Body.JSON, () -> body(PinBody.class, b -> pin(hex, b)))),
                                delete(() -> mutating(Body.NONE, () -> parameter("owner", owner ->
                                        completeWithFuture(unpin(hex, owner))))))),
                        path("cycles", () -> concat(
                                post(() -> mutating(Body.NONE, () -> parameterOptional("dryRun", dry ->
                                        completeWithFuture(runCycle(dry))))),
                                get(() -> parameterOptional("limit", limit -> completeWithFuture(history(limit)))))),
                        path(PathMatchers.segment("node").slash("holders").slash(PathMatchers.segment()), holder ->
                                concat(
                                        put(() -> mutating(Body.JSON, () -> body(LeaseBody.class, b -> lease(holder, b)))),
                                        delete(() -> mutating(Body.NONE, () -> dropLease(holder))))))),
                path("metrics", () -> get(() -> completeWithFuture(metrics()))),
                pathPrefix("health", () -> concat(
                        path("alive", () -> get(() -> complete(json(StatusCodes.OK, Map.of("status", "alive"))))),
                        path("ready", () -> get(() -> completeWithFuture(ready())))))))));
    }

    // ---- routes

    /** The dashboard: static files from the jar, {@code /} and {@code /ui/*} (GET only; it calls the API below). */
    private Route dashboard() {
        return get(() -> respondWithHeaders(List.of(
                        RawHeader.create("Cache-Control", "no-cache"),
                        RawHeader.create("X-Content-Type-Options", "nosniff"),
                        RawHeader.create("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                                + "img-src 'self' data:; frame-ancestors 'none'")),
                () -> concat(
                        pathSingleSlash(() -> getFromResource(DASHBOARD + "/index.html", ContentTypes.TEXT_HTML_UTF8)),
                        // the dashboard's own files by name: pekko's getFromResourceDirectory logged a request's
                        // decoded path at WARN, raw (a forged log line), and would serve any resource under it
                        pathPrefix("ui", () -> path(PathMatchers.segment(), name -> UI_FILES.containsKey(name)
                                ? getFromResource(DASHBOARD + "/" + name, UI_FILES.get(name))
                                : reject())))));
    }

    private static final String DASHBOARD = "io/blobgc/dashboard";
    private static final Map<String, ContentType> UI_FILES = Map.of(
            "dashboard.js", MediaTypes.APPLICATION_JAVASCRIPT.toContentType(HttpCharsets.UTF_8),
            "dashboard.css", MediaTypes.TEXT_CSS.toContentType(HttpCharsets.UTF_8),
            "index.html", ContentTypes.TEXT_HTML_UTF8);

    private CompletionStage<HttpResponse> pins(Optional<String> offset, Optional<String> limit) {
        int from = intParam("offset", offset, 0, 0);
        int n = intParam("limit", limit, 50, 1);
        return ask(Coordinator.Pins.class, r -> new Coordinator.GetPins(from, Math.min(n, 1000), r)).thenApply(p -> {
            List<Map<String, Object>> pins = new ArrayList<>();
            for (var pb : p.pins()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("hash", pb.hash().toHex());
                m.put("owner", pb.pin().owner());
                m.put("reason", pb.pin().reason());
                m.put("pinnedAt", pb.pin().pinnedAt());
                m.put("expiresAt", pb.pin().expiresAt());
                pins.add(m);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("total", p.total());
            out.put("offset", from);
            out.put("pins", pins);
            return json(StatusCodes.OK, out);
        }).exceptionally(this::failure);
    }

    private static int intParam(String name, Optional<String> value, int dflt, int min) {
        int n;
        try {
            n = value.map(Integer::parseInt).orElse(dflt);
        } catch (NumberFormatException e) {
            throw ApiError.badRequest(name + " must be a number, not '" + value.get() + "'");
        }
        if (n < min) throw ApiError.badRequest(name + " must be at least " + min);
        return n;
    }

    private CompletionStage<HttpResponse> summary() {
        return gc.summary().thenApply(s -> json(StatusCodes.OK, summaryJson(s))).exceptionally(this::failure);
    }

    static Map<String, Object> summaryJson(Coordinator.Summary s) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("cycle", s.cycle());
        out.put("coordinatorNode", s.coordinatorNode());
        out.put("warmingUp", s.warmingUp());
        out.put("warmUpBlockers", s.warmUpBlockers().stream().map(NodeIds::address).toList());
        out.put("dryRun", s.dryRun());
        out.put("counts", s.counts());
        List<Map<String, Object>> nodes = new ArrayList<>();
        for (NodeInfo n : s.nodes()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("node", NodeIds.address(n.node()));
            m.put("state", n.state().name());
            m.put("lastReportAgeMs", n.lastReportAgeMs());
            m.put("active", n.active());
            m.put("pinned", n.pinned());
            m.put("complete", n.complete());
            nodes.add(m);
        }
        out.put("nodes", nodes);
        out.put("lastCycle", s.lastCycle());
        out.put("lastCycleMs", s.lastCycleMs());
        out.put("collected", s.totalCollected());
        out.put("collectedBytes", s.totalCollectedBytes());
        out.put("failedDeletions", s.totalFailedDeletions());
        out.put("orphansFound", s.orphansCondemned());
        out.put("orphansDeleted", s.orphansDeleted());
        return out;
    }

    private CompletionStage<HttpResponse> blob(String hex) {
        BlobHash h = inputs.hash("hash", hex);
        return ask(Coordinator.BlobReply.class, r -> new Coordinator.GetBlob(h, r)).thenApply(reply -> {
            if (reply.info() == null) throw new ApiError(StatusCodes.NOT_FOUND, "not_found", "unknown blob " + hex);
            return json(StatusCodes.OK, blobJson(reply.info()));
        }).exceptionally(this::failure);
    }

    static Map<String, Object> blobJson(BlobInfo i) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("hash", i.hash().toHex());
        out.put("status", i.status().name());
        out.put("unreferencedSince", i.unreferencedSince());
        out.put("referencedBy", i.referencedBy().stream().map(NodeIds::address).toList());
        List<Map<String, Object>> pins = new ArrayList<>();
        for (Pin p : i.pins()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("owner", p.owner());
            m.put("reason", p.reason());
            m.put("expiresAt", p.expiresAt());
            pins.add(m);
        }
        out.put("pins", pins);
        out.put("nodePinnedBy", i.nodePinnedBy().stream().map(NodeIds::address).toList());
        out.put("dependencies", i.dependencies());
        out.put("dependents", i.dependents());
        out.put("markedCycle", i.markedCycle());
        out.put("deletionStartedAt", i.deletionStartedAt());
        out.put("collectedAt", i.collectedAt());
        return out;
    }

    /**
     * Streams the body to a temporary file under {@code upload-dir}, hashing it as it is written, with memory bounded
     * by a few buffers whatever its size; then {@link BlobGc#upload(BlobHash, Path, List)}: checked, stored, and
     * only then registered (409 when the coordinator refuses the registration). Above {@code max-blob-size}: 413, from the declared length before reading, or when the
     * stream passes it.
     */
    private CompletionStage<HttpResponse> putBlob(String hex, HttpEntity entity, Optional<String> dependsOn,
                                                  Materializer mat) {
        BlobHash h = inputs.hash("hash", hex);
        List<BlobHash> deps = dependsOn.map(d -> inputs.commaSeparated("dependsOn", d)).orElse(List.of());
        long max = inputs.limits().maxBlobSize();
        OptionalLong declared = entity.getContentLengthOption();
        if (declared.isPresent() && declared.getAsLong() > max) {
            entity.discardBytes(mat);
            return CompletableFuture.completedFuture(tooLarge(declared.getAsLong() + " bytes"));
        }
        UploadGate.Ticket ticket;
        try {
            ticket = uploads.admit(declared);
        } catch (ApiError refused) {
            entity.discardBytes(mat);
            return CompletableFuture.completedFuture(refused.response());
        }
        Path tmp;
        try {
            Files.createDirectories(inputs.limits().uploadDir());
            tmp = Files.createTempFile(inputs.limits().uploadDir(), UPLOAD_PREFIX, ".tmp");
        } catch (IOException e) {
            ticket.release();
            entity.discardBytes(mat);
            log.error("cannot create an upload file under {}: {}", inputs.limits().uploadDir(), e.toString());
            return CompletableFuture.completedFuture(error(StatusCodes.INSUFFICIENT_STORAGE, "storage",
                    "cannot write the upload: " + e.getMessage()));
        }
        MessageDigest md = BlobHash.sha256Digest();
        long[] size = {0};
        return entity.withSizeLimit(max).getDataBytes()
                // a body that stops coming is cut after a window without bytes; a trickle, by the gate's pace check
                .idleTimeout(inputs.limits().minUploadRateWindow())
                .map(bytes -> {
                    ticket.received(bytes.size());
                    for (java.nio.ByteBuffer b : bytes.getByteBuffers()) md.update(b);
                    size[0] += bytes.size();
                    return bytes;
                })
                .runWith(FileIO.toPath(tmp), mat)
                .thenCompose(io -> {
                    BlobHash actual = BlobHash.of(md.digest());
                    if (!actual.equals(h)) {
                        throw ApiError.badRequest("content does not match its address: the SHA-256 of the " + size[0]
                                + " bytes is " + actual + ", not " + h);
                    }
                    return gc.upload(h, tmp, deps);
                })
                .thenApply(r -> {
                    if (!r.rejected().isEmpty()) throw refused(r);
                    return json(StatusCodes.CREATED, Map.of("hash", h.toHex(), "bytes", size[0], "dependencies", deps));
                })
                .exceptionally(e -> sizeExceeded(e) ? tooLarge("more than that")
                        : causedBy(e, org.apache.pekko.stream.StreamIdleTimeoutException.class) ? uploads.tooSlow().response()
                        : clientGone(e) ? error(StatusCodes.BAD_REQUEST, "aborted", "the upload ended before its last byte")
                        : failure(e))
                .whenComplete((r, e) -> {
                    ticket.release();
                    try {
                        Files.deleteIfExists(tmp);
                    } catch (IOException ignored) {
                        // removed at the next start (AdminServer)
                    }
                });
    }

    static final String UPLOAD_PREFIX = ".upload-";

    private HttpResponse tooLarge(String what) {
        return error(StatusCodes.PAYLOAD_TOO_LARGE, "too_large", "the blob is " + what + ": at most "
                + inputs.limits().maxBlobSize() + " bytes (blob-gc.http.max-blob-size)");
    }

    /** The first throwable of one of {@code kinds} in {@code e}'s chain of causes (itself included), or null. */
    private static Throwable cause(Throwable e, Class<?>... kinds) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            for (Class<?> k : kinds) if (k.isInstance(t)) return t;
        }
        return null;
    }

    private static boolean causedBy(Throwable e, Class<?>... kinds) {
        return cause(e, kinds) != null;
    }

    private static boolean sizeExceeded(Throwable e) {
        return causedBy(e, EntityStreamSizeException.class);
    }

    /** The client went away mid-upload (reset, truncated body): its business, not a fault of ours to log. */
    private static boolean clientGone(Throwable e) {
        return causedBy(e, org.apache.pekko.http.scaladsl.model.EntityStreamException.class,
                org.apache.pekko.stream.StreamTcpException.class,
                org.apache.pekko.stream.AbruptStageTerminationException.class);
    }

    private Route register(RegisterBody b) {
        if (b.hashes() == null || b.hashes().isEmpty()) throw ApiError.badRequest("'hashes' must list at least one hash");
        Inputs.Budget budget = inputs.budget();
        Map<BlobHash, List<BlobHash>> regs = new LinkedHashMap<>();
        for (BlobHash h : budget.hashes("hashes", b.hashes())) regs.put(h, List.of());
        if (b.dependencies() != null) {
            budget.take("dependencies", b.dependencies().size());
            for (Map.Entry<String, List<String>> e : b.dependencies().entrySet()) {
                BlobHash caller = inputs.hash("dependencies", e.getKey());
                String field = "dependencies." + e.getKey();
                if (e.getValue() == null) throw ApiError.badRequest("'" + field + "' must be a list of hashes, not null");
                regs.put(caller, budget.hashes(field, e.getValue()));
            }
        }
        List<Registration> list = regs.entrySet().stream().map(e -> new Registration(e.getKey(), e.getValue())).toList();
        return completeWithFuture(gc.register(list).thenApply(r -> {
            if (r.accepted().isEmpty() && !r.rejected().isEmpty()) throw refused(r);
            return json(StatusCodes.OK, Map.of("accepted", r.accepted(), "rejected", r.rejected(),
                    "noContent", r.noContent()));
        }).exceptionally(this::failure));
    }

    private Route pin(String hex, PinBody b) {
        BlobHash h = inputs.hash("hash", hex);
        String owner = inputs.name("owner", b.owner());
        String reason = inputs.reason(b.reason());
        Duration ttl = b.ttl() == null ? null : inputs.pinTtl(b.ttl());
        return completeWithFuture(gc.pin(h, owner, reason, ttl)
                .thenApply(r -> opResult(r, Map.of("pinned", hex, "owner", owner)))
                .exceptionally(this::failure));
    }

    private CompletionStage<HttpResponse> unpin(String hex, String ownerParam) {
        BlobHash h = inputs.hash("hash", hex);
        String owner = inputs.name("owner", ownerParam);
        return gc.unpin(h, owner).thenApply(r -> opResult(r, Map.of("unpinned", hex, "owner", owner)))
                .exceptionally(this::failure);
    }

    private CompletionStage<HttpResponse> runCycle(Optional<String> dryRun) {
        boolean dry = dryRun.map(v -> switch (v) {
            case "true" -> true;
            case "false" -> false;
            default -> throw ApiError.badRequest("'dryRun' must be true or false, not '" + LogText.escape(v) + "'");
        }).orElse(false);
        return ask(CycleOutcome.class, r -> new Coordinator.RunCycleNow(dry, r))
                .thenApply(o -> json(StatusCodes.OK, o)).exceptionally(this::failure);
    }

    private CompletionStage<HttpResponse> history(Optional<String> limit) {
        int n;
        try {
            n = limit.map(Integer::parseInt).orElse(20);
        } catch (NumberFormatException e) {
            throw ApiError.badRequest("'limit' must be a number, not '" + LogText.escape(limit.get()) + "'");
        }
        if (n < 1) throw ApiError.badRequest("'limit' must be at least 1");
        return ask(Coordinator.History.class, r -> new Coordinator.GetHistory(n, r))
                .thenApply(h -> json(StatusCodes.OK, Map.of("cycles", h.entries())))
                .exceptionally(this::failure);
    }

    private Route lease(String holderParam, LeaseBody b) {
        String holder = inputs.name("holder", holderParam);
        if (b.ttl() == null) throw ApiError.badRequest("'ttl' is required (e.g. \"30s\")");
        Duration ttl = inputs.leaseTtl(b.ttl());
        Inputs.Budget budget = inputs.budget();
        Set<BlobHash> hashes = new LinkedHashSet<>(budget.hashes("hashes", b.hashes()));
        Set<BlobHash> pins = new LinkedHashSet<>(budget.hashes("pins", b.pins()));
        var reporter = reporter();
        CompletionStage<ReporterCore.LeaseReply> reply = AskPattern.ask(reporter,
                r -> new NodeReporter.SetLease(holder, hashes, pins, ttl, r),
                gc.settings().acquireTimeout().plus(timeout), system.scheduler());
        return completeWithFuture(reply.thenApply(r -> {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("holder", holder);
            out.put("held", r.held());
            out.put("pinned", r.pinned());
            out.put("gone", r.gone());
            out.put("unavailable", r.unavailable());
            if (!r.gone().isEmpty()) {
                out.put("error", "gone");
                out.put("message", "being deleted or collected, upload again: " + r.gone());
                return json(StatusCodes.CONFLICT, out);
            }
            if (!r.unavailable().isEmpty()) {
                out.put("error", "coordinator_unavailable");
                out.put("message", "the coordinator did not confirm: " + r.unavailable());
                return json(StatusCodes.SERVICE_UNAVAILABLE, out);
            }
            return json(StatusCodes.OK, out);
        }).exceptionally(this::failure));
    }

    private Route dropLease(String holderParam) {
        String holder = inputs.name("holder", holderParam);
        reporter().tell(new NodeReporter.DropLease(holder));
        return complete(json(StatusCodes.OK, Map.of("dropped", holder)));
    }

    private CompletionStage<HttpResponse> metrics() {
        return gc.metrics().scrape()
                .thenApply(text -> HttpResponse.create().withStatus(StatusCodes.OK)
                        .withEntity(ContentTypes.TEXT_PLAIN_UTF8, text));
    }

    /**
     * Ready: this member is Up, its reporter runs and answers, the coordinator (through the singleton proxy) answers,
     * and it does not see this node STALE. Otherwise 503 saying which.
     */
    private CompletionStage<HttpResponse> ready() {
        MemberStatus status = Cluster.get(system).selfMember().status();
        if (status != MemberStatus.up() && status != MemberStatus.weaklyUp()) {
            return CompletableFuture.completedFuture(error(StatusCodes.SERVICE_UNAVAILABLE, "not_ready",
                    "this node is " + status + " in the cluster, not Up"));
        }
        CompletionStage<String> reporterProblem = CompletableFuture.completedFuture(null);
        if (gc.reporter() != null) {
            if (!gc.reporterRunning()) {
                return CompletableFuture.completedFuture(error(StatusCodes.SERVICE_UNAVAILABLE, "not_ready",
                        "this node's reporter stopped (see the log): the node reports nothing, so its blobs are "
                                + "protected only until it goes STALE and collection waits on it; restart the node"));
            }
            reporterProblem = AskPattern.<NodeReporter.Message, ReporterCore.View>ask(gc.reporter(),
                            NodeReporter.GetView::new, timeout, system.scheduler())
                    .handle((view, e) -> e == null ? null : "this node's reporter did not answer within "
                            + timeout.toSeconds() + " s");
        }
        String self = NodeIds.of(Cluster.get(system).selfMember().uniqueAddress());
        return reporterProblem.thenCompose(problem -> {
            if (problem != null) {
                return CompletableFuture.completedFuture(error(StatusCodes.SERVICE_UNAVAILABLE, "not_ready", problem));
            }
            return gc.summary().thenApply(s -> {
                boolean stale = s.nodes().stream().anyMatch(n -> n.node().equals(self)
                        && n.state() == NodeInfo.State.STALE);
                if (stale && gc.reporter() != null) {
                    return error(StatusCodes.SERVICE_UNAVAILABLE, "not_ready", "the coordinator sees this node "
                            + "STALE: its reporter's reports do not arrive (see the log)");
                }
                return json(StatusCodes.OK, Map.of("status", "ready", "coordinatorNode", s.coordinatorNode(),
                        "warmingUp", s.warmingUp()));
            }).exceptionally(this::failure);
        });
    }

    // ---- helpers

    /** What a mutating call's body may be. */
    enum Body {
        /** A JSON object: {@code Content-Type: application/json}. */
        JSON,
        /** A blob's bytes: {@code Content-Type: application/octet-stream}. */
        OCTETS,
        /** No body: no Content-Type, or JSON or octet-stream (what a client sends with an empty body). */
        NONE
    }

    /**
     * Every call that changes state: the token (when set), then the browser protections — a request from another
     * origin ({@code Origin} not this API's own, or {@code Sec-Fetch-Site} other than same-origin/none) is 403, and
     * a Content-Type a plain HTML form can send is 415 (such a form cannot set JSON or octet-stream).
     */
    private Route mutating(Body body, Supplier<Route> inner) {
        return extractRequest(req -> {
            if (!token.isEmpty() && !Edge.hasToken(req, token)) {
                return complete(error(StatusCodes.UNAUTHORIZED, "unauthorized",
                        "this call changes state: send 'Authorization: Bearer <blob-gc.http.token>'"));
            }
            Optional<HttpResponse> refused = Edge.crossOrigin(req);
            if (refused.isPresent()) return complete(refused.get());
            ContentType type = req.entity().getContentType();
            boolean none = type.equals(ContentTypes.NO_CONTENT_TYPE);
            boolean json = !none && type.mediaType().equals(MediaTypes.APPLICATION_JSON);
            boolean octets = !none && type.mediaType().equals(MediaTypes.APPLICATION_OCTET_STREAM);
            boolean ok = switch (body) {
                case JSON -> json;
                case OCTETS -> octets;
                case NONE -> none || json || octets;
            };
            if (!ok) {
                String wanted = switch (body) {
                    case JSON -> "a JSON body: send 'Content-Type: application/json'";
                    case OCTETS -> "the blob's bytes: send 'Content-Type: application/octet-stream'";
                    case NONE -> "no body (or an empty JSON one)";
                };
                return complete(error(StatusCodes.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                        "this call takes " + wanted + ", not Content-Type " + LogText.escape(type)));
            }
            return inner.get();
        });
    }

    /**
     * Every request's Host must name this API (see {@link AllowedHosts}): a page on another name that resolves to
     * this address (DNS rebinding) cannot read or call it.
     */
    private Route hostChecked(Supplier<Route> inner) {
        return Edge.hostChecked(hosts, "this API", inner);
    }

    private <T> Route body(Class<T> type, java.util.function.Function<T, Route> inner) {
        return withSizeLimit(inputs.limits().maxJsonBody(), () -> entity(Unmarshaller.entityToString(), text ->
                inner.apply(Inputs.json(text, type))));
    }

    private <R> CompletionStage<R> ask(Class<R> type,
                                       java.util.function.Function<org.apache.pekko.actor.typed.ActorRef<R>,
                                               Coordinator.Command> message) {
        return AskPattern.ask(gc.coordinator(), message::apply, timeout, system.scheduler());
    }

    private org.apache.pekko.actor.typed.ActorRef<NodeReporter.Message> reporter() {
        if (gc.reporter() == null) {
            throw new ApiError(StatusCodes.CONFLICT, "no_reporter", "this node runs no reporter (blob-gc.reporter.enabled)");
        }
        if (!gc.reporterRunning()) {
            throw new ApiError(StatusCodes.SERVICE_UNAVAILABLE, "reporter_stopped",
                    "this node's reporter stopped (see the log): restart the node");
        }
        return gc.reporter();
    }

    private static ApiError refused(Registered r) {
        if (!r.retry().isEmpty()) {
            return new ApiError(StatusCodes.SERVICE_UNAVAILABLE, "retry", "a coordinator that was replaced may still "
                    + "be deleting " + r.retry() + " (blob-gc.sweeper.batch-deadline): upload again in a while",
                    UploadGate.RETRY_AFTER_SECONDS);
        }
        if (!r.noContent().isEmpty() && r.noContent().size() == r.rejected().size()) {
            return new ApiError(StatusCodes.CONFLICT, "no_content", "the store does not hold the content of "
                    + r.noContent() + ": upload its content first (PUT /v1/blobs/{hash}), or upload again if it was "
                    + "being deleted");
        }
        return new ApiError(StatusCodes.CONFLICT, "conflict", "being deleted right now (upload again once "
                + "collected), without content in the store (upload its content first), or a declared callee has no "
                + "content (upload the callees first): " + r.rejected()
                + (r.noContent().isEmpty() ? "" : "; no content in the store: " + r.noContent()));
    }

    private HttpResponse opResult(Coordinator.OpResult r, Map<String, Object> ok) {
        if (r.ok()) return json(StatusCodes.OK, ok);
        Refusal refusal = r.refusal();
        return switch (refusal.kind()) {
            case NOT_FOUND -> error(StatusCodes.NOT_FOUND, "not_found", refusal.message());
            case CONFLICT -> error(StatusCodes.CONFLICT, "conflict", refusal.message());
            case BAD_REQUEST -> error(StatusCodes.BAD_REQUEST, "bad_request", refusal.message());
        };
    }

    private HttpResponse failure(Throwable t) {
        Throwable e = unwrap(t);
        if (cause(e, ApiError.class) instanceof ApiError a) return a.response(); // also from inside a stream
        if (e instanceof TimeoutException || e.getClass().getSimpleName().contains("Timeout")) {
            return error(StatusCodes.SERVICE_UNAVAILABLE, "coordinator_unavailable",
                    "the coordinator did not answer within " + timeout.toSeconds() + " s (failover under way?)");
        }
        if (e instanceof IllegalArgumentException) return error(StatusCodes.BAD_REQUEST, "bad_request", e.getMessage());
        if (e instanceof EntityStreamSizeException) {
            return error(StatusCodes.PAYLOAD_TOO_LARGE, "too_large", "the body is larger than this call takes (at "
                    + "most " + inputs.limits().maxJsonBody() + " bytes, blob-gc.http.max-json-body)");
        }
        log.error("admin API request failed: {}", LogText.escape(e), e);
        return error(StatusCodes.INTERNAL_SERVER_ERROR, "internal", e.getClass().getSimpleName() + ": " + e.getMessage());
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private ExceptionHandler exceptions() {
        return ExceptionHandler.newBuilder()
                .match(ApiError.class, e -> complete(e.response()))
                .match(IllegalArgumentException.class, e -> complete(error(StatusCodes.BAD_REQUEST, "bad_request",
                        e.getMessage())))
                .match(Throwable.class, e -> complete(failure(e)))
                .build();
    }

    private RejectionHandler rejections() {
        return RejectionHandler.newBuilder()
                .handle(MissingQueryParamRejection.class, r -> complete(error(StatusCodes.BAD_REQUEST, "bad_request",
                        "query parameter '" + r.parameterName() + "' is required")))
                .handle(MalformedQueryParamRejection.class, r -> complete(error(StatusCodes.BAD_REQUEST,
                        "bad_request", "query parameter '" + r.parameterName() + "': " + r.errorMsg())))
                .handle(MalformedRequestContentRejection.class, r -> complete(sizeExceeded(r.getCause())
                        ? failure(new EntityStreamSizeException(0, scala.Option.empty()))
                        : error(StatusCodes.BAD_REQUEST, "bad_request", "malformed request body: " + r.message())))
                .handleAll(MethodRejection.class, rs -> complete(error(StatusCodes.METHOD_NOT_ALLOWED,
                        "method_not_allowed", "allowed here: " + rs.stream().map(r -> r.supported().name())
                                .collect(Collectors.joining(", ")))))
                .handleNotFound(extractUnmatchedPath(p -> complete(error(StatusCodes.NOT_FOUND, "not_found",
                        "no such resource: " + p))))
                .build()
                .withFallback(RejectionHandler.defaultHandler())
                .mapRejectionResponse(resp -> resp.entity().getContentType().equals(ContentTypes.APPLICATION_JSON)
                        ? resp
                        : resp.withEntity(ContentTypes.APPLICATION_JSON, jsonBytes(Map.of("error", "bad_request",
                        "message", resp.status().reason()))));
    }

    static HttpResponse json(StatusCode status, Object body) {
        return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, jsonBytes(body));
    }

    static HttpResponse error(StatusCode status, String code, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", code);
        body.put("message", message == null ? code : message);
        return json(status, body);
    }

    private static byte[] jsonBytes(Object body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

}
