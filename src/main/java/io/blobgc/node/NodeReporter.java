package io.blobgc.node;

import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;
import io.blobgc.CborSerializable;
import io.blobgc.coordinator.Coordinator;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Registration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One per VM node: owns the node's view (blobs held by local holder actors, node pins, leases of out-of-process
 * holders, and the sample of an {@link ActiveSetSource}) and reports it to the coordinator — a FULL report at start
 * and whenever the coordinator asks, otherwise a DELTA every {@code heartbeat-interval} (an empty one is the
 * heartbeat). FULL reports above {@code max-report-chunk} hashes are sent in chunks.
 */
public final class NodeReporter extends AbstractBehavior<NodeReporter.Message> {

    public static final ServiceKey<Message> SERVICE_KEY = ServiceKey.create(Message.class, "blob-gc-reporter");

    public interface Message {
    }

    // ---- from the coordinator

    public record ReportAck(long incarnation, long seq) implements Message, CborSerializable {
    }

    /** Send a FULL report: the coordinator's view of this node cannot take {@code seq}, or it is new. */
    public record ResendFull(long incarnation, long seq, String reason) implements Message, CborSerializable {
    }

    public record ReportRejected(long incarnation, long seq, String reason) implements Message, CborSerializable {
    }

    // ---- the embedding API (local)

    /**
     * {@code holder} starts to use {@code hash}; released when it calls {@link Release} or, for an actor, stops.
     * A holder is an {@link ActorRef} (a VM frame) or a {@link LeaseHolder}.
     */
    public record Acquire(Object holder, BlobHash hash, ActorRef<Coordinator.AcquireReply> replyTo)
            implements Message {
    }

    public record Release(Object holder, BlobHash hash) implements Message {
    }

    /** A holder outside this JVM, known by name, whose holds last as long as its lease. */
    public record LeaseHolder(String name) {
    }

    public record Register(List<Registration> registrations, ActorRef<Coordinator.Registered> replyTo)
            implements Message {
    }

    public record PinLocal(BlobHash hash) implements Message {
    }

    public record UnpinLocal(BlobHash hash) implements Message {
    }

    /**
     * Sets the lease of a holder outside the JVM: its active set and pins, dropped when not renewed within ttl.
     * Blobs new to the lease go through the acquire fence; those that are gone are left out and listed in the reply.
     */
    public record SetLease(String holder, Set<BlobHash> hashes, Set<BlobHash> pins, Duration ttl,
                           ActorRef<LeaseReply> replyTo) implements Message {
    }

    /** @param held the lease's blobs now held; {@code gone}/{@code unavailable}: left out, see AcquireResult */
    public record LeaseReply(String holder, Set<BlobHash> held, Set<BlobHash> gone, Set<BlobHash> unavailable) {
    }

    public record DropLease(String holder) implements Message {
    }

    public record GetView(ActorRef<View> replyTo) implements Message {
    }

    /** What this reporter currently reports. */
    public record View(String node, long incarnation, long seq, Set<BlobHash> active, Set<BlobHash> pins,
                       Map<String, Integer> leases) {
    }

    // ---- private

    private enum Heartbeat implements Message { INSTANCE }

    private record HolderStopped(ActorRef<?> holder) implements Message {
    }

    private record LeaseAcquired(SetLease request, Set<BlobHash> gone, Set<BlobHash> unavailable) implements Message {
    }

    private record AcquireAnswered(BlobHash hash, Coordinator.AcquireReply reply, Throwable failure)
            implements Message {
    }

    /** The lease of {@code holder} was not renewed in time ({@code generation} tells renewals apart). */
    private record LeaseExpired(String holder, long generation) implements Message {
    }

    public static Behavior<Message> create(String node, ActorRef<Coordinator.Command> coordinator,
                                           BlobGcSettings settings, ActiveSetSource source) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
                new NodeReporter(ctx, timers, node, coordinator, settings, source)));
    }

    private final TimerScheduler<Message> timers;
    private final String node;
    private final long incarnation;
    private final ActorRef<Coordinator.Command> coordinator;
    private final BlobGcSettings settings;
    private final ActiveSetSource source;

    private final Map<Object, Map<BlobHash, Integer>> holders = new HashMap<>();
    private final Map<BlobHash, Integer> held = new HashMap<>();
    private final Map<BlobHash, List<Acquire>> pending = new HashMap<>();
    private final Set<BlobHash> nodePins = new LinkedHashSet<>();
    private final Map<String, Set<BlobHash>> leasePins = new HashMap<>();
    private final Map<String, Long> leaseGenerations = new HashMap<>();
    private long leaseGeneration;
    private Set<BlobHash> sampledActive = Set.of();
    private Set<BlobHash> sampledPins = Set.of();

    private long seq;
    private long lastFullSeq = -1;
    private boolean needFull = true;
    private Set<BlobHash> lastSentActive = Set.of();
    private Set<BlobHash> lastSentPins = Set.of();
    /** Acquired since the last report: the coordinator may have them in its view beyond what we reported. */
    private final Set<BlobHash> extra = new HashSet<>();

    private NodeReporter(ActorContext<Message> ctx, TimerScheduler<Message> timers, String node,
                         ActorRef<Coordinator.Command> coordinator, BlobGcSettings settings, ActiveSetSource source) {
        super(ctx);
        this.timers = timers;
        this.node = node;
        this.incarnation = System.currentTimeMillis();
        this.coordinator = coordinator;
        this.settings = settings;
        this.source = source;
        ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, ctx.getSelf()));
        timers.startTimerWithFixedDelay(Heartbeat.INSTANCE, settings.heartbeatInterval());
        report(); // FULL at start
    }

    @Override
    public Receive<Message> createReceive() {
        return newReceiveBuilder()
                .onMessageEquals(Heartbeat.INSTANCE, this::onHeartbeat)
                .onMessage(ReportAck.class, m -> this)
                .onMessage(ResendFull.class, this::onResendFull)
                .onMessage(ReportRejected.class, this::onRejected)
                .onMessage(Acquire.class, this::onAcquire)
                .onMessage(AcquireAnswered.class, this::onAcquireAnswered)
                .onMessage(Release.class, m -> {
                    release(m.holder(), m.hash());
                    return this;
                })
                .onMessage(HolderStopped.class, this::onHolderStopped)
                .onMessage(Register.class, m -> {
                    coordinator.tell(new Coordinator.Register(m.registrations(), m.replyTo()));
                    return this;
                })
                .onMessage(PinLocal.class, m -> {
                    nodePins.add(m.hash());
                    return this;
                })
                .onMessage(UnpinLocal.class, m -> {
                    nodePins.remove(m.hash());
                    return this;
                })
                .onMessage(SetLease.class, this::onSetLease)
                .onMessage(LeaseAcquired.class, this::onLeaseAcquired)
                .onMessage(DropLease.class, m -> {
                    dropLease(m.holder());
                    return this;
                })
                .onMessage(LeaseExpired.class, m -> {
                    if (leaseGenerations.getOrDefault(m.holder(), -1L) == m.generation()) {
                        int n = holders.getOrDefault(new LeaseHolder(m.holder()), Map.of()).size();
                        dropLease(m.holder());
                        getContext().getLog().info("lease of holder '{}' expired: {} blob(s) released", m.holder(), n);
                    }
                    return this;
                })
                .onMessage(GetView.class, m -> {
                    Map<String, Integer> leaseSizes = new HashMap<>();
                    for (String name : leaseGenerations.keySet()) {
                        leaseSizes.put(name, holders.getOrDefault(new LeaseHolder(name), Map.of()).size());
                    }
                    m.replyTo().tell(new View(node, incarnation, seq, currentActive(), currentPins(), leaseSizes));
                    return this;
                })
                .build();
    }

    private Behavior<Message> onHeartbeat() {
        report();
        return this;
    }

    private Behavior<Message> onResendFull(ResendFull m) {
        // a request about a report older than our last FULL is answered already
        boolean current = m.incarnation() == Long.MIN_VALUE
                || (m.incarnation() == incarnation && m.seq() > lastFullSeq);
        if (current) {
            getContext().getLog().debug("coordinator asks for a FULL report: {}", m.reason());
            needFull = true;
            report();
        }
        return this;
    }

    private Behavior<Message> onRejected(ReportRejected m) {
        getContext().getLog().warn("coordinator rejected report {} of {}: {}", m.seq(), node, m.reason());
        return this;
    }

    private Behavior<Message> onAcquire(Acquire a) {
        if (held.containsKey(a.hash()) && !pending.containsKey(a.hash())) {
            hold(a.holder(), a.hash()); // this node holds it already, and the coordinator knows
            a.replyTo().tell(new Coordinator.AcquireReply(a.hash(), Coordinator.AcquireResult.ACQUIRED, List.of(),
                    "acquired"));
            return this;
        }
        List<Acquire> waiting = pending.computeIfAbsent(a.hash(), h -> new ArrayList<>());
        waiting.add(a);
        if (waiting.size() == 1) {
            extra.add(a.hash());
            BlobHash h = a.hash();
            getContext().ask(Coordinator.AcquireReply.class, coordinator, settings.acquireTimeout(),
                    replyTo -> new Coordinator.Acquire(node, incarnation, seq, h, replyTo),
                    (reply, failure) -> new AcquireAnswered(h, reply, failure));
        }
        return this;
    }

    private Behavior<Message> onAcquireAnswered(AcquireAnswered m) {
        List<Acquire> waiting = pending.remove(m.hash());
        if (waiting == null) return this;
        Coordinator.AcquireReply reply = m.reply();
        if (reply == null) {
            needFull = true; // the coordinator may or may not have recorded it: resynchronize
            reply = new Coordinator.AcquireReply(m.hash(), Coordinator.AcquireResult.UNAVAILABLE, List.of(),
                    "coordinator did not answer: " + m.failure().getMessage());
        }
        for (Acquire a : waiting) {
            if (reply.result() == Coordinator.AcquireResult.ACQUIRED) hold(a.holder(), a.hash());
            a.replyTo().tell(reply);
        }
        return this;
    }

    private void hold(Object holder, BlobHash hash) {
        Map<BlobHash, Integer> mine = holders.get(holder);
        if (mine == null) {
            mine = new HashMap<>();
            holders.put(holder, mine);
            if (holder instanceof ActorRef<?> ref) getContext().watchWith(ref, new HolderStopped(ref));
        }
        mine.merge(hash, 1, Integer::sum);
        held.merge(hash, 1, Integer::sum);
    }

    private void release(Object holder, BlobHash hash) {
        Map<BlobHash, Integer> mine = holders.get(holder);
        if (mine == null || !mine.containsKey(hash)) return;
        if (mine.merge(hash, -1, Integer::sum) == 0) mine.remove(hash);
        if (held.merge(hash, -1, Integer::sum) == 0) held.remove(hash);
        if (mine.isEmpty()) {
            holders.remove(holder);
            if (holder instanceof ActorRef<?> ref) getContext().unwatch(ref);
        }
    }

    private void releaseAll(Object holder) {
        Map<BlobHash, Integer> mine = holders.remove(holder);
        if (mine == null) return;
        mine.forEach((h, n) -> {
            if (held.merge(h, -n, Integer::sum) <= 0) held.remove(h);
        });
    }

    private Behavior<Message> onHolderStopped(HolderStopped m) {
        releaseAll(m.holder());
        getContext().getLog().debug("holder {} stopped: its blobs are released", m.holder());
        return this;
    }

    private Behavior<Message> onSetLease(SetLease m) {
        LeaseHolder key = new LeaseHolder(m.holder());
        Map<BlobHash, Integer> mine = holders.getOrDefault(key, Map.of());
        for (BlobHash h : List.copyOf(mine.keySet())) {
            if (!m.hashes().contains(h)) release(key, h);
        }
        renewLease(m.holder(), m.pins(), m.ttl());
        List<BlobHash> missing = m.hashes().stream().filter(h -> !holders.getOrDefault(key, Map.of()).containsKey(h))
                .toList();
        if (missing.isEmpty()) {
            onLeaseAcquired(new LeaseAcquired(m, Set.of(), Set.of()));
            return this;
        }
        // the new blobs go through the fence; a collector gathers the answers
        ActorRef<Coordinator.AcquireReply> collector = getContext().spawnAnonymous(
                LeaseCollector.create(missing.size(), getContext().getSelf(), m));
        for (BlobHash h : missing) getContext().getSelf().tell(new Acquire(key, h, collector));
        return this;
    }

    private Behavior<Message> onLeaseAcquired(LeaseAcquired a) {
        SetLease m = a.request();
        Set<BlobHash> held = Set.copyOf(holders.getOrDefault(new LeaseHolder(m.holder()), Map.of()).keySet());
        m.replyTo().tell(new LeaseReply(m.holder(), held, a.gone(), a.unavailable()));
        return this;
    }

    private void renewLease(String holder, Set<BlobHash> pins, Duration ttl) {
        long generation = ++leaseGeneration;
        leaseGenerations.put(holder, generation);
        leasePins.put(holder, Set.copyOf(pins));
        timers.startSingleTimer("lease-" + holder, new LeaseExpired(holder, generation), ttl);
    }

    private void dropLease(String holder) {
        releaseAll(new LeaseHolder(holder));
        leasePins.remove(holder);
        leaseGenerations.remove(holder);
        timers.cancel("lease-" + holder);
    }

    /** Gathers the acquire answers for the new blobs of one lease, then tells the reporter. */
    private static final class LeaseCollector {
        static Behavior<Coordinator.AcquireReply> create(int expected, ActorRef<Message> reporter, SetLease request) {
            Set<BlobHash> gone = new HashSet<>(), unavailable = new HashSet<>();
            int[] left = {expected};
            return Behaviors.receive((ctx, reply) -> {
                if (reply.result() == Coordinator.AcquireResult.GONE) gone.add(reply.hash());
                else if (reply.result() != Coordinator.AcquireResult.ACQUIRED) unavailable.add(reply.hash());
                if (--left[0] > 0) return Behaviors.same();
                reporter.tell(new LeaseAcquired(request, Set.copyOf(gone), Set.copyOf(unavailable)));
                return Behaviors.stopped();
            });
        }
    }

    // ---- reports

    private Set<BlobHash> currentActive() {
        Set<BlobHash> active = new HashSet<>(held.keySet());
        active.addAll(pending.keySet()); // asked for: reported from now on, so no later report can drop it
        active.addAll(sampledActive);
        return active;
    }

    private Set<BlobHash> currentPins() {
        Set<BlobHash> pins = new HashSet<>(nodePins);
        for (Set<BlobHash> p : leasePins.values()) pins.addAll(p);
        pins.addAll(sampledPins);
        return pins;
    }

    private void report() {
        if (source != null) {
            try {
                sampledActive = Set.copyOf(source.activeBlobs());
                sampledPins = Set.copyOf(source.pinnedBlobs());
            } catch (RuntimeException e) {
                getContext().getLog().warn("active-set source failed, keeping its last sample: {}", e.toString());
            }
        }
        Set<BlobHash> active = currentActive();
        Set<BlobHash> pins = currentPins();
        if (needFull) sendFull(active, pins);
        else sendDelta(active, pins);
        lastSentActive = active;
        lastSentPins = pins;
        extra.clear();
    }

    private void sendFull(Set<BlobHash> active, Set<BlobHash> pins) {
        needFull = false;
        seq++;
        lastFullSeq = seq;
        int max = settings.maxReportChunk();
        List<BlobHash> a = new ArrayList<>(active);
        List<BlobHash> p = new ArrayList<>(pins);
        int total = a.size() + p.size();
        int chunks = Math.max(1, (total + max - 1) / max);
        for (int c = 0; c < chunks; c++) {
            int from = c * max, to = Math.min(total, from + max);
            List<BlobHash> ca = a.subList(Math.min(from, a.size()), Math.min(to, a.size()));
            List<BlobHash> cp = p.subList(Math.max(0, from - a.size()), Math.max(0, to - a.size()));
            send(new NodeReport(node, incarnation, seq, NodeReport.Kind.FULL, List.copyOf(ca), List.of(),
                    List.copyOf(cp), List.of(), c, chunks));
        }
    }

    private void sendDelta(Set<BlobHash> active, Set<BlobHash> pins) {
        List<BlobHash> added = new ArrayList<>(), removed = new ArrayList<>();
        for (BlobHash h : active) if (!lastSentActive.contains(h)) added.add(h);
        for (BlobHash h : lastSentActive) if (!active.contains(h)) removed.add(h);
        for (BlobHash h : extra) if (!active.contains(h) && !lastSentActive.contains(h)) removed.add(h);
        List<BlobHash> pinsAdded = new ArrayList<>(), pinsRemoved = new ArrayList<>();
        for (BlobHash h : pins) if (!lastSentPins.contains(h)) pinsAdded.add(h);
        for (BlobHash h : lastSentPins) if (!pins.contains(h)) pinsRemoved.add(h);
        if (added.size() + removed.size() + pinsAdded.size() + pinsRemoved.size() > settings.maxReportChunk()) {
            sendFull(active, pins); // too large for one message: a FULL report is chunked
            return;
        }
        seq++;
        send(NodeReport.delta(node, incarnation, seq, added, removed, pinsAdded, pinsRemoved));
    }

    private void send(NodeReport r) {
        String silence = settings.testSilenceReporterFile();
        if (!silence.isEmpty() && java.nio.file.Files.exists(java.nio.file.Path.of(silence))) return; // test hook
        coordinator.tell(new Coordinator.Report(r, getContext().getSelf()));
    }
}
