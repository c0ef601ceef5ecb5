package io.blobgc.http;

import io.blobgc.NodeIds;
import io.blobgc.coordinator.Coordinator;
import io.blobgc.ledger.NodeInfo;
import io.blobgc.ledger.ReportOutcome;

import java.util.Locale;
import java.util.Map;

/** The coordinator's summary in the Prometheus text exposition format (version 0.0.4). */
final class Metrics {

    private final StringBuilder out = new StringBuilder();

    private Metrics() {
    }

    static String render(Coordinator.Summary s) {
        Metrics m = new Metrics();
        m.header("blobgc_coordinator_up", "gauge", "1 when the coordinator answered this scrape.");
        m.sample("blobgc_coordinator_up", "", 1);
        m.header("blobgc_blobs", "gauge", "Known blobs by status.");
        s.counts().forEach((status, n) -> m.sample("blobgc_blobs", label("status", status), n));
        m.header("blobgc_cycles_total", "counter", "GC cycles run (persisted: survives failover).");
        m.sample("blobgc_cycles_total", "", s.cycle());
        m.header("blobgc_cycle_duration_seconds", "gauge", "How long the last cycle's planning took.");
        m.sample("blobgc_cycle_duration_seconds", "", Math.max(0, s.lastCycleMs()) / 1000.0);
        m.header("blobgc_collected_blobs_total", "counter", "Blobs deleted from the store.");
        m.sample("blobgc_collected_blobs_total", "", s.totalCollected());
        m.header("blobgc_collected_bytes_total", "counter", "Bytes freed in the store.");
        m.sample("blobgc_collected_bytes_total", "", s.totalCollectedBytes());
        m.header("blobgc_failed_deletions_total", "counter", "Store deletions that failed (and are retried).");
        m.sample("blobgc_failed_deletions_total", "", s.totalFailedDeletions());
        m.header("blobgc_warming_up", "gauge", "1 while the coordinator waits for FULL reports after a recovery.");
        m.sample("blobgc_warming_up", "", s.warmingUp() ? 1 : 0);
        long stale = s.nodes().stream().filter(n -> n.state() == NodeInfo.State.STALE).count();
        m.header("blobgc_stale_nodes", "gauge", "Nodes whose reports stopped (they block nothing but keep their blobs).");
        m.sample("blobgc_stale_nodes", "", stale);
        m.header("blobgc_node_report_age_seconds", "gauge", "Time since each node's last report.");
        for (NodeInfo n : s.nodes()) {
            m.sample("blobgc_node_report_age_seconds", label("node", NodeIds.address(n.node())) + ","
                    + label("state", n.state().name()), n.lastReportAgeMs() / 1000.0);
        }
        m.header("blobgc_reports_total", "counter", "Reports received by this coordinator, by outcome "
                + "(DUPLICATE_OR_OLD, FROM_REMOVED_NODE and MALFORMED are rejected).");
        s.reportOutcomes().forEach((k, v) -> m.sample("blobgc_reports_total", label("outcome", k), v));
        long rejected = 0;
        for (Map.Entry<String, Long> e : s.reportOutcomes().entrySet()) {
            if (ReportOutcome.valueOf(e.getKey()).rejected()) rejected += e.getValue();
        }
        m.header("blobgc_rejected_reports_total", "counter", "Reports ignored: late, duplicate, out of order, "
                + "from a removed node, or malformed.");
        m.sample("blobgc_rejected_reports_total", "", rejected);
        m.header("blobgc_reported_while_deleting_total", "counter", "Blobs a node reported in use while DELETING "
                + "(it used them without acquire).");
        m.sample("blobgc_reported_while_deleting_total", "", s.reportedWhileDeleting());
        m.header("blobgc_reported_unknown_total", "counter", "Hashes nodes reported that the registry does not hold "
                + "(never uploaded, or collected): not protected; upload blobs before using them.");
        m.sample("blobgc_reported_unknown_total", "", s.reportedUnknown());
        m.header("blobgc_orphans_found_total", "counter", "Content in the store the registry does not account for "
                + "(unknown or collected hashes), older than orphan-grace: condemned for deletion.");
        m.sample("blobgc_orphans_found_total", "", s.orphansCondemned());
        m.header("blobgc_orphans_deleted_total", "counter", "Orphans deleted from the store by the reconciliation.");
        m.sample("blobgc_orphans_deleted_total", "", s.orphansDeleted());
        return m.out.toString();
    }

    static String unavailable(String why) {
        Metrics m = new Metrics();
        m.header("blobgc_coordinator_up", "gauge", "1 when the coordinator answered this scrape.");
        m.out.append("# coordinator unreachable: ").append(why.replace('\n', ' ')).append('\n');
        m.sample("blobgc_coordinator_up", "", 0);
        return m.out.toString();
    }

    private void header(String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private void sample(String name, String labels, double value) {
        out.append(name);
        if (!labels.isEmpty()) out.append('{').append(labels).append('}');
        out.append(' ');
        if (value == Math.rint(value) && Math.abs(value) < 1e15) out.append((long) value);
        else out.append(String.format(Locale.ROOT, "%.6f", value));
        out.append('\n');
    }

    private static String label(String name, String value) {
        return name + "=\"" + value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }
}
