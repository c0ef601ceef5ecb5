package io.blobgc.http;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.blobgc.BlobGc;
import io.blobgc.BlobHash;
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
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The admin HTTP API (see README). Any node answers; coordinator calls go through the singleton proxy. Errors are
 * JSON {@code {"error":"<code>","message":"…"}}: 400 bad input, 401 missing token, 404, 409, 503 coordinator
 * unreachable — never a stack trace.
 */
public final class AdminRoutes extends AllDirectives {

    private static final Logger log = LoggerFactory.getLogger(AdminRoutes.class);
    static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final ActorSystem<?> system;
    private final BlobGc gc;
    private final Duration timeout;
    private final String token;

    public AdminRoutes(ActorSystem<?> system, BlobGc gc) {
        this.system = system;
        this.gc = gc;
        this.timeout = gc.settings().askTimeout();
        this.token = gc.settings().httpToken();
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

        ApiError(StatusCode status, String code, String message) {
            super(message, null, false, false);
            this.status = status;
            this.code = code;
        }

        static ApiError badRequest(String message) {
            return new ApiError(StatusCodes.BAD_REQUEST, "bad_request", message);
        }
    }

    public Route route() {
        return handleExceptions(exceptions(), () -> handleRejections(rejections(), () -> concat(
                dashboard(),
                pathPrefix("v1", () -> concat(
                        path("summary", () -> get(() -> completeWithFuture(summary()))),
                        path("pins", () -> get(() -> parameterOptional("offset", offset ->
                                parameterOptional("limit", limit -> completeWithFuture(pins(offset, limit)))))),
                        pathPrefix("blobs", () -> concat(
                                pathEnd(() -> post(() -> mutating(() -> body(RegisterBody.class, this::register)))),
                                path(PathMatchers.segment(), hex -> concat(
                                        get(() -> completeWithFuture(blob(hex))),
                                        put(() -> mutating(() -> parameterOptional("dependsOn", deps ->
                                                entity(Unmarshaller.entityToByteString(), bytes ->
                                                        completeWithFuture(putBlob(hex, bytes.toArray(), deps)))))))))),
                        path(PathMatchers.segment("pins").slash(PathMatchers.segment()), hex -> concat(
                                put(() -> mutating(() -> body(PinBody.class, b -> pin(hex, b)))),
                                delete(() -> mutating(() -> parameter("owner", owner ->
                                        completeWithFuture(unpin(hex, owner))))))),
                        path("cycles", () -> concat(
                                post(() -> mutating(() -> parameterOptional("dryRun", dry ->
                                        completeWithFuture(runCycle(dry))))),
                                get(() -> parameterOptional("limit", limit -> completeWithFuture(history(limit)))))),
                        path(PathMatchers.segment("node").slash("holders").slash(PathMatchers.segment()), holder ->
                                concat(
                                        put(() -> mutating(() -> body(LeaseBody.class, b -> lease(holder, b)))),
                                        delete(() -> mutating(() -> dropLease(holder))))))),
                path("metrics", () -> get(() -> completeWithFuture(metrics()))),
                pathPrefix("health", () -> concat(
                        path("alive", () -> get(() -> complete(json(StatusCodes.OK, Map.of("status", "alive"))))),
                        path("ready", () -> get(() -> completeWithFuture(ready()))))))));
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
                        pathPrefix("ui", () -> getFromResourceDirectory(DASHBOARD)))));
    }

    private static final String DASHBOARD = "io/blobgc/dashboard";

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
        return out;
    }

    private CompletionStage<HttpResponse> blob(String hex) {
        BlobHash h = hash(hex);
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

    private CompletionStage<HttpResponse> putBlob(String hex, byte[] content, Optional<String> dependsOn) {
        BlobHash h = hash(hex);
        List<BlobHash> deps = dependsOn.map(AdminRoutes::hashList).orElse(List.of());
        return gc.upload(h, content, deps).thenApply(r -> {
            if (!r.rejected().isEmpty()) throw beingDeleted(r.rejected());
            return json(StatusCodes.CREATED, Map.of("hash", h.toHex(), "bytes", content.length, "dependencies", deps));
        }).exceptionally(this::failure);
    }

    private Route register(RegisterBody b) {
        if (b.hashes() == null || b.hashes().isEmpty()) throw ApiError.badRequest("'hashes' must list at least one hash");
        Map<BlobHash, List<BlobHash>> regs = new LinkedHashMap<>();
        for (String hex : b.hashes()) regs.put(hash(hex), List.of());
        if (b.dependencies() != null) {
            b.dependencies().forEach((hex, deps) -> regs.put(hash(hex), hashList(String.join(",", deps))));
        }
        List<Registration> list = regs.entrySet().stream().map(e -> new Registration(e.getKey(), e.getValue())).toList();
        return completeWithFuture(gc.register(list).thenApply(r -> {
            if (r.accepted().isEmpty() && !r.rejected().isEmpty()) throw beingDeleted(r.rejected());
            return json(StatusCodes.OK, Map.of("accepted", r.accepted(), "rejected", r.rejected()));
        }).exceptionally(this::failure));
    }

    private Route pin(String hex, PinBody b) {
        BlobHash h = hash(hex);
        if (b.owner() == null || b.owner().isBlank()) throw ApiError.badRequest("'owner' is required");
        Duration ttl = b.ttl() == null ? null : duration("ttl", b.ttl());
        return completeWithFuture(gc.pin(h, b.owner(), b.reason(), ttl)
                .thenApply(r -> opResult(r, Map.of("pinned", hex, "owner", b.owner())))
                .exceptionally(this::failure));
    }

    private CompletionStage<HttpResponse> unpin(String hex, String owner) {
        BlobHash h = hash(hex);
        return gc.unpin(h, owner).thenApply(r -> opResult(r, Map.of("unpinned", hex, "owner", owner)))
                .exceptionally(this::failure);
    }

    private CompletionStage<HttpResponse> runCycle(Optional<String> dryRun) {
        boolean dry = dryRun.map(v -> switch (v) {
            case "true" -> true;
            case "false" -> false;
            default -> throw ApiError.badRequest("dryRun must be true or false, not '" + v + "'");
        }).orElse(false);
        return ask(CycleOutcome.class, r -> new Coordinator.RunCycleNow(dry, r))
                .thenApply(o -> json(StatusCodes.OK, o)).exceptionally(this::failure);
    }

    private CompletionStage<HttpResponse> history(Optional<String> limit) {
        int n;
        try {
            n = limit.map(Integer::parseInt).orElse(20);
        } catch (NumberFormatException e) {
            throw ApiError.badRequest("limit must be a number, not '" + limit.get() + "'");
        }
        if (n < 1) throw ApiError.badRequest("limit must be at least 1");
        return ask(Coordinator.History.class, r -> new Coordinator.GetHistory(n, r))
                .thenApply(h -> json(StatusCodes.OK, Map.of("cycles", h.entries())))
                .exceptionally(this::failure);
    }

    private Route lease(String holder, LeaseBody b) {
        if (b.ttl() == null) throw ApiError.badRequest("'ttl' is required (e.g. \"30s\")");
        Duration ttl = duration("ttl", b.ttl());
        Set<BlobHash> hashes = new LinkedHashSet<>(), pins = new LinkedHashSet<>();
        if (b.hashes() != null) for (String hex : b.hashes()) hashes.add(hash(hex));
        if (b.pins() != null) for (String hex : b.pins()) pins.add(hash(hex));
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

    private Route dropLease(String holder) {
        reporter().tell(new NodeReporter.DropLease(holder));
        return complete(json(StatusCodes.OK, Map.of("dropped", holder)));
    }

    private CompletionStage<HttpResponse> metrics() {
        return gc.summary().thenApply(Metrics::render)
                .exceptionally(e -> Metrics.unavailable(unwrap(e).toString()))
                .thenApply(text -> HttpResponse.create().withStatus(StatusCodes.OK)
                        .withEntity(ContentTypes.TEXT_PLAIN_UTF8, text));
    }

    private CompletionStage<HttpResponse> ready() {
        MemberStatus status = Cluster.get(system).selfMember().status();
        if (status != MemberStatus.up() && status != MemberStatus.weaklyUp()) {
            return CompletableFuture.completedFuture(error(StatusCodes.SERVICE_UNAVAILABLE, "not_ready",
                    "this node is " + status + " in the cluster, not Up"));
        }
        return gc.summary().thenApply(s -> json(StatusCodes.OK, Map.of("status", "ready",
                        "coordinatorNode", s.coordinatorNode(), "warmingUp", s.warmingUp())))
                .exceptionally(this::failure);
    }

    // ---- helpers

    private Route mutating(Supplier<Route> inner) {
        if (token.isEmpty()) return inner.get();
        return optionalHeaderValueByName("Authorization", auth -> {
            if (auth.isPresent() && auth.get().equals("Bearer " + token)) return inner.get();
            return complete(error(StatusCodes.UNAUTHORIZED, "unauthorized",
                    "this call changes state: send 'Authorization: Bearer <blob-gc.http.token>'"));
        });
    }

    private <T> Route body(Class<T> type, java.util.function.Function<T, Route> inner) {
        return entity(Unmarshaller.entityToString(), text -> {
            T value;
            try {
                value = JSON.readValue(text, type);
            } catch (IOException e) {
                throw ApiError.badRequest("malformed JSON body: " + firstLine(e.getMessage()));
            }
            if (value == null) throw ApiError.badRequest("a JSON body is required");
            return inner.apply(value);
        });
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
        return gc.reporter();
    }

    private static BlobHash hash(String hex) {
        try {
            return BlobHash.parse(hex);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(e.getMessage());
        }
    }

    private static List<BlobHash> hashList(String commaSeparated) {
        List<BlobHash> out = new ArrayList<>();
        for (String hex : commaSeparated.split(",")) {
            if (!hex.isBlank()) out.add(hash(hex.trim()));
        }
        return out;
    }

    static Duration duration(String what, String text) {
        try {
            Duration d = ConfigFactory.parseString("d = \"" + text.replace("\"", "") + "\"").getDuration("d");
            if (d.isNegative() || d.isZero()) throw ApiError.badRequest(what + " must be positive, not '" + text + "'");
            return d;
        } catch (ConfigException e) {
            throw ApiError.badRequest(what + " must be a duration such as 30s, 10m or 1h, not '" + text + "'");
        }
    }

    private static ApiError beingDeleted(List<BlobHash> hashes) {
        return new ApiError(StatusCodes.CONFLICT, "conflict",
                "being deleted right now (register again once collected), or a declared callee has no content "
                        + "(upload the callees first): " + hashes);
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
        if (e instanceof ApiError a) return error(a.status, a.code, a.getMessage());
        if (e instanceof TimeoutException || e.getClass().getSimpleName().contains("Timeout")) {
            return error(StatusCodes.SERVICE_UNAVAILABLE, "coordinator_unavailable",
                    "the coordinator did not answer within " + timeout.toSeconds() + " s (failover under way?)");
        }
        if (e instanceof IllegalArgumentException) return error(StatusCodes.BAD_REQUEST, "bad_request", e.getMessage());
        log.error("admin API request failed", e);
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
                .match(ApiError.class, e -> complete(error(e.status, e.code, e.getMessage())))
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
                .handle(MalformedRequestContentRejection.class, r -> complete(error(StatusCodes.BAD_REQUEST,
                        "bad_request", "malformed request body: " + r.message())))
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

    private static String firstLine(String s) {
        if (s == null) return "";
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }
}
