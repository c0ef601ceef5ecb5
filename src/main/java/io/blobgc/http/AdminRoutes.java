package io.blobgc.http;

import io.blobgc.BlobHash;
import io.blobgc.LogText;
import io.blobgc.api.Answers;
import io.blobgc.api.BlobDetail;
import io.blobgc.api.CycleRun;
import io.blobgc.api.CyclesPage;
import io.blobgc.api.LeaseRequest;
import io.blobgc.api.PinRequest;
import io.blobgc.api.PinsPage;
import io.blobgc.api.RegisterRequest;
import io.blobgc.api.SummaryBody;
import io.blobgc.coordinator.Coordinator;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.ledger.Registration;
import io.blobgc.node.NodeReporter;
import io.blobgc.node.ReporterCore;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

import static io.blobgc.http.Responses.error;
import static io.blobgc.http.Responses.json;

/**
 * The admin HTTP API's routes (see README); their bodies are the records of {@code io.blobgc.api}. Any node answers; coordinator calls go through the singleton proxy. Errors are
 * JSON {@code {"error":"<code>","message":"…"}}: 400 bad input (naming the field and, for a bound, its setting),
 * 401 missing token, 403 foreign Host or origin, 404, 409, 413 too large, 415 wrong Content-Type, 503 coordinator
 * unreachable or reporter stopped — never a stack trace; 5xx only for the server's own faults.
 */
public final class AdminRoutes extends AllDirectives {

    private final ActorSystem<?> system;
    private final AdminBackend gc;
    private final Duration timeout;
    private final String token;
    private final Inputs inputs;
    private final AllowedHosts hosts;
    private final ErrorMapping errors;
    private final BlobUploads uploads;
    private final Readiness readiness;

    public AdminRoutes(ActorSystem<?> system, AdminBackend gc, AllowedHosts hosts) {
        this.system = system;
        this.gc = gc;
        this.timeout = gc.settings().askTimeout();
        this.token = gc.settings().httpToken();
        this.inputs = new Inputs(gc.settings());
        this.hosts = hosts;
        this.errors = new ErrorMapping(timeout, inputs.limits().maxJsonBody());
        this.uploads = new BlobUploads(gc, inputs, errors);
        this.readiness = new Readiness(system, gc, timeout, errors);
    }

    /** Every route; until blob-gc has started (the server is bound first), 503 "starting" for all of them. */
    public Route route() {
        Route routes = routes();
        Route starting = complete(error(StatusCodes.SERVICE_UNAVAILABLE, "starting", "blob-gc is starting on this node")
                .addHeader(RetryAfter.create(1L)));
        return extractRequestContext(ctx -> gc.started() ? routes : starting);
    }

    private Route routes() {
        return handleExceptions(errors.exceptions(), () -> handleRejections(errors.rejections(), () -> hostChecked(() -> concat(
                dashboard(),
                pathPrefix("v1", () -> concat(
                        path("summary", () -> get(() -> completeWithFuture(summary()))),
                        path("pins", () -> get(() -> parameterOptional("offset", offset ->
                                parameterOptional("limit", limit -> completeWithFuture(pins(offset, limit)))))),
                        pathPrefix("blobs", () -> concat(
                                pathEnd(() -> post(() -> mutating(Body.JSON, () ->
                                        body(RegisterRequest.class, this::register)))),
                                path(PathMatchers.segment(), hex -> concat(
                                        get(() -> completeWithFuture(blob(hex))),
                                        put(() -> mutating(Body.OCTETS, () -> parameterOptional("dependsOn", deps ->
                                                extractRequestEntity(entity -> extractMaterializer(mat ->
                                                        completeWithFuture(uploads.putBlob(hex, entity, deps, mat))))))))))),
                        path(PathMatchers.segment("pins").slash(PathMatchers.segment()), hex -> concat(
                                put(() -> mutating(Body.JSON, () -> body(PinRequest.class, b -> pin(hex, b)))),
                                delete(() -> mutating(Body.NONE, () -> parameter("owner", owner ->
                                        completeWithFuture(unpin(hex, owner))))))),
                        path("cycles", () -> concat(
                                post(() -> mutating(Body.NONE, () -> parameterOptional("dryRun", dry ->
                                        completeWithFuture(runCycle(dry))))),
                                get(() -> parameterOptional("limit", limit -> completeWithFuture(history(limit)))))),
                        path(PathMatchers.segment("node").slash("holders").slash(PathMatchers.segment()), holder ->
                                concat(
                                        put(() -> mutating(Body.JSON, () -> body(LeaseRequest.class, b -> lease(holder, b)))),
                                        delete(() -> mutating(Body.NONE, () -> dropLease(holder))))))),
                path("metrics", () -> get(() -> completeWithFuture(metrics()))),
                pathPrefix("health", () -> concat(
                        path("alive", () -> get(() -> complete(json(StatusCodes.OK, new Answers.Alive("alive"))))),
                        path("ready", () -> get(() -> completeWithFuture(readiness.ready())))))))));
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
        return ask(Coordinator.Pins.class, r -> new Coordinator.GetPins(from, Math.min(n, 1000), r))
                .thenApply(p -> json(StatusCodes.OK, PinsPage.from(p, from))).exceptionally(errors::failure);
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
        return gc.summary().thenApply(s -> json(StatusCodes.OK, SummaryBody.from(s))).exceptionally(errors::failure);
    }

    private CompletionStage<HttpResponse> blob(String hex) {
        BlobHash h = inputs.hash("hash", hex);
        return ask(Coordinator.BlobReply.class, r -> new Coordinator.GetBlob(h, r)).thenApply(reply -> {
            if (reply.info() == null) throw new ApiError(StatusCodes.NOT_FOUND, "not_found", "unknown blob " + hex);
            return json(StatusCodes.OK, BlobDetail.from(reply.info()));
        }).exceptionally(errors::failure);
    }

    private Route register(RegisterRequest b) {
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
            if (r.accepted().isEmpty() && !r.rejected().isEmpty()) throw ErrorMapping.refused(r);
            return json(StatusCodes.OK, Answers.Registered.from(r));
        }).exceptionally(errors::failure));
    }

    private Route pin(String hex, PinRequest b) {
        BlobHash h = inputs.hash("hash", hex);
        String owner = inputs.name("owner", b.owner());
        String reason = inputs.reason(b.reason());
        Duration ttl = b.ttl() == null ? null : inputs.pinTtl(b.ttl());
        return completeWithFuture(gc.pin(h, owner, reason, ttl)
                .thenApply(r -> ErrorMapping.opResult(r, new Answers.Pinned(hex, owner)))
                .exceptionally(errors::failure));
    }

    private CompletionStage<HttpResponse> unpin(String hex, String ownerParam) {
        BlobHash h = inputs.hash("hash", hex);
        String owner = inputs.name("owner", ownerParam);
        return gc.unpin(h, owner).thenApply(r -> ErrorMapping.opResult(r, new Answers.Unpinned(hex, owner)))
                .exceptionally(errors::failure);
    }

    private CompletionStage<HttpResponse> runCycle(Optional<String> dryRun) {
        boolean dry = dryRun.map(v -> switch (v) {
            case "true" -> true;
            case "false" -> false;
            default -> throw ApiError.badRequest("'dryRun' must be true or false, not '" + LogText.escape(v) + "'");
        }).orElse(false);
        return ask(CycleOutcome.class, r -> new Coordinator.RunCycleNow(dry, r))
                .thenApply(o -> json(StatusCodes.OK, CycleRun.from(o))).exceptionally(errors::failure);
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
                .thenApply(h -> json(StatusCodes.OK, CyclesPage.from(h.entries())))
                .exceptionally(errors::failure);
    }

    private Route lease(String holderParam, LeaseRequest b) {
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
            if (!r.gone().isEmpty()) {
                return json(StatusCodes.CONFLICT, Answers.Lease.of(holder, r.held(), r.pinned(), r.gone(),
                        r.unavailable(), "gone", "being deleted or collected, upload again: " + r.gone()));
            }
            if (!r.unavailable().isEmpty()) {
                return json(StatusCodes.SERVICE_UNAVAILABLE, Answers.Lease.of(holder, r.held(), r.pinned(), r.gone(),
                        r.unavailable(), "coordinator_unavailable", "the coordinator did not confirm: "
                                + r.unavailable()));
            }
            return json(StatusCodes.OK, Answers.Lease.of(holder, r.held(), r.pinned(), r.gone(), r.unavailable(),
                    null, null));
        }).exceptionally(errors::failure));
    }

    private Route dropLease(String holderParam) {
        String holder = inputs.name("holder", holderParam);
        reporter().tell(new NodeReporter.DropLease(holder));
        return complete(json(StatusCodes.OK, new Answers.Dropped(holder)));
    }

    private CompletionStage<HttpResponse> metrics() {
        return gc.metricsText()
                .thenApply(text -> HttpResponse.create().withStatus(StatusCodes.OK)
                        .withEntity(ContentTypes.TEXT_PLAIN_UTF8, text));
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
}
