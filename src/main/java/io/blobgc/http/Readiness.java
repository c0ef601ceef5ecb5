package io.blobgc.http;

import io.blobgc.NodeIds;
import io.blobgc.api.Answers;
import io.blobgc.ledger.NodeInfo;
import io.blobgc.node.NodeReporter;
import io.blobgc.node.ReporterCore;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import static io.blobgc.http.Responses.error;
import static io.blobgc.http.Responses.json;

/** {@code GET /health/ready}. */
final class Readiness {

    private final ActorSystem<?> system;
    private final AdminBackend gc;
    private final Duration timeout;
    private final ErrorMapping errors;

    Readiness(ActorSystem<?> system, AdminBackend gc, Duration timeout, ErrorMapping errors) {
        this.system = system;
        this.gc = gc;
        this.timeout = timeout;
        this.errors = errors;
    }

    /**
     * Ready: this member is Up, its reporter runs and answers, the coordinator (through the singleton proxy) answers,
     * and it does not see this node STALE. Otherwise 503 saying which.
     */
    CompletionStage<HttpResponse> ready() {
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
                return json(StatusCodes.OK, new Answers.Ready("ready", s.coordinatorNode(), s.warmingUp()));
            }).exceptionally(errors::failure);
        });
    }
}
