package io.blobgc.node;

import io.blobgc.BlobHash;
import io.blobgc.ledger.NodeReport;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every decision of a node's reporter, in plain Java: what this node holds and pins, which acquires wait for the
 * coordinator's fence, and what the next report says. No actors, no I/O, no clock: {@link NodeReporter} (or a
 * deterministic simulation) calls one method per event it receives and carries out the {@link Output}s returned,
 * in order.
 *
 * <p>Holders and reply targets are opaque: an {@code ActorRef} in the actor, anything (a String) in a test. A holder
 * that is a {@link LeaseHolder} belongs to a lease; any other holder is watched ({@link Watch}) and released by
 * {@link #holderStopped} when it stops.
 *
 * <p>Every blob this node starts to hold — a frame's acquire, a node pin, a lease's hashes and pins — goes through
 * the acquire fence (S6) before it is held: the core asks ({@link AskAcquire}), reports the blob as active while the
 * answer is pending (so no report can drop what the coordinator may have recorded), and holds or pins it only on
 * {@code ACQUIRED}. A blob this node holds or pins already, with no ask pending, needs no round trip: the
 * coordinator has it in this node's view.
 */
public final class ReporterCore {

    // ---- values shared with callers

    /** A holder outside this JVM, known by name, whose holds last as long as its lease. */
    public record LeaseHolder(String name) {
    }

    /**
     * @param held   the lease's blobs now held
     * @param pinned the lease's pins now in force
     * @param gone   hashes and pins left out: GONE (see AcquireResult)
     * @param unavailable hashes and pins left out: REFUSED or UNAVAILABLE
     */
    public record LeaseReply(String holder, Set<BlobHash> held, Set<BlobHash> pinned, Set<BlobHash> gone,
                             Set<BlobHash> unavailable) {
    }

    /** What this reporter currently reports. */
    public record View(String node, long incarnation, long seq, Set<BlobHash> active, Set<BlobHash> pins,
                       Map<String, Integer> leases) {
    }

    // ---- outputs: what the caller must do, in order

    public sealed interface Output {
    }

    /** Send this report (one chunk of a FULL, or a DELTA) to the coordinator. */
    public record SendReport(NodeReport report) implements Output {
    }

    /**
     * Ask the coordinator's fence: {@code ReporterProtocol.Acquire(node(), incarnation(), afterSeq, hash, …)}; give
     * the answer to {@link #acquireAnswered}, or a time-out to {@link #acquireFailed}, with this {@code ask}.
     */
    public record AskAcquire(long ask, BlobHash hash, long afterSeq) implements Output {
    }

    /** Answer a caller of {@link #acquire} or {@link #pin}. */
    public record ReplyAcquire(Object replyTo, AcquireReply reply) implements Output {
    }

    /** Answer a caller of {@link #setLease}. */
    public record ReplyLease(Object replyTo, LeaseReply reply) implements Output {
    }

    /** {@code holder} holds blobs now: call {@link #holderStopped} when it stops. */
    public record Watch(Object holder) implements Output {
    }

    /** {@code holder} holds nothing any more: stop watching it. */
    public record Unwatch(Object holder) implements Output {
    }

    /** (Re)start the lease timer of {@code holder}: after {@code ttl}, call {@link #leaseExpired} with this generation. */
    public record StartLeaseTimer(String holder, long generation, Duration ttl) implements Output {
    }

    public record CancelLeaseTimer(String holder) implements Output {
    }

    /** The lease of {@code holder} expired: {@code released} blobs are no longer held by it. */
    public record LeaseExpired(String holder, int released) implements Output {
    }

    // ---- state

    private final String node;
    private final long incarnation;

    private final Holds holds = new Holds();
    /** Blobs asked of the fence, answer pending: the ask's id and who waits for it. */
    private final Map<BlobHash, PendingAcquire> pending = new LinkedHashMap<>();
    private final Map<Long, BlobHash> asks = new HashMap<>();
    private long lastAsk;
    private final Set<BlobHash> nodePins = new LinkedHashSet<>();
    private final Map<String, Lease> leases = new HashMap<>();
    private long leaseGeneration;
    private Set<BlobHash> sampledActive = Set.of();
    private Set<BlobHash> sampledPins = Set.of();
    private final Reports reports;

    private record PendingAcquire(long ask, List<Waiter> waiters) {
    }

    /** Who waits for a fence answer, and what an ACQUIRED does for it. */
    private sealed interface Waiter {
    }

    /** A frame (or a lease's hash, through {@link LeaseHolder}) that will hold the blob. */
    private record HolderWaiter(Object holder, Object replyTo) implements Waiter {
    }

    /** A node pin: pinned when ACQUIRED, unless {@link #unpin} came meanwhile ({@code cancelled}). */
    private record NodePinWaiter(Object replyTo, boolean cancelled) implements Waiter {
    }

    private static final class Lease {
        /** Tells renewals apart: an answer for an older request of this lease does not change it. */
        long generation;
        /** The pins that went through the fence. */
        final Set<BlobHash> pins = new LinkedHashSet<>();
    }

    /** One {@link #setLease} waiting for the fence answers of its new blobs. */
    private static final class LeaseRequest {
        final String holder;
        final long generation;
        final Object replyTo;
        int outstanding;
        final Set<BlobHash> gone = new LinkedHashSet<>(), unavailable = new LinkedHashSet<>();

        LeaseRequest(String holder, long generation, Object replyTo) {
            this.holder = holder;
            this.generation = generation;
            this.replyTo = replyTo;
        }
    }

    /** A lease's new hash ({@code pin} false) or pin: held or pinned by the lease when ACQUIRED, if still current. */
    private record LeaseWaiter(LeaseRequest request, boolean pin) implements Waiter {
    }

    /**
     * @param incarnation    tells this reporter apart from an earlier one of the same node (the actor uses its start
     *                       time in epoch millis)
     * @param maxReportChunk the most hashes in one report; a FULL report above it is sent in chunks
     */
    public ReporterCore(String node, long incarnation, int maxReportChunk) {
        if (maxReportChunk < 1) throw new IllegalArgumentException("maxReportChunk must be >= 1");
        this.node = node;
        this.incarnation = incarnation;
        this.reports = new Reports(node, incarnation, maxReportChunk);
    }

    public String node() {
        return node;
    }

    public long incarnation() {
        return incarnation;
    }

    /** The seq of the last report sent (0 before the first). */
    public long seq() {
        return reports.seq();
    }

    // ---- holds

    /** {@code holder} starts to use {@code hash}; {@code replyTo} gets the fence's answer. */
    public List<Output> acquire(Object holder, BlobHash hash, Object replyTo) {
        List<Output> out = new ArrayList<>();
        if (fencedAlready(hash)) {
            holds.hold(holder, hash, out);
            out.add(new ReplyAcquire(replyTo, acquired(hash)));
            return out;
        }
        await(hash, new HolderWaiter(holder, replyTo), out);
        return out;
    }

    /** The fence answered ask {@code ask}; an answer to an ask that is no longer pending is ignored. */
    public List<Output> acquireAnswered(long ask, AcquireReply reply) {
        BlobHash hash = asks.remove(ask);
        if (hash == null) return List.of();
        PendingAcquire p = pending.remove(hash);
        List<Output> out = new ArrayList<>();
        for (Waiter w : p.waiters()) answer(w, hash, reply, out);
        return out;
    }

    /**
     * Ask {@code ask} got no answer in time: its waiters are told UNAVAILABLE, and since the coordinator may or may
     * not have recorded the blob, the next report is a FULL one.
     */
    public List<Output> acquireFailed(long ask, String why) {
        BlobHash hash = asks.get(ask);
        if (hash == null) return List.of();
        reports.needFull();
        return acquireAnswered(ask, new AcquireReply(hash, AcquireResult.UNAVAILABLE, List.of(),
                "coordinator did not answer: " + why));
    }

    public List<Output> release(Object holder, BlobHash hash) {
        List<Output> out = new ArrayList<>();
        holds.release(holder, hash, out);
        return out;
    }

    /** A watched holder stopped: everything it held is released. */
    public List<Output> holderStopped(Object holder) {
        holds.releaseAll(holder);
        return List.of();
    }

    // ---- node pins

    /** The node pins {@code hash} once the fence says ACQUIRED; {@code replyTo} gets the fence's answer. */
    public List<Output> pin(BlobHash hash, Object replyTo) {
        List<Output> out = new ArrayList<>();
        if (fencedAlready(hash)) {
            nodePins.add(hash);
            out.add(new ReplyAcquire(replyTo, acquired(hash)));
            return out;
        }
        await(hash, new NodePinWaiter(replyTo, false), out);
        return out;
    }

    /** Drops the node pin on {@code hash}, and one still waiting for the fence. */
    public List<Output> unpin(BlobHash hash) {
        nodePins.remove(hash);
        PendingAcquire p = pending.get(hash);
        if (p != null) {
            p.waiters().replaceAll(w -> w instanceof NodePinWaiter n ? new NodePinWaiter(n.replyTo(), true) : w);
        }
        return List.of();
    }

    // ---- leases

    /**
     * Sets the lease of a holder outside the JVM to {@code hashes} and {@code pins}; it lasts {@code ttl} unless
     * renewed. Hashes and pins new to the lease go through the fence; those refused are left out and listed in the
     * {@link LeaseReply} sent to {@code replyTo} once every answer is in.
     */
    public List<Output> setLease(String holder, Set<BlobHash> hashes, Set<BlobHash> pins, Duration ttl,
                                 Object replyTo) {
        List<Output> out = new ArrayList<>();
        LeaseHolder key = new LeaseHolder(holder);
        for (BlobHash h : List.copyOf(holds.of(key).keySet())) {
            if (!hashes.contains(h)) holds.release(key, h, out);
        }
        Lease lease = leases.computeIfAbsent(holder, k -> new Lease());
        lease.generation = ++leaseGeneration;
        lease.pins.retainAll(pins);
        out.add(new StartLeaseTimer(holder, lease.generation, ttl));
        LeaseRequest request = new LeaseRequest(holder, lease.generation, replyTo);
        for (BlobHash h : hashes) {
            if (holds.of(key).containsKey(h)) continue;
            if (fencedAlready(h)) {
                holds.hold(key, h, out);
                continue;
            }
            request.outstanding++;
            await(h, new LeaseWaiter(request, false), out);
        }
        for (BlobHash h : pins) {
            if (lease.pins.contains(h)) continue;
            if (fencedAlready(h)) {
                lease.pins.add(h);
                continue;
            }
            request.outstanding++;
            await(h, new LeaseWaiter(request, true), out);
        }
        if (request.outstanding == 0) out.add(leaseReply(request));
        return out;
    }

    public List<Output> dropLease(String holder) {
        leases.remove(holder);
        holds.releaseAll(new LeaseHolder(holder));
        return List.of(new CancelLeaseTimer(holder));
    }

    /** The timer of {@link StartLeaseTimer} fired: the lease ends unless it was renewed or dropped since. */
    public List<Output> leaseExpired(String holder, long generation) {
        Lease lease = leases.get(holder);
        if (lease == null || lease.generation != generation) return List.of();
        int released = holds.of(new LeaseHolder(holder)).size();
        leases.remove(holder);
        holds.releaseAll(new LeaseHolder(holder));
        return List.of(new LeaseExpired(holder, released));
    }

    // ---- reports

    /** A FULL report went out on a request about "whatever you sent" since the last heartbeat. */
    private boolean fullOnRequestThisBeat;

    /**
     * The latest sample of an {@code ActiveSetSource}: reported from the next report on. Sampled blobs do not go
     * through the fence (the source's documentation says so).
     */
    public void sampled(Set<BlobHash> active, Set<BlobHash> pins) {
        sampledActive = Set.copyOf(active);
        sampledPins = Set.copyOf(pins);
    }

    /**
     * The coordinator asks for a FULL report about {@code (incarnation, seq)}; {@code Long.MIN_VALUE} for both means
     * "whatever you sent". A request about a report older than our last FULL is answered already: nothing to do.
     */
    public List<Output> resendFull(long incarnation, long seq) {
        if (!reports.fullStillWanted(incarnation, seq)) return List.of();
        reports.needFull();
        if (incarnation == Long.MIN_VALUE) {
            // a new coordinator instance asks so — P partition entities starting together, each: one FULL at once,
            // the others' by the next heartbeat (it is due), not P FULLs to every partition
            if (fullOnRequestThisBeat) return List.of();
            fullOnRequestThisBeat = true;
        }
        return send();
    }

    /** Heartbeat (and start): a FULL report when one is due, else a DELTA (an empty one is the heartbeat). */
    public List<Output> report() {
        fullOnRequestThisBeat = false;
        return send();
    }

    private List<Output> send() {
        List<Output> out = new ArrayList<>();
        reports.send(currentActive(), currentPins(), out);
        return out;
    }

    public View view() {
        Map<String, Integer> leaseSizes = new HashMap<>();
        for (String name : leases.keySet()) {
            leaseSizes.put(name, holds.of(new LeaseHolder(name)).size());
        }
        return new View(node, incarnation, reports.seq(), currentActive(), currentPins(), leaseSizes);
    }

    // ---- internals

    /**
     * Whether this node holds or pins {@code hash} through the fence already, with no ask pending: the coordinator
     * has it in this node's view, so one more holder or pin needs no round trip.
     */
    private boolean fencedAlready(BlobHash hash) {
        if (pending.containsKey(hash)) return false;
        if (holds.isHeld(hash) || nodePins.contains(hash)) return true;
        for (Lease l : leases.values()) if (l.pins.contains(hash)) return true;
        return false;
    }

    private static AcquireReply acquired(BlobHash hash) {
        return new AcquireReply(hash, AcquireResult.ACQUIRED, List.of(), "acquired");
    }

    /** Adds a waiter for {@code hash}; the first one asks the fence. */
    private void await(BlobHash hash, Waiter waiter, List<Output> out) {
        PendingAcquire p = pending.get(hash);
        if (p == null) {
            p = new PendingAcquire(++lastAsk, new ArrayList<>());
            pending.put(hash, p);
            asks.put(p.ask(), hash);
            reports.asked(hash);
            out.add(new AskAcquire(p.ask(), hash, reports.seq()));
        }
        p.waiters().add(waiter);
    }

    private void answer(Waiter w, BlobHash hash, AcquireReply reply, List<Output> out) {
        boolean acquired = reply.result() == AcquireResult.ACQUIRED;
        if (w instanceof HolderWaiter f) {
            if (acquired) holds.hold(f.holder(), hash, out);
            out.add(new ReplyAcquire(f.replyTo(), reply));
        } else if (w instanceof NodePinWaiter n) {
            if (acquired && !n.cancelled()) nodePins.add(hash);
            out.add(new ReplyAcquire(n.replyTo(), reply));
        } else if (w instanceof LeaseWaiter l) {
            LeaseRequest r = l.request();
            Lease lease = leases.get(r.holder);
            boolean current = lease != null && lease.generation == r.generation; // not renewed nor dropped since
            if (acquired) {
                if (current && l.pin()) lease.pins.add(hash);
                else if (current) holds.hold(new LeaseHolder(r.holder), hash, out);
            } else if (reply.result() == AcquireResult.GONE) r.gone.add(hash);
            else r.unavailable.add(hash);
            if (--r.outstanding == 0) out.add(leaseReply(r));
        }
    }

    private ReplyLease leaseReply(LeaseRequest r) {
        Set<BlobHash> leaseHeld = Set.copyOf(holds.of(new LeaseHolder(r.holder)).keySet());
        Lease lease = leases.get(r.holder);
        Set<BlobHash> leasePins = lease == null ? Set.of() : Set.copyOf(lease.pins);
        return new ReplyLease(r.replyTo, new LeaseReply(r.holder, leaseHeld, leasePins, Set.copyOf(r.gone),
                Set.copyOf(r.unavailable)));
    }

    private Set<BlobHash> currentActive() {
        Set<BlobHash> active = new HashSet<>(holds.heldBlobs());
        active.addAll(pending.keySet()); // asked for: reported from now on, so no later report can drop it
        active.addAll(sampledActive);
        return active;
    }

    private Set<BlobHash> currentPins() {
        Set<BlobHash> pins = new HashSet<>(nodePins);
        for (Lease l : leases.values()) pins.addAll(l.pins);
        pins.addAll(sampledPins);
        return pins;
    }
}
