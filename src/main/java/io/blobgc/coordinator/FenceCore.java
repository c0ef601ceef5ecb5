package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator.Protect;
import io.blobgc.coordinator.Coordinator.Protected;
import io.blobgc.coordinator.LinksCore.Level;
import io.blobgc.coordinator.LinksCore.Log;
import io.blobgc.ledger.AcquireOutcome;
import io.blobgc.ledger.FenceWalk;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.PartitionedLedger.FenceStart;
import io.blobgc.ledger.PartitionedLedger.Reservation;
import io.blobgc.ledger.ProtectOutcome;
import io.blobgc.ledger.Refusal;
import io.blobgc.ledger.Registration;
import io.blobgc.ledger.ReportOutcome;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import io.blobgc.protocol.ReporterProtocol.Registered;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * A linked partition entity's decisions on the fence across partitions (partitions.md §2; {@link PartitionFences} is
 * the actor's glue that calls it and carries its {@link LinkOut} out), in plain Java: no Pekko, no I/O, no clock (time
 * is an argument). The ledger is changed in place while deciding, as the actor did (a sticky is soft state).
 * <ul>
 *   <li>An acquire of a blob whose closure reaches other partitions ({@link #acquire}): the owner answers GONE for a
 *       gone blob in its own part of the closure, persists the use of its blobs waiting out their grace, records the
 *       acquire, then walks: every remote callee below the blob is recorded in its owner, hop by hop, in the view of
 *       the partition whose exports will list it ({@link Protect}, {@link Protected}), each owner persisting the use
 *       of its own blobs in grace before it answers ({@link #protect}). ACQUIRED only once every hop answered
 *       recorded; GONE naming the whole gone closure across partitions ({@link LinkOut.NameGone}); UNAVAILABLE when
 *       the walk did not end within half the acquire timeout (the reporter tries again).</li>
 *   <li>An operator's pin ({@link #pin}): its remote callees reserved and walked, and the pin written only once every
 *       hop is recorded ({@link #pinFenced}, after a hop through the entity's mailbox); nothing written when a hop is
 *       gone or the walk gives up.</li>
 *   <li>A registration's walks ({@link #registrationWalks}): one per accepted caller that reaches another partition,
 *       counted by a saga that, once every walk ended, sends the entity {@link RegistrationFenced}.</li>
 *   <li>The holds a node's report adds ({@link #reportApplied}): walked, never given up; a FULL is said fenced
 *       ({@link PartitionedLedger#fullFenced}) once its walk is done.</li>
 *   <li>Asks are sent again every eighth of the acquire timeout until answered ({@link #tick}); a duplicate ask is
 *       recorded again (the sticky keeps the latest), a duplicate or late answer changes nothing (the walk matches
 *       answers to asks).</li>
 * </ul>
 * What a walk does when it ends is data ({@link Purpose}), not a callback, so the simulation can drive the same core.
 * Walks are soft state: a restart forgets them ({@link #recovered}), and the caller, unanswered, asks again. An answer
 * goes to the asking partition by its number, so a walk of an earlier instance of that partition is answered to nobody
 * (walk ids start where the glue says: at random per instance).
 *
 * <p>Anything that must follow a write goes in the reply function of the {@link CoordinatorCore.Decision}, which runs
 * once the events are applied: so an answer is never sent before the use it reports is written.
 *
 * @param <T> the reply token of the caller a decision answers (see {@link LinkOut})
 */
public final class FenceCore<T> {
    /** What {@link #start} gives for a walk done at once. */
    static final long NO_WALK = Long.MIN_VALUE;

    private final EntityLink link;
    /** How long an acquire's, a pin's or a registration's walk may take (half the acquire timeout), and the resend. */
    private final long deadlineMs, resendMs;
    private final Map<Long, Walk<T>> walks = new LinkedHashMap<>();
    /** Each node's report walk in flight, by node. */
    private final Map<String, ReportWalk> reportWalks = new LinkedHashMap<>();
    /** Each registration whose walks are not all ended, by saga id. */
    private final Map<Long, Saga<T>> sagas = new LinkedHashMap<>();
    private long nextWalk, nextSaga;

    /** What a walk does when it ends (done, or given up at its deadline). */
    public sealed interface Purpose<T> {
    }

    /** An acquire of {@code hash}: answered to {@code replyTo}. */
    public record ForAcquire<T>(BlobHash hash, T replyTo) implements Purpose<T> {
    }

    /** An operator's pin: the entity sends itself {@link PinFenced}. */
    public record ForPin<T>(PinRequest<T> pin, Reservation reserved) implements Purpose<T> {
    }

    /** One caller of a registration's saga. */
    public record ForRegistration<T>(long saga, BlobHash caller) implements Purpose<T> {
    }

    /** The holds of {@code node}'s reports; {@code full}, the FULL said fenced at the end, or null. */
    public record ForReport<T>(String node, FullSeq full) implements Purpose<T> {
    }

    /** A node's FULL report: its incarnation and sequence number. */
    public record FullSeq(long incarnation, long seq) {
    }

    /** An operator's pin as asked. */
    public record PinRequest<T>(BlobHash hash, String owner, String reason, Long ttlMs, T replyTo) {
    }

    /**
     * What the entity sends itself, through its mailbox (other commands may come between): the second half of a pin or
     * a registration. The glue carries it in a command of its own, typed (its reply token an {@code ActorRef}: a
     * command must survive its serializer, review 32).
     */
    public sealed interface SelfMessage<T> permits PinFenced, RegistrationFenced {
    }

    /** A pin's walk ended: {@code refusal} null when every remote callee was recorded. */
    public record PinFenced<T>(PinRequest<T> pin, Reservation reserved, Refusal refusal) implements SelfMessage<T> {
    }

    /**
     * A registration's walks, all ended: its batch, its first decision's answer, its reservations, the callers whose
     * walk found a callee gone or gave up ({@code fallen}), those that gave up ({@code retry}), and the gone blobs the
     * walks met ({@code goneCallees}).
     */
    public record RegistrationFenced<T>(T replyTo, List<Registration> registrations, Registered first,
                                        List<Reservation> reservations, Set<BlobHash> fallen, Set<BlobHash> retry,
                                        Set<BlobHash> goneCallees) implements SelfMessage<T> {

        /** The same, naming {@code named} (a gone closure listed from its top down) the deepest first. */
        RegistrationFenced<T> naming(List<BlobHash> named) {
            List<BlobHash> deepestFirst = new ArrayList<>(named);
            java.util.Collections.reverse(deepestFirst);
            return new RegistrationFenced<>(replyTo, registrations, first, reservations, fallen, retry,
                    new LinkedHashSet<>(deepestFirst));
        }
    }

    private record Walk<T>(FenceWalk walk, boolean used, long deadline, Purpose<T> purpose) {
    }

    /** A node's report walk: its id, its roots, and the FULL it fences, or null. */
    private record ReportWalk(long id, Set<BlobHash> roots, FullSeq full) {
    }

    /** A registration's walks still open, and what they found so far. */
    private static final class Saga<T> {
        final T replyTo;
        final List<Registration> registrations;
        final Registered first;
        final List<Reservation> reservations;
        final Set<BlobHash> fallen = new LinkedHashSet<>(), retry = new LinkedHashSet<>(), gone = new LinkedHashSet<>();
        /** Its walks' deadline (monotonic): the registration is answered by then, its gone names too. */
        final long deadline;
        int open;

        Saga(T replyTo, List<Registration> registrations, Registered first, List<Reservation> reservations,
             long deadline) {
            this.deadline = deadline;
            this.replyTo = replyTo;
            this.registrations = registrations;
            this.first = first;
            this.reservations = reservations;
            this.open = reservations.size();
        }

        RegistrationFenced<T> fenced() {
            return new RegistrationFenced<>(replyTo, registrations, first, reservations,
                    new LinkedHashSet<>(fallen), new LinkedHashSet<>(retry), new LinkedHashSet<>(gone));
        }
    }

    /**
     * @param link             the entity (an isolated one, or the whole, fences nothing)
     * @param acquireTimeoutMs the acquire timeout: a walk is given up after half of it, its asks sent again every eighth
     * @param firstWalkId      the first walk id (the glue draws it at random per instance)
     */
    public FenceCore(EntityLink link, long acquireTimeoutMs, long firstWalkId) {
        this.link = link;
        // any timeout the settings take, even under a millisecond (review 32: one under 8 ms stopped every start)
        this.deadlineMs = Math.max(1, acquireTimeoutMs / 2);
        this.resendMs = Math.max(1, acquireTimeoutMs / 8);
        this.nextWalk = firstWalkId;
    }

    /** Whether the entity views the other partitions (else it walks nothing). */
    public boolean linked() {
        return link.linked();
    }

    /** How often the glue sends {@code FenceTick} ({@link #tick}), in millis. */
    public long resendEveryMs() {
        return resendMs;
    }

    /** A recovery: the walks of the instance before are forgotten (their callers, unanswered, ask again). */
    public void recovered() {
        walks.clear();
        reportWalks.clear();
        sagas.clear();
    }

    /** The walks in flight (a test's view). */
    int walksInFlight() {
        return walks.size();
    }

    // ------------------------------------------------------------------------------------------------ acquire

    /**
     * The acquire fence of a linked entity (see the class comment); the acquires {@link CoordinatorCore#acquire}
     * answers as for any ledger (bad input, another partition's hash, a closure that stays in this partition) go there.
     */
    public CoordinatorCore.Decision<LinkOut<T>> acquire(PartitionedLedger l, CoordinatorCore core, String node,
                                                        long incarnation, long afterSeq, BlobHash hash, T replyTo,
                                                        long now, long localNow) {
        if (!link.linked() || node == null || PartitionedLedger.isPartitionReporter(node) || hash == null
                || !l.ownsHash(hash) || l.remoteCalleesBelow(hash).isEmpty()) {
            var d = core.acquire(l, node, incarnation, afterSeq, hash, now, localNow);
            return new CoordinatorCore.Decision<>(d.events(), st -> LinkOut.answer(replyTo, d.reply().apply(st)));
        }
        boolean removed = l.isNodeRemoved(node);
        List<BlobHash> gone = l.goneToUploadAgain(hash);
        if (!removed && l.status(hash).isPresent() && !gone.isEmpty()) {
            LinkOut<T> named = new LinkOut.Builder<T>().name(acquiredGone(l, hash, gone, replyTo)).build();
            return new CoordinatorCore.Decision<>(List.of(), st -> named);
        }
        // a use of a blob waiting out its grace is persisted first (S3), each owner its own: this one here, the
        // others' as they answer the walk's asks (used)
        List<BlobHash> waiting = removed ? List.of() : l.localWaitingOutGrace(List.of(hash));
        List<Coordinator.Event> events = waiting.isEmpty() ? List.of()
                : List.of(new Coordinator.BlobsUsed(waiting, now));
        return new CoordinatorCore.Decision<>(events, st -> {
            LinkOut.Builder<T> out = new LinkOut.Builder<>();
            AcquireOutcome local = st.acquireLocally(node, incarnation, afterSeq, hash, localNow);
            if (local == AcquireOutcome.GONE) {
                out.name(acquiredGone(st, hash, st.goneToUploadAgain(hash), replyTo));
            } else if (local != AcquireOutcome.ACQUIRED) {
                out.answer(replyTo, CoordinatorCore.acquireReply(node, hash, local, List::of));
            } else {
                start(st, st.fenceStarts(List.of(hash), localNow), true, localNow + deadlineMs,
                        new ForAcquire<>(hash, replyTo), out);
            }
            return out.build();
        });
    }

    /** An acquire of {@code hash} answered GONE once the gone closures below {@code known} here are named. */
    private static <T> LinkOut.NameGone<T> acquiredGone(PartitionedLedger l, BlobHash hash, List<BlobHash> known,
                                                        T replyTo) {
        return LinkOut.NameGone.acquire(hash, known, l.goneBelow(List.of(hash)).below(), replyTo);
    }

    /**
     * The answer once the walk is done and nothing was gone: every hop recorded, or what was asked stale.
     */
    private static AcquireReply walkReply(BlobHash hash, FenceWalk walk) {
        if (!walk.stale().isEmpty()) {
            return new AcquireReply(hash, AcquireResult.REFUSED, List.of(),
                    "a stale acquire: a partition reported since without " + walk.stale() + ": retry");
        }
        return new AcquireReply(hash, AcquireResult.ACQUIRED, List.of(), "acquired");
    }

    // ------------------------------------------------------------------------------------------------ pins

    /**
     * An operator's pin of a linked entity (see {@link CoordinatorCore#pin} for the whole): refused as the whole
     * refuses it — bad input, the blob or a blob of its closure here being deleted or collected — else the remote
     * callees below it are reserved while deciding (this partition's exports list them meanwhile: partitions.md §3,
     * the race of a registration) and recorded in their owners by a walk; nothing is written here: the pin is, by
     * {@link #pinFenced}, once the walk ended (review of S1.6: a pin written first and taken back could take back a
     * later pin's, or stay over a gone callee when a restart forgot its walk).
     */
    public CoordinatorCore.Decision<LinkOut<T>> pin(PartitionedLedger l, CoordinatorCore core, PinRequest<T> c,
                                                    long now, long localNow) {
        if (!link.linked() || CoordinatorCore.pinRequestRefusal(l, c.hash(), c.owner(), c.ttlMs()).isPresent()
                || l.remoteCalleesBelow(c.hash()).isEmpty()) {
            var d = core.pin(l, c.hash(), c.owner(), c.reason(), c.ttlMs(), now);
            return new CoordinatorCore.Decision<>(d.events(), st -> LinkOut.answer(c.replyTo(), d.reply().apply(st)));
        }
        // refused here before anything is reserved: a reservation, even released at once, leaves its callees asked,
        // and the next export would carry their removal — a refused pin changes nothing sent (review 30)
        Optional<Refusal> local = localPinRefusal(l, c.hash(), localNow);
        if (local.isPresent()) {
            LinkOut<T> refused = LinkOut.answer(c.replyTo(), new Coordinator.OpResult(local.get()));
            return new CoordinatorCore.Decision<>(List.of(), st -> refused);
        }
        Reservation reserved = l.reserveBelow(List.of(c.hash()), localNow);
        LinkOut.Builder<T> out = new LinkOut.Builder<>();
        start(l, reserved.starts(), false, localNow + deadlineMs, new ForPin<>(c, reserved), out);
        LinkOut<T> walking = out.build();
        return new CoordinatorCore.Decision<>(List.of(), st -> walking);
    }

    /**
     * A pin's walk ended ({@link PinFenced}, through the mailbox): the pin written (its blob checked again: the walk
     * took time), then the reservation released and the answer given; or, refused, nothing written, the reservation
     * released and the refusal answered. The pin's event is built here only: nothing is written before its walk.
     */
    public CoordinatorCore.Decision<LinkOut<T>> pinFenced(PartitionedLedger l, PinFenced<T> m, long now,
                                                          long localNow) {
        PinRequest<T> c = m.pin();
        Optional<Refusal> refusal = Optional.ofNullable(m.refusal()).or(() -> localPinRefusal(l, c.hash(), localNow));
        if (refusal.isPresent()) {
            return new CoordinatorCore.Decision<>(List.of(), st -> {
                st.release(m.reserved());
                return LinkOut.answer(c.replyTo(), new Coordinator.OpResult(refusal.get()));
            });
        }
        return new CoordinatorCore.Decision<>(List.of(CoordinatorCore.pinned(c.hash(), c.owner(), c.reason(),
                c.ttlMs(), now)), st -> {
            st.release(m.reserved());
            return LinkOut.answer(c.replyTo(), Coordinator.OpResult.OK);
        });
    }

    /** Why this partition refuses a pin of {@code hash} itself: its blob, or a blob of its closure here, is gone. */
    private static Optional<Refusal> localPinRefusal(PartitionedLedger l, BlobHash hash, long localNow) {
        return l.checkPinLocally(hash, localNow).or(() -> {
            List<BlobHash> gone = l.localGoneInClosure(hash, true);
            return gone.isEmpty() ? Optional.empty() : Optional.of(Refusal.goneCallees(hash, gone));
        });
    }

    // ------------------------------------------------------------------------------------------------ registrations

    /**
     * A registration's walks ({@link LinkedRegistrationCore}): one per caller of {@code callers}, from its reservation
     * (same index), a use when {@code used} says its caller is in use. Once all ended — at once when none asks anything
     * — the entity is sent {@link RegistrationFenced} with what they found.
     */
    void registrationWalks(PartitionedLedger l, T replyTo, List<Registration> registrations, Registered first,
                           List<BlobHash> callers, List<Reservation> reservations, List<Boolean> used, long localNow,
                           LinkOut.Builder<T> out) {
        long id = nextSaga++;
        sagas.put(id, new Saga<>(replyTo, registrations, first, reservations, localNow + deadlineMs));
        for (int i = 0; i < callers.size(); i++) {
            start(l, reservations.get(i).starts(), used.get(i), localNow + deadlineMs,
                    new ForRegistration<>(id, callers.get(i)), out);
        }
    }

    // ------------------------------------------------------------------------------------------------ reports

    /**
     * A node's report applied to this entity's share, with {@code outcome}: the holds it adds are fenced as an
     * acquire's are (partitions.md §2; {@link PartitionedLedger#reportedHolds}), by a walk that never gives up — a node
     * may hold a blob it did not acquire from this instance (back from a policy drop, or after a recovery) — and a FULL
     * is said fenced once its walk is done (the cut of partitions-part2-plan §8: until every live partition fenced a
     * node's last FULL, no partition confirms anything absent with that node's view). An isolated entity views no
     * other partition and walks nothing: its FULLs are fenced as they are applied. One walk a node: a newer report's
     * absorbs the one still in flight (its roots, and the FULL it would say fenced), so a partition away for long does
     * not pile up walks and resends (review of S1.6).
     */
    public LinkOut<T> reportApplied(PartitionedLedger l, NodeReport r, ReportOutcome outcome, long localNow) {
        if (r == null || r.node() == null || r.kind() == null) return LinkOut.none();
        boolean full = r.kind() == NodeReport.Kind.FULL;
        if (!link.linked()) {
            if (full && outcome == ReportOutcome.APPLIED) l.fullFenced(r.node(), r.incarnation(), r.seq());
            return LinkOut.none();
        }
        if (outcome != ReportOutcome.APPLIED && outcome != ReportOutcome.CHUNK_BUFFERED) return LinkOut.none();
        List<BlobHash> held = l.reportedHolds(r, outcome); // a chunk is kept until the FULL's last one
        if (outcome != ReportOutcome.APPLIED) return LinkOut.none();
        String node = r.node();
        ReportWalk before = reportWalks.remove(node);
        Set<BlobHash> roots = new LinkedHashSet<>(held);
        FullSeq fenced = full ? new FullSeq(r.incarnation(), r.seq()) : null;
        if (before != null) {
            walks.remove(before.id());
            roots.addAll(before.roots());
            if (fenced == null) fenced = before.full();
        }
        LinkOut.Builder<T> out = new LinkOut.Builder<>();
        long id = start(l, l.fenceStarts(roots, localNow), false, Long.MAX_VALUE, new ForReport<>(node, fenced), out);
        if (id != NO_WALK) reportWalks.put(node, new ReportWalk(id, roots, fenced));
        return out.build();
    }

    // ------------------------------------------------------------------------------------------------ the walks

    /**
     * Starts a walk from {@code starts}: its asks go in {@code out}; or, when it asks nothing, it ends at once. Its
     * id, or {@link #NO_WALK} when it was done at once.
     */
    private long start(PartitionedLedger l, List<FenceStart> starts, boolean used, long deadline, Purpose<T> purpose,
                       LinkOut.Builder<T> out) {
        FenceWalk walk = new FenceWalk();
        List<FenceWalk.ProtectAsk> asks = new ArrayList<>();
        for (FenceStart s : starts) asks.addAll(walk.start(s.root(), s.frontier()));
        if (walk.done()) {
            ended(l, walk, false, purpose, out);
            return NO_WALK;
        }
        long id = nextWalk++;
        if (id == NO_WALK) id = nextWalk++;
        walks.put(id, new Walk<>(walk, used, deadline, purpose));
        send(id, asks, used, out);
        return id;
    }

    private void send(long id, List<FenceWalk.ProtectAsk> asks, boolean used, LinkOut.Builder<T> out) {
        for (FenceWalk.ProtectAsk a : asks) {
            out.send(a.to(), new Protect(id, link.partition(), a.onBehalfOf(), a.incarnation(), a.afterSeq(), a.hashes(),
                    used));
        }
    }

    /** A walk ended, done or ({@code expired}) given up: what its purpose does. */
    private void ended(PartitionedLedger l, FenceWalk walk, boolean expired, Purpose<T> purpose,
                       LinkOut.Builder<T> out) {
        if (purpose instanceof ForAcquire<T> a) {
            if (expired) {
                out.answer(a.replyTo(), new AcquireReply(a.hash(), AcquireResult.UNAVAILABLE, List.of(),
                        "the fence across partitions did not complete in time: retry"));
            } else if (walk.gone().isEmpty()) {
                out.answer(a.replyTo(), walkReply(a.hash(), walk));
            } else {
                out.name(LinkOut.NameGone.acquire(a.hash(), walk.gone(), byOwner(l, walk.gone()), a.replyTo()));
            }
        } else if (purpose instanceof ForPin<T> p) {
            out.toSelf(new PinFenced<>(p.pin(), p.reserved(), expired
                    ? Refusal.conflict("the fence across partitions below blob " + p.pin().hash()
                    + " did not complete in time: retry")
                    : walk.notRecorded().isEmpty() ? null : Refusal.goneCallees(p.pin().hash(), walk.notRecorded())));
        } else if (purpose instanceof ForRegistration<T> r) {
            Saga<T> saga = sagas.get(r.saga());
            if (saga == null) return;
            if (expired || !walk.notRecorded().isEmpty()) saga.fallen.add(r.caller());
            if (expired) saga.retry.add(r.caller());
            else saga.gone.addAll(walk.gone());
            if (--saga.open == 0) {
                sagas.remove(r.saga());
                // a hop answered gone may be live above a gone closure: what is gone below it is named first, as for
                // an acquire, so the refusal names what to upload (review 31b)
                List<BlobHash> gone = List.copyOf(saga.gone);
                if (gone.isEmpty()) out.toSelf(saga.fenced());
                else out.name(LinkOut.NameGone.registration(saga.fenced(), gone, byOwner(l, gone), saga.deadline));
            }
        } else if (purpose instanceof ForReport<T> r) {
            reportWalks.remove(r.node());
            if (r.full() != null) l.fullFenced(r.node(), r.full().incarnation(), r.full().seq());
        }
    }

    /** {@code hashes} by the partition that owns each, in partition order. */
    private static Map<Integer, List<BlobHash>> byOwner(PartitionedLedger l, List<BlobHash> hashes) {
        Map<Integer, List<BlobHash>> out = new TreeMap<>();
        for (BlobHash h : hashes) {
            out.computeIfAbsent(l.partitioning().partitionOf(h), k -> new ArrayList<>()).add(h);
        }
        return out;
    }

    /** An answer to one of this entity's walks: the next asks go out; a walk that is done ends. */
    public LinkOut<T> answered(PartitionedLedger l, Protected m) {
        Walk<T> w = m.outcome() == null ? null : walks.get(m.walk());
        if (w == null) return LinkOut.none(); // a duplicate or late answer, or one to an instance before
        LinkOut.Builder<T> out = new LinkOut.Builder<>();
        send(m.walk(), w.walk().answered(m.from(), m.outcome()), w.used(), out);
        if (w.walk().done()) {
            walks.remove(m.walk());
            ended(l, w.walk(), false, w.purpose(), out);
        }
        return out.build();
    }

    /** The walks' outstanding asks sent again; those past their deadline ({@code localNow}, monotonic) given up. */
    public LinkOut<T> tick(PartitionedLedger l, long localNow) {
        LinkOut.Builder<T> out = new LinkOut.Builder<>();
        List<Walk<T>> expired = new ArrayList<>();
        for (var it = walks.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, Walk<T>> e = it.next();
            Walk<T> w = e.getValue();
            if (localNow >= w.deadline()) {
                it.remove();
                expired.add(w);
            } else {
                send(e.getKey(), w.walk().outstanding(), w.used(), out);
            }
        }
        for (Walk<T> w : expired) {
            out.log(new Log(Level.INFO, "blob-gc {}: a fence across partitions gave up, {} ask(s) unanswered: {}",
                    link.describe(), w.walk().outstanding().size(), w.walk().outstanding()));
            ended(l, w.walk(), true, w.purpose(), out);
        }
        return out.build();
    }

    // ------------------------------------------------------------------------------------------------ asked

    /**
     * Another partition's walk asks: {@code m.hashes()} recorded here ({@link PartitionedLedger#protect}, while
     * deciding), in the asking hop's view, and answered to the walk's partition. For a use, the blobs in grace of the
     * recorded closures are the decision's events ({@code BlobsUsed}), and the answer is in its reply function only:
     * sent once they are written. A malformed ask, or one to an entity linked to no other partition, changes nothing
     * and is logged.
     *
     * @param now      the wall clock (millis), the time of the use written
     * @param localNow the monotonic clock (millis), for the ledger
     */
    public CoordinatorCore.Decision<LinkOut<T>> protect(PartitionedLedger l, Protect m, long now, long localNow) {
        String why = refusal(m);
        if (why != null) {
            LinkOut<T> ignored = LinkOut.logged(new Log(Level.WARN, "ignored {}: {}", m, why));
            return new CoordinatorCore.Decision<>(List.of(), st -> ignored);
        }
        var ask = new FenceWalk.ProtectAsk(link.partition(), m.onBehalfOf(), m.incarnation(), m.afterSeq(), m.hashes());
        ProtectOutcome o = l.protect(ask, m.used(), localNow);
        Protected answer = new Protected(m.walk(), link.partition(), o);
        List<Coordinator.Event> events = o.inGrace().isEmpty() ? List.of()
                : List.of(new Coordinator.BlobsUsed(o.inGrace(), now));
        return new CoordinatorCore.Decision<>(events, st -> LinkOut.send(m.asker(), answer));
    }

    /** Why {@code m} is ignored, or null. */
    private String refusal(Protect m) {
        return !link.linked() ? link.describe() + " is linked to no other partition"
                : !link.has(m.asker()) ? "no partition " + m.asker()
                : !link.has(m.onBehalfOf()) || m.onBehalfOf() == link.partition()
                ? "no other partition " + m.onBehalfOf()
                : m.hashes() == null || m.hashes().isEmpty() || m.hashes().stream().anyMatch(Objects::isNull)
                ? "no hashes, or a null one"
                : null;
    }
}
