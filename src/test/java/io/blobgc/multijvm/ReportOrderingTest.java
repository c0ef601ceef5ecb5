package io.blobgc.multijvm;

import io.blobgc.BlobGc;
import io.blobgc.BlobHash;
import io.blobgc.NodeIds;
import io.blobgc.Postgres;
import io.blobgc.TestNodes;
import io.blobgc.coordinator.Coordinator;
import io.blobgc.ledger.NodeReport;
import io.blobgc.protocol.ReporterProtocol.Report;
import io.blobgc.protocol.ReporterProtocol.ReportAck;
import io.blobgc.protocol.ReporterProtocol.ReportRejected;
import io.blobgc.protocol.ReporterProtocol.ResendFull;
import io.blobgc.protocol.ReporterProtocol.ToReporter;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.Leave;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Scenario f: late, duplicate and out-of-order reports, and a report from a removed incarnation, are ignored (or
 * answered with a request for a FULL report) and counted in the metrics — on a real cluster with the PostgreSQL
 * journal.
 */
class ReportOrderingTest {

    @TempDir
    Path dir;

    private static long metric(String text, String name) {
        // Micrometer's Prometheus registry writes every value as a double ("2.0")
        Matcher m = Pattern.compile("^" + Pattern.quote(name) + " (\\d+(?:\\.\\d+)?)$", Pattern.MULTILINE)
                .matcher(text);
        return m.find() ? (long) Double.parseDouble(m.group(1)) : -1;
    }

    @Test
    void lateDuplicateOutOfOrderAndRemovedReportsAreIgnoredAndCounted() throws Exception {
        Postgres.assume();
        Postgres.clean();
        String journal = Postgres.nodeConfig();
        ActorSystem<Void> a = ActorSystem.create(Behaviors.empty(), "blobgc", TestNodes.config(dir.resolve("a"), journal));
        ActorSystem<Void> b = ActorSystem.create(Behaviors.empty(), "blobgc", TestNodes.config(dir.resolve("b"), journal));
        try {
            Cluster ca = Cluster.get(a), cb = Cluster.get(b);
            ca.manager().tell(Join.create(ca.selfMember().address()));
            cb.manager().tell(Join.create(ca.selfMember().address()));
            TestProbe<Object> probe = TestProbe.create(a);
            probe.awaitAssert(Duration.ofSeconds(30), () -> {
                assertEquals(MemberStatus.up(), cb.selfMember().status());
                return null;
            });
            BlobGc gc = BlobGc.get(a);
            BlobGc.get(b);
            String removedNode = NodeIds.of(cb.selfMember().uniqueAddress());
            probe.awaitAssert(Duration.ofSeconds(30), () -> {
                assertEquals(2, gc.summary().toCompletableFuture().get(10, TimeUnit.SECONDS).nodes().size());
                return null;
            });
            cb.manager().tell(Leave.create(cb.selfMember().address()));
            b.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            probe.awaitAssert(Duration.ofSeconds(30), () -> {
                assertEquals(1, gc.summary().toCompletableFuture().get(10, TimeUnit.SECONDS).nodes().size());
                return null;
            });

            TestProbe<ToReporter> reporter = TestProbe.create(a);
            String node = "pekko://blobgc@127.0.0.1:9#42";
            BlobHash h = BlobHash.sha256("reported".getBytes());
            gc.upload(h, "reported".getBytes(), List.of()).toCompletableFuture().get(10, TimeUnit.SECONDS); // uploaded first
            gc.coordinator().tell(new Report(NodeReport.full(node, 1, 10, List.of(h), List.of()), reporter.getRef()));
            assertInstanceOf(ReportAck.class, reporter.receiveMessage(Duration.ofSeconds(10)));
            // a duplicate
            gc.coordinator().tell(new Report(NodeReport.full(node, 1, 10, List.of(), List.of()), reporter.getRef()));
            assertInstanceOf(ReportRejected.class, reporter.receiveMessage(Duration.ofSeconds(10)));
            // a late one: older than the view
            gc.coordinator().tell(new Report(NodeReport.delta(node, 1, 9, List.of(), List.of(h), List.of(),
                    List.of()), reporter.getRef()));
            assertInstanceOf(ReportRejected.class, reporter.receiveMessage(Duration.ofSeconds(10)));
            // out of order: seq 12 before 11
            gc.coordinator().tell(new Report(NodeReport.delta(node, 1, 12, List.of(), List.of(h), List.of(),
                    List.of()), reporter.getRef()));
            assertInstanceOf(ResendFull.class, reporter.receiveMessage(Duration.ofSeconds(10)));
            // from an incarnation membership removed
            gc.coordinator().tell(new Report(NodeReport.full(removedNode, 1, 100, List.of(h), List.of()),
                    reporter.getRef()));
            var removed = reporter.expectMessageClass(ReportRejected.class, Duration.ofSeconds(10));
            assertEquals("FROM_REMOVED_NODE", removed.reason());

            var blob = TestProbe.<Coordinator.BlobReply>create(a);
            gc.coordinator().tell(new Coordinator.GetBlob(h, blob.getRef()));
            assertEquals(List.of(node), blob.receiveMessage(Duration.ofSeconds(10)).info().referencedBy(),
                    "none of them changed the view: still referenced by the node, not by the removed one");

            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + gc.httpAddress().getPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            String text = r.body();
            assertTrue(metric(text, "blobgc_reports_total{outcome=\"DUPLICATE_OR_OLD\"}") >= 2, text);
            assertTrue(metric(text, "blobgc_reports_total{outcome=\"FROM_REMOVED_NODE\"}") >= 1, text);
            assertTrue(metric(text, "blobgc_reports_total{outcome=\"NEED_FULL\"}") >= 1, text);
            assertTrue(metric(text, "blobgc_rejected_reports_total") >= 3, text);
        } finally {
            a.terminate();
            a.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            b.terminate();
        }
    }
}
