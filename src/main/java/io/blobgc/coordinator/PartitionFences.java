package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator.Event;
import io.blobgc.coordinator.Coordinator.FenceTick;
import io.blobgc.coordinator.Coordinator.Protect;
import io.blobgc.coordinator.Coordinator.Protected;
import io.blobgc.coordinator.Coordinator.State;
import io.blobgc.ledger.AcquireOutcome;
import io.blobgc.ledger.FenceWalk;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.Refusal;
import io.blobgc.ledger.ReportOutcome;
import io.blobgc.protocol.ReporterProtocol.Acquire;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * A linked partition entity's fences across partitions (partitions.md §2; partitions-part2-plan S1.6): the
 * {@link FenceWalk}s it drives over messages, and its answers to the other partitions' walks.
 * <ul>
 *   <li>An acquire of a blob whose closure reaches other partitions ({@link #acquire}): the owner answers GONE for a
 *       gone blob in its own part of the closure, persists the use of its blobs waiting out their grace, records the
 *       acquire, then walks: every remote callee below the blob is recorded in its owner, hop by hop, in the view of
 *       the partition whose exports will list it ({@link Protect}, {@link Protected}), each owner persisting the use
 *       of its own blobs in grace before it answers. ACQUIRED only once every hop answered recorded; GONE naming
 *       the whole gone closure across partitions, looked up by {@link GoneNames}; UNAVAILABLE when the walk did not
 *       end within half the acquire timeout (the reporter tries again).</li>
 *   <li>An operator's pin ({@link #pin}): its remote callees reserved and walked, and the pin written only once
 *       every hop is recorded; nothing written when a hop is gone or the walk gives up.</li>
 *   <li>The holds a node's report adds ({@link #reportApplied}): walked, never given up; a FULL is said fenced
 *       ({@link PartitionedLedger#fullFenced}) once its walk is done — no partition confirms a blob absent with that
 *       node's view before every live partition fenced the node's last FULL (partitions-part2-plan §8).</li>
 *   <li>Asks are sent again every eighth of the acquire timeout until answered ({@link FenceTick}); a duplicate ask is
 *       recorded again (the sticky keeps the latest), a duplicate or late answer changes nothing (the walk matches
 *       answers to asks).</li>
 * </ul>
 * Walks are soft state: a restart forgets them, and the reporter, unanswered, asks again. An answer goes to the asking
 * partition by its number, so a walk of an earlier instance of that partition is answered to nobody (walk ids are
 * random per instance).
 */
final class PartitionFences {
    private final ActorContext<ToCoordinator> ctx;
    private final Hosting hosting;
    private final DecisionEffects effects;
    private final Clock clock;
    private final Duration deadline, resend;
    private final GoneNames goneNames;
    private final FenceCore<ActorRef<?>> fenceCore;
    private final Map<Long, Walk> walks = new HashMap<>();
    private long nextWalk = ThreadLocalRandom.current().nextLong();

    /** Each node's report walk in flight, by node: its id, its roots, and the FULL (incarnation, seq) it fences, or null. */
    private record ReportWalk(long id, java.util.Set<BlobHash> roots, long[] full) {
    }

    private final Map<String, ReportWalk> reportWalks = new HashMap<>();

    /** One walk this entity drives: given up at {@code deadline} (monotonic millis), then {@code done} is told. */
    private record Walk(FenceWalk walk, boolean used, long deadline, Consumer<FenceWalk> done, Runnable expired) {
    }

    /** How long an acquire's, a pin's or a registration's walk may take before it is given up (monotonic millis). */
    long deadline() {
        return Coordinator.localNow() + deadline.toMillis();
    }

    PartitionFences(ActorContext<ToCoordinator> ctx, Hosting hosting, DecisionEffects effects, Clock clock,
                    Duration acquireTimeout, GoneNames goneNames) {
        this.ctx = ctx;
        this.goneNames = goneNames;
        this.hosting = hosting;
        this.effects = effects;
        this.clock = clock;
        this.deadline = acquireTimeout.dividedBy(2);
        this.resend = acquireTimeout.dividedBy(8);
        this.fenceCore = hosting.isLinked()
                ? new FenceCore<>(true, hosting.partition(), hosting.partitioning().count(), hosting.describe())
                : new FenceCore<>(false, -1, 0, hosting.describe());
    }

    /** A recovery: the walks of the instance before are forgotten, and the resends run (a linked entity's only). */
    void recovered(TimerScheduler<ToCoordinator> timers) {
        walks.clear();
        reportWalks.clear();
        if (hosting.isLinked()) timers.startTimerWithFixedDelay(FenceTick.INSTANCE, resend);
    }

    /**
     * The acquire fence of a linked entity (see the class comment); the acquires {@link CoordinatorCore#acquire}
     * answers as for any ledger (bad input, another partition's hash, a closure that stays in this partition) go there.
     */
    ReplyEffect<Event, State> acquire(State s, Acquire c, CoordinatorCore core) {
        PartitionedLedger l = s.ledger;
        BlobHash hash = c.hash();
        if (c.node() == null || PartitionedLedger.isPartitionReporter(c.node()) || hash == null || !l.ownsHash(hash)
                || l.remoteCalleesBelow(hash).isEmpty()) {
            return effects.run(s, core.acquire(l, c.node(), c.incarnation(), c.afterSeq(), hash, clock.millis(),
                    Coordinator.localNow()), c.replyTo());
        }
        boolean removed = l.isNodeRemoved(c.node());
        List<BlobHash> gone = l.goneToUploadAgain(hash);
        if (!removed && l.status(hash).isPresent() && !gone.isEmpty()) {
            goneNames.acquiredGone(l, hash, gone, c.replyTo());
            return effects.noReply();
        }
        // a use of a blob waiting out its grace is persisted first (S3), each owner its own: this one here, the
        // others' as they answer the walk's asks (used)
        List<BlobHash> waiting = removed ? List.of() : l.localWaitingOutGrace(List.of(hash));
        List<Event> events = waiting.isEmpty() ? List.of() : List.of(new Coordinator.BlobsUsed(waiting, clock.millis()));
        return effects.effect().persist(events).thenRun(st -> {
            AcquireOutcome local = st.ledger.acquireLocally(c.node(), c.incarnation(), c.afterSeq(), hash,
                    Coordinator.localNow());
            if (local == AcquireOutcome.GONE) {
                goneNames.acquiredGone(st.ledger, hash, st.ledger.goneToUploadAgain(hash), c.replyTo());
                return;
            }
            if (local != AcquireOutcome.ACQUIRED) {
                c.replyTo().tell(CoordinatorCore.acquireReply(c.node(), hash, local, List::of));
                return;
            }
            start(st.ledger, List.of(hash), true, deadline(), walk -> {
                        if (walk.gone().isEmpty()) c.replyTo().tell(walkReply(hash, walk));
                        else goneNames.walkedGone(hash, walk.gone(), c.replyTo());
                    },
                    () -> c.replyTo().tell(new AcquireReply(hash, AcquireResult.UNAVAILABLE, List.of(),
                            "the fence across partitions did not complete in time: retry")));
        }).thenNoReply();
    }

    /**
     * An operator's pin of a linked entity (see {@link CoordinatorCore#pin} for the whole): refused as the whole
     * refuses it — bad input, the blob or a blob of its closure here being deleted or collected — else the remote
     * callees below it are reserved (this partition's exports list them meanwhile: partitions.md §3, the race of a
     * registration) and recorded in their owners by a walk; once it is done the pin is written, the reservation
     * released, and it is answered OK — or, when a hop is gone or the walk gave up, nothing is written (a pin in place
     * stays as it was) and it is answered a conflict naming why (review of S1.6: a pin written first and taken back
     * could take back a later pin's, or stay over a gone callee when a restart forgot its walk).
     */
    ReplyEffect<Event, State> pin(State s, Coordinator.PinBlob c, CoordinatorCore core) {
        PartitionedLedger l = s.ledger;
        if (CoordinatorCore.pinRequestRefusal(l, c.hash(), c.owner(), c.ttlMs()).isPresent()
                || l.remoteCalleesBelow(c.hash()).isEmpty()) {
            return effects.run(s, core.pin(l, c.hash(), c.owner(), c.reason(), c.ttlMs(), clock.millis()), c.replyTo());
        }
        // refused here before anything is reserved: a reservation, even released at once, leaves its callees asked,
        // and the next export would carry their removal — a refused pin changes nothing sent (review 30)
        var local = localPinRefusal(l, c.hash());
        if (local.isPresent()) return effects.effect().reply(c.replyTo(), new Coordinator.OpResult(local.get()));
        PartitionedLedger.Reservation reserved = l.reserveBelow(List.of(c.hash()), Coordinator.localNow());
        walk(reserved.starts(), false, deadline(),
                walk -> ctx.getSelf().tell(new PinFenced(c, reserved, walk.notRecorded().isEmpty() ? null
                        : Refusal.goneCallees(c.hash(), walk.notRecorded()))),
                () -> ctx.getSelf().tell(new PinFenced(c, reserved, Refusal.conflict("the fence across partitions "
                        + "below blob " + c.hash() + " did not complete in time: retry"))));
        return effects.noReply();
    }

    /** Why this partition refuses a pin of {@code hash} itself: its blob, or a blob of its closure here, is gone. */
    private static java.util.Optional<Refusal> localPinRefusal(PartitionedLedger l, BlobHash hash) {
        return l.checkPinLocally(hash, Coordinator.localNow()).or(() -> {
            List<BlobHash> gone = l.localGoneInClosure(hash, true);
            return gone.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(Refusal.goneCallees(hash, gone));
        });
    }

    /** A pin's walk ended: {@code refusal} null when every remote callee was recorded. */
    record PinFenced(Coordinator.PinBlob pin, PartitionedLedger.Reservation reserved, Refusal refusal)
            implements Coordinator.Command {
    }

    /**
     * A pin's walk ended: the pin written (its blob checked again: the walk took time), then the reservation released
     * and the answer given; or, refused, the reservation released and nothing written.
     */
    ReplyEffect<Event, State> onPinFenced(State s, PinFenced m) {
        Coordinator.PinBlob c = m.pin();
        var refusal = java.util.Optional.ofNullable(m.refusal()).or(() -> localPinRefusal(s.ledger, c.hash()));
        if (refusal.isPresent()) {
            s.ledger.release(m.reserved());
            return effects.effect().reply(c.replyTo(), new Coordinator.OpResult(refusal.get()));
        }
        return effects.effect().persist(List.<Event>of(CoordinatorCore.pinned(c.hash(), c.owner(), c.reason(),
                        c.ttlMs(), clock.millis())))
                .thenRun(st -> st.ledger.release(m.reserved()))
                .thenReply(c.replyTo(), st -> Coordinator.OpResult.OK);
    }

    /**
     * A node's report applied to this entity's share, with {@code outcome}: the holds it adds are fenced as an
     * acquire's are (partitions.md §2; {@link PartitionedLedger#reportedHolds}), by a walk that never gives up — a node
     * may hold a blob it did not acquire from this instance (back from a policy drop, or after a recovery) — and a FULL
     * is said fenced once its walk is done (the cut of partitions-part2-plan §8: until every live partition fenced a
     * node's last FULL, no partition confirms anything absent with that node's view). An isolated entity views no
     * other partition and walks nothing: its FULLs are fenced as they are applied.
     */
    void reportApplied(PartitionedLedger l, NodeReport r, ReportOutcome outcome) {
        if (r == null || r.node() == null || r.kind() == null) return;
        boolean full = r.kind() == NodeReport.Kind.FULL;
        if (!hosting.isLinked()) {
            if (full && outcome == ReportOutcome.APPLIED) l.fullFenced(r.node(), r.incarnation(), r.seq());
            return;
        }
        if (outcome != ReportOutcome.APPLIED && outcome != ReportOutcome.CHUNK_BUFFERED) return;
        List<BlobHash> held = l.reportedHolds(r, outcome); // a chunk is kept until the FULL's last one
        if (outcome != ReportOutcome.APPLIED) return;
        // one walk a node: a newer report's absorbs the one still in flight (its roots, and the FULL it would say
        // fenced), so a partition away for long does not pile up walks and resends (review of S1.6)
        String node = r.node();
        ReportWalk before = reportWalks.remove(node);
        java.util.Set<BlobHash> roots = new java.util.LinkedHashSet<>(held);
        long[] fenced = full ? new long[]{r.incarnation(), r.seq()} : null;
        if (before != null) {
            walks.remove(before.id());
            roots.addAll(before.roots());
            if (fenced == null) fenced = before.full();
        }
        long[] toFence = fenced;
        long id = walk(l.fenceStarts(roots, Coordinator.localNow()), false, Long.MAX_VALUE, walk -> {
            reportWalks.remove(node);
            if (toFence != null) l.fullFenced(node, toFence[0], toFence[1]);
        }, () -> {
        });
        if (id != NO_WALK) reportWalks.put(node, new ReportWalk(id, roots, toFence));
    }

    /**
     * Starts a walk below {@code roots}, this partition's blobs, recorded here already: {@code done} once every hop
     * answered (at once when there is none), or {@code expired} when {@code deadline} (monotonic millis) passed first.
     */
    void start(PartitionedLedger l, Collection<BlobHash> roots, boolean used, long deadline, Consumer<FenceWalk> done,
               Runnable expired) {
        walk(l.fenceStarts(roots, Coordinator.localNow()), used, deadline, done, expired);
    }

    /**
     * Starts a walk from {@code starts} (see {@link #start}): a registration's or a pin's, from its reservation. Its
     * id, or {@link #NO_WALK} when it was done at once (nothing to ask).
     */
    long walk(List<PartitionedLedger.FenceStart> starts, boolean used, long deadline, Consumer<FenceWalk> done,
              Runnable expired) {
        FenceWalk walk = new FenceWalk();
        List<FenceWalk.ProtectAsk> asks = new ArrayList<>();
        for (PartitionedLedger.FenceStart s : starts) asks.addAll(walk.start(s.root(), s.frontier()));
        if (walk.done()) {
            done.accept(walk);
            return NO_WALK;
        }
        long id = nextWalk++;
        if (id == NO_WALK) id = nextWalk++;
        walks.put(id, new Walk(walk, used, deadline, done, expired));
        send(id, asks, used);
        return id;
    }

    /** What {@link #walk} gives for a walk done at once. */
    static final long NO_WALK = Long.MIN_VALUE;

    private void send(long id, List<FenceWalk.ProtectAsk> asks, boolean used) {
        for (FenceWalk.ProtectAsk a : asks) {
            hosting.peers().tell(a.to(), new Protect(id, hosting.partition(), a.onBehalfOf(), a.incarnation(),
                    a.afterSeq(), a.hashes(), used));
        }
    }

    /**
     * Another partition's walk asks: recorded here, in the asking hop's view, and answered to the walk's partition
     * — for a use, once the blobs in grace of the recorded closures are persisted as used ({@link FenceCore#protect}).
     */
    ReplyEffect<Event, State> onProtect(State s, Protect m) {
        return effects.runOut(s, fenceCore.protect(s.ledger, m, clock.millis(), Coordinator.localNow()), this::carry);
    }

    /** Does what a core decided: logs, then sends to the other partitions. */
    private void carry(LinkOut<ActorRef<?>> out) {
        for (LinksCore.Log line : out.logs()) DecisionEffects.log(ctx.getLog(), line);
        for (LinksCore.Send m : out.send()) hosting.peers().tell(m.to(), m.message());
    }

    /** An answer to one of this entity's walks: the next asks go out; a walk that is done ends. */
    ReplyEffect<Event, State> onProtected(State s, Protected m) {
        Walk w = m.outcome() == null ? null : walks.get(m.walk());
        if (w == null) return effects.noReply(); // a duplicate or late answer, or one to an instance before
        send(m.walk(), w.walk().answered(m.from(), m.outcome()), w.used());
        if (w.walk().done()) {
            walks.remove(m.walk());
            w.done().accept(w.walk());
        }
        return effects.noReply();
    }

    /** The walks' outstanding asks sent again; those past their deadline given up. */
    ReplyEffect<Event, State> onTick(State s) {
        long now = Coordinator.localNow();
        for (Iterator<Map.Entry<Long, Walk>> it = walks.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, Walk> e = it.next();
            Walk w = e.getValue();
            if (now >= w.deadline()) {
                it.remove();
                ctx.getLog().info("blob-gc {}: a fence across partitions gave up, {} ask(s) unanswered: {}",
                        hosting.describe(), w.walk().outstanding().size(), w.walk().outstanding());
                w.expired().run();
            } else {
                send(e.getKey(), w.walk().outstanding(), w.used());
            }
        }
        return effects.noReply();
    }

    /**
     * The answer once the walk is done and nothing was gone (a gone hop is named with what is gone below it:
     * {@link GoneNames#walkedGone}): every hop recorded, or what was asked stale.
     */
    private static AcquireReply walkReply(BlobHash hash, FenceWalk walk) {
        if (!walk.stale().isEmpty()) {
            return new AcquireReply(hash, AcquireResult.REFUSED, List.of(),
                    "a stale acquire: a partition reported since without " + walk.stale() + ": retry");
        }
        return new AcquireReply(hash, AcquireResult.ACQUIRED, List.of(), "acquired");
    }
}
