package io.blobgc.node;

import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;
import io.blobgc.LogText;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.Registered;
import io.blobgc.protocol.ReporterProtocol.ReportAck;
import io.blobgc.protocol.ReporterProtocol.ReportRejected;
import io.blobgc.protocol.ReporterProtocol.ResendFull;
import io.blobgc.protocol.ReporterProtocol.ToReporter;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * One per VM node: owns the node's view (blobs held by local holder actors, node pins, leases of out-of-process
 * holders, and the sample of an {@link ActiveSetSource}) and reports it to the coordinator — a FULL report at start
 * and whenever the coordinator asks, otherwise a DELTA every {@code heartbeat-interval} (an empty one is the
 * heartbeat). FULL reports above {@code max-report-chunk} hashes are sent in chunks.
 *
 * <p>Every decision is {@link ReporterCore}'s: this actor hands it each message, carries out the outputs it returns
 * (reports and fence asks to the coordinator — with partition entities, each report's share to its partition and each
 * fence ask to the hash's, see {@link CoordinatorRoute} — replies, holder watches, lease timers), runs the heartbeat
 * timer and samples the {@link ActiveSetSource}.
 */
public final class NodeReporter extends AbstractBehavior<ToReporter> {

    /** Its local messages; what it takes from the coordinator is in {@link ReporterProtocol}. */
    public interface Message extends ToReporter {
    }

    // ---- the embedding API (local)

    /**
     * {@code holder} starts to use {@code hash}; released when it calls {@link Release} or, for an actor, stops.
     * A holder is an {@link ActorRef} (a VM frame) or a {@link ReporterCore.LeaseHolder}.
     */
    public record Acquire(Object holder, BlobHash hash, ActorRef<AcquireReply> replyTo)
            implements Message {
    }

    /** {@code holder} stops using {@code hash}; {@code replyTo} (may be null) is told once the release is applied. */
    public record Release(Object holder, BlobHash hash, ActorRef<org.apache.pekko.Done> replyTo) implements Message {
        public Release(Object holder, BlobHash hash) {
            this(holder, hash, null);
        }
    }

    public record Register(List<Registration> registrations, ActorRef<Registered> replyTo)
            implements Message {
    }

    /**
     * The node pins {@code hash}. The pin goes through the acquire fence first: it is in force (and reported) only
     * when {@code replyTo} gets ACQUIRED; on GONE, upload the blob again and pin again.
     */
    public record PinLocal(BlobHash hash, ActorRef<AcquireReply> replyTo) implements Message {
    }

    public record UnpinLocal(BlobHash hash) implements Message {
    }

    /**
     * Sets the lease of a holder outside the JVM: its active set and pins, dropped when not renewed within ttl.
     * Hashes and pins new to the lease go through the acquire fence; those refused are left out and listed in the
     * reply.
     */
    public record SetLease(String holder, Set<BlobHash> hashes, Set<BlobHash> pins, Duration ttl,
                           ActorRef<ReporterCore.LeaseReply> replyTo) implements Message {
        /**
         * Refused here, in the sender's thread, rather than in the reporter: a null or non-positive TTL. A TTL above
         * {@code reporter.max-lease-ttl} is cut to it by the reporter (the admin API refuses it with 400 first).
         */
        public SetLease {
            java.util.Objects.requireNonNull(holder, "holder");
            java.util.Objects.requireNonNull(hashes, "hashes");
            java.util.Objects.requireNonNull(pins, "pins");
            java.util.Objects.requireNonNull(replyTo, "replyTo");
            if (ttl == null || ttl.isNegative() || ttl.isZero()) {
                throw new IllegalArgumentException("a lease's ttl must be positive, not " + ttl);
            }
        }
    }

    public record DropLease(String holder) implements Message {
    }

    public record GetView(ActorRef<ReporterCore.View> replyTo) implements Message {
    }

    // ---- private

    private enum Heartbeat implements Message { INSTANCE }

    private record HolderStopped(ActorRef<?> holder) implements Message {
    }

    private record InboxesListed(Set<ActorRef<ReporterProtocol.ToPartitionInbox>> inboxes) implements Message {
    }

    private record AcquireAnswered(long ask, AcquireReply reply, Throwable failure) implements Message {
    }

    /** The lease timer of {@code holder} fired ({@code generation} tells renewals apart). */
    private record LeaseTimerFired(String holder, long generation) implements Message {
    }

    /** A reporter of a coordinator that holds every partition (P = 1, or partition-hosting = coordinator). */
    public static Behavior<ToReporter> create(String node, ActorRef<ToCoordinator> coordinator,
                                           BlobGcSettings settings, ActiveSetSource source) {
        return create(node, CoordinatorRoute.whole(coordinator), settings, source);
    }

    public static Behavior<ToReporter> create(String node, CoordinatorRoute route, BlobGcSettings settings,
                                              ActiveSetSource source) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
                new NodeReporter(ctx, timers, node, route, settings, source)));
    }

    private final TimerScheduler<ToReporter> timers;
    private final CoordinatorRoute route;
    private final BlobGcSettings settings;
    private final ActiveSetSource source;
    private final ReporterCore core;

    private NodeReporter(ActorContext<ToReporter> ctx, TimerScheduler<ToReporter> timers, String node,
                         CoordinatorRoute route, BlobGcSettings settings, ActiveSetSource source) {
        super(ctx);
        this.timers = timers;
        this.route = route;
        this.settings = settings;
        this.source = source;
        this.core = new ReporterCore(node, System.currentTimeMillis(), settings.maxReportChunk());
        ctx.getSystem().receptionist().tell(Receptionist.register(ReporterProtocol.REPORTERS, ctx.getSelf()));
        ctx.getSystem().receptionist().tell(Receptionist.subscribe(ReporterProtocol.PARTITION_INBOXES,
                ctx.messageAdapter(Receptionist.Listing.class, l -> new InboxesListed(
                        l.getAllServiceInstances(ReporterProtocol.PARTITION_INBOXES)))));
        timers.startTimerWithFixedDelay(Heartbeat.INSTANCE, settings.heartbeatInterval());
        report(); // FULL at start
    }

    @Override
    public Receive<ToReporter> createReceive() {
        return newReceiveBuilder()
                .onMessageEquals(Heartbeat.INSTANCE, this::report)
                .onMessage(ReportAck.class, m -> this)
                .onMessage(ReporterProtocol.PartitionsHosted.class, m -> {
                    route.hosted(m);
                    return this;
                })
                .onMessage(InboxesListed.class, m -> {
                    route.inboxesListed(m.inboxes());
                    return this;
                })
                .onMessage(ResendFull.class, m -> {
                    List<ReporterCore.Output> out = core.resendFull(m.incarnation(), m.seq());
                    if (!out.isEmpty()) getContext().getLog().debug("coordinator asks for a FULL report: {}", m.reason());
                    return run(out);
                })
                .onMessage(ReportRejected.class, m -> {
                    if ("DUPLICATE_OR_OLD".equals(m.reason())) {
                        // a report overtaken by a later one (partition entities get heartbeats and the other reports
                        // by two paths): nothing lost
                        getContext().getLog().debug("report {} of {} came after a later one", m.seq(), core.node());
                    } else {
                        getContext().getLog().warn("coordinator rejected report {} of {}: {}", m.seq(), core.node(),
                                LogText.escape(m.reason()));
                    }
                    return this;
                })
                .onMessage(Acquire.class, m -> run(core.acquire(m.holder(), m.hash(), m.replyTo())))
                .onMessage(AcquireAnswered.class, m -> run(m.reply() != null
                        ? core.acquireAnswered(m.ask(), m.reply())
                        : core.acquireFailed(m.ask(), String.valueOf(m.failure().getMessage()))))
                .onMessage(Release.class, m -> {
                    Behavior<ToReporter> next = run(core.release(m.holder(), m.hash()));
                    if (m.replyTo() != null) m.replyTo().tell(org.apache.pekko.Done.getInstance());
                    return next;
                })
                .onMessage(HolderStopped.class, m -> {
                    getContext().getLog().debug("holder {} stopped: its blobs are released", m.holder());
                    return run(core.holderStopped(m.holder()));
                })
                .onMessage(Register.class, m -> {
                    route.registrations().tell(new ReporterProtocol.Register(m.registrations(), m.replyTo()));
                    return this;
                })
                .onMessage(PinLocal.class, m -> run(core.pin(m.hash(), m.replyTo())))
                .onMessage(UnpinLocal.class, m -> run(core.unpin(m.hash())))
                .onMessage(SetLease.class, m -> run(core.setLease(m.holder(), m.hashes(), m.pins(), m.ttl(),
                        m.replyTo())))
                .onMessage(DropLease.class, m -> run(core.dropLease(m.holder())))
                .onMessage(LeaseTimerFired.class, m -> run(core.leaseExpired(m.holder(), m.generation())))
                .onMessage(GetView.class, m -> {
                    m.replyTo().tell(core.view());
                    return this;
                })
                .build();
    }

    private Behavior<ToReporter> report() {
        if (source != null) {
            try {
                core.sampled(source.activeBlobs(), source.pinnedBlobs());
            } catch (RuntimeException e) {
                getContext().getLog().warn("active-set source failed, keeping its last sample: {}", e.toString());
            }
        }
        return run(core.report());
    }

    /** Carries out what the core decided, in order. */
    @SuppressWarnings("unchecked")
    private Behavior<ToReporter> run(List<ReporterCore.Output> outputs) {
        for (ReporterCore.Output o : outputs) {
            if (o instanceof ReporterCore.SendReport r) {
                send(r.report());
            } else if (o instanceof ReporterCore.AskAcquire a) {
                getContext().ask(AcquireReply.class, route.fenceOf(a.hash()), settings.acquireTimeout(),
                        replyTo -> new ReporterProtocol.Acquire(core.node(), core.incarnation(), a.afterSeq(), a.hash(),
                                replyTo),
                        (reply, failure) -> new AcquireAnswered(a.ask(), reply, failure));
            } else if (o instanceof ReporterCore.ReplyAcquire r) {
                ((ActorRef<AcquireReply>) r.replyTo()).tell(r.reply());
            } else if (o instanceof ReporterCore.ReplyLease r) {
                ((ActorRef<ReporterCore.LeaseReply>) r.replyTo()).tell(r.reply());
            } else if (o instanceof ReporterCore.Watch w) {
                if (w.holder() instanceof ActorRef<?> ref) getContext().watchWith(ref, new HolderStopped(ref));
            } else if (o instanceof ReporterCore.Unwatch w) {
                if (w.holder() instanceof ActorRef<?> ref) getContext().unwatch(ref);
            } else if (o instanceof ReporterCore.StartLeaseTimer t) {
                timers.startSingleTimer("lease-" + t.holder(), new LeaseTimerFired(t.holder(), t.generation()),
                        leaseTimer(t.holder(), t.ttl()));
            } else if (o instanceof ReporterCore.CancelLeaseTimer c) {
                timers.cancel("lease-" + c.holder());
            } else if (o instanceof ReporterCore.LeaseExpired e) {
                getContext().getLog().info("lease of holder '{}' expired: {} blob(s) released",
                        LogText.escape(e.holder()), e.released());
            } else {
                throw new IllegalStateException("unhandled reporter output " + o);
            }
        }
        return this;
    }

    /**
     * The delay of a lease timer: never beyond {@code reporter.max-lease-ttl} (the scheduler refuses delays beyond
     * about 248 days, and a refusal here would stop the reporter and with it this node's reports).
     */
    private Duration leaseTimer(String holder, Duration ttl) {
        Duration max = settings.maxLeaseTtl();
        if (ttl.compareTo(max) <= 0 && !ttl.isNegative()) return ttl;
        getContext().getLog().warn("lease of holder '{}' asked for a ttl of {}: cut to reporter.max-lease-ttl ({})",
                LogText.escape(holder), ttl, max);
        return ttl.isNegative() ? Duration.ZERO : max;
    }

    private void send(NodeReport r) {
        route.report(r, getContext().getSelf());
    }
}
