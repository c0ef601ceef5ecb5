package io.blobgc.coordinator;

import io.blobgc.BlobGcSettings;
import io.blobgc.NodeIds;
import io.blobgc.coordinator.Coordinator.CycleTick;
import io.blobgc.coordinator.Coordinator.Event;
import io.blobgc.coordinator.Coordinator.MemberChanged;
import io.blobgc.coordinator.Coordinator.MembersNow;
import io.blobgc.coordinator.Coordinator.ReportersChanged;
import io.blobgc.coordinator.Coordinator.StalenessTick;
import io.blobgc.coordinator.Coordinator.State;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.ReportOutcome;
import io.blobgc.protocol.ReporterProtocol;
import io.blobgc.protocol.ReporterProtocol.Report;
import io.blobgc.protocol.ReporterProtocol.ReportAck;
import io.blobgc.protocol.ReporterProtocol.ReportRejected;
import io.blobgc.protocol.ReporterProtocol.ResendFull;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.protocol.ReporterProtocol.ToReporter;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.GetCurrentState;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@link Coordinator}'s view of the cluster members and of the reporters the receptionist lists, and the reports
 * they send: soft state of one recovery (cleared by {@link #clear}). Members that leave have their references dropped
 * from the ledger; reporters new to this coordinator, or still owing the warm-up a FULL report, are asked for one (S5).
 */
final class Roster {
    private final ActorContext<ToCoordinator> ctx;
    private final TimerScheduler<ToCoordinator> timers;
    private final BlobGcSettings settings;
    private final CoordinatorCore core;
    private final DecisionEffects effects;
    /** Whether it runs its own cycles (the whole); a partition entity's come from the conductor. */
    private final boolean cyclesItself;
    /**
     * A partition entity's fence of the holds a report adds ({@link PartitionFences#reportApplied}); the whole's
     * ledger fences them as it applies the report.
     */
    interface ReportFence {
        void applied(PartitionedLedger l, NodeReport r, ReportOutcome outcome);
    }

    private final ReportFence reportFence;
    /** The reporters the receptionist lists, and the node each one reported for (once it did). */
    private final Set<ActorRef<ToReporter>> reporters = new LinkedHashSet<>();
    private final Map<ActorRef<ToReporter>, String> reporterNodes = new HashMap<>();

    Roster(ActorContext<ToCoordinator> ctx, TimerScheduler<ToCoordinator> timers, BlobGcSettings settings,
           CoordinatorCore core, DecisionEffects effects, boolean cyclesItself, ReportFence reportFence) {
        this.ctx = ctx;
        this.reportFence = reportFence;
        this.timers = timers;
        this.settings = settings;
        this.core = core;
        this.effects = effects;
        this.cyclesItself = cyclesItself;
    }

    void clear() {
        reporters.clear();
        reporterNodes.clear();
    }

    /** Subscribes to membership (when {@code clustered}) and to the receptionist's listing of reporters. */
    void subscribe(boolean clustered) {
        if (clustered) {
            ActorRef<ClusterEvent.MemberEvent> adapter = ctx.messageAdapter(ClusterEvent.MemberEvent.class,
                    MemberChanged::new);
            var subscriptions = Cluster.get(ctx.getSystem()).subscriptions();
            subscriptions.tell(new Subscribe<>(adapter, ClusterEvent.MemberEvent.class));
            // after the subscription's initial events: members removed between the read above and the subscription
            // are in neither, and this state tells
            subscriptions.tell(new GetCurrentState(ctx.messageAdapter(ClusterEvent.CurrentClusterState.class,
                    MembersNow::new).unsafeUpcast()));
        }
        ActorRef<Receptionist.Listing> listingAdapter = ctx.messageAdapter(Receptionist.Listing.class,
                ReportersChanged::new);
        ctx.getSystem().receptionist().tell(Receptionist.subscribe(ReporterProtocol.REPORTERS, listingAdapter));
    }

    ReplyEffect<Event, State> onReport(State s, Report c) {
        NodeReport r = c.report();
        CoordinatorCore.ReportResult result = core.report(r, Coordinator.localNow()).reply().apply(s.ledger);
        if (r != null && r.node() != null) reporterNodes.put(c.replyTo(), r.node());
        if (!cyclesItself && result.outcome() != ReportOutcome.MALFORMED) {
            reportFence.applied(s.ledger, r, result.outcome()); // a partition entity fences what the report holds
        }
        if (result.warmUpCompleted() && cyclesItself) {
            // the last FULL report of the warm-up: cycle now rather than a cycle-interval later
            ctx.getLog().info("warm-up complete: every member delivered a FULL report");
            timers.startTimerWithFixedDelay(CycleTick.INSTANCE, settings.cycleInterval());
            ctx.getSelf().tell(CycleTick.INSTANCE);
        }
        boolean applied = result.outcome() == ReportOutcome.APPLIED
                || result.outcome() == ReportOutcome.CHUNK_BUFFERED;
        boolean old = result.outcome() == ReportOutcome.DUPLICATE_OR_OLD;
        if ((applied || old) && !cyclesItself) {
            // a partition entity: no ack (reporters read none) — P of them per report and node would double the
            // reports' messages — nor a rejection of a report overtaken by a later one (a node's heartbeats come
            // through an inbox, its other reports straight): it answers only what asks something of the reporter
            return effects.noReply();
        }
        return effects.effect().reply(c.replyTo(), switch (result.outcome()) {
            case APPLIED, CHUNK_BUFFERED -> new ReportAck(r.incarnation(), r.seq());
            case NEED_FULL -> new ResendFull(r.incarnation(), r.seq(), "view of " + r.node()
                    + " cannot take seq " + r.seq());
            default -> {
                ctx.getLog().debug("report ignored: {}", result.outcome());
                yield new ReportRejected(r == null ? -1 : r.incarnation(), r == null ? -1 : r.seq(),
                        result.outcome().name());
            }
        });
    }

    /** The members that run a reporter (the node role) and are Up. */
    List<String> upMembers(Iterable<Member> members) {
        List<String> up = new ArrayList<>();
        for (Member m : members) {
            boolean isUp = m.status() == MemberStatus.up() || m.status() == MemberStatus.weaklyUp();
            if (isUp && reports(m)) up.add(NodeIds.of(m.uniqueAddress()));
        }
        return up;
    }

    private boolean reports(Member m) {
        return settings.nodeRole().isEmpty() || m.hasRole(settings.nodeRole());
    }

    ReplyEffect<Event, State> onStalenessTick(State s, StalenessTick c) {
        if (s.ledger.warmingUp()) {
            // ask whoever has not delivered a FULL report to this coordinator yet (or is not known yet)
            List<String> blockers = s.ledger.warmUpBlockers();
            for (ActorRef<ToReporter> r : reporters) {
                String node = reporterNodes.get(r);
                if (node == null || blockers.contains(node)) {
                    r.tell(new ResendFull(Long.MIN_VALUE, Long.MIN_VALUE, "warm-up"));
                }
            }
        }
        return effects.noReply();
    }

    ReplyEffect<Event, State> onMemberChanged(State s, MemberChanged c) {
        var member = c.event().member();
        String node = NodeIds.of(member.uniqueAddress());
        if (c.event() instanceof ClusterEvent.MemberRemoved) {
            ctx.getLog().info("member {} removed: its references are dropped", node);
            s.ledger.memberRemoved(node, Coordinator.localNow());
        } else if ((c.event() instanceof ClusterEvent.MemberUp || c.event() instanceof ClusterEvent.MemberWeaklyUp)
                && reports(member)) {
            s.ledger.memberUp(node, Coordinator.localNow());
        }
        return effects.noReply();
    }

    ReplyEffect<Event, State> onMembersNow(State s, MembersNow c) {
        Set<String> present = new HashSet<>();
        for (Member m : c.state().getMembers()) present.add(NodeIds.of(m.uniqueAddress()));
        for (String node : s.ledger.members()) {
            if (!present.contains(node)) {
                ctx.getLog().info("member {} was removed before this coordinator subscribed: its references are dropped",
                        node);
                s.ledger.memberRemoved(node, Coordinator.localNow());
            }
        }
        return effects.noReply();
    }

    ReplyEffect<Event, State> onReportersChanged(State s, ReportersChanged c) {
        Set<ActorRef<ToReporter>> listed = c.listing().getServiceInstances(ReporterProtocol.REPORTERS);
        for (ActorRef<ToReporter> r : listed) {
            // a reporter new to this coordinator reports in full: it may have missed our start
            if (reporters.add(r)) r.tell(new ResendFull(Long.MIN_VALUE, Long.MIN_VALUE, "new coordinator"));
        }
        reporters.retainAll(listed);
        reporterNodes.keySet().retainAll(listed);
        return effects.noReply();
    }
}
