package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator.Event;
import io.blobgc.coordinator.Coordinator.State;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.Register;
import io.blobgc.protocol.ReporterProtocol.Registered;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A linked partition entity's registrations whose callees other partitions own (partitions.md §3, phase 2;
 * partitions-part2-plan S1.7). The local part is decided as the whole decides it ({@link Registrations}), each remote
 * callee taken as having content; then, for each accepted registration that reaches another partition, its remote
 * callees are reserved (this partition's exports list them while it is pending: a flush before the persist must not
 * drop the stickies the walk records, S11), and a walk records them in their owners, hop by hop — a use when the
 * caller is in use, so each owner writes the use of its blobs in grace. Once every walk ended, the batch is decided
 * again with the callers whose walk found a callee gone (or gave up) refused, and their callers in the batch with
 * them; the rest is written, and only then are the reservations released and the registration answered.
 *
 * <p>The conductor sends each partition its share after the shares of the partitions its callees are registered in
 * (a callee registered in the same batch must be known to its owner when the walk asks it).
 */
final class LinkedRegistrations {
    private final ActorContext<ToCoordinator> ctx;
    private final DecisionEffects effects;
    private final Clock clock;
    private final CoordinatorCore core;
    private final PartitionFences fences;
    private final Predicate<BlobHash> stored;

    LinkedRegistrations(ActorContext<ToCoordinator> ctx, DecisionEffects effects, Clock clock, CoordinatorCore core,
                        PartitionFences fences, Predicate<BlobHash> stored) {
        this.ctx = ctx;
        this.effects = effects;
        this.clock = clock;
        this.core = core;
        this.fences = fences;
        this.stored = stored;
    }

    /** A registration's walks, all ended: decided again and written ({@link #onFenced}). */
    record Fenced(Register register, Registered first, List<PartitionedLedger.Reservation> reservations,
                  Set<BlobHash> fallen, Set<BlobHash> retry, Set<BlobHash> goneCallees) implements Coordinator.Command {
    }

    ReplyEffect<Event, State> register(State s, Register c) {
        PartitionedLedger l = s.ledger;
        List<Registration> given = c.registrations() == null ? List.of() : c.registrations();
        var first = core.registerLinked(l, given, stored, clock.millis(), Coordinator.localNow(), Set.of());
        Registered answer = first.reply().apply(l);
        // each accepted registration whose callees cross a partition, its remote callees reserved (an empty
        // reservation, one that crosses none, reserves nothing)
        List<Registration> crossing = new ArrayList<>();
        List<PartitionedLedger.Reservation> reservations = new ArrayList<>();
        for (Registration r : given) {
            if (r == null || !answer.accepted().contains(r.hash())) continue;
            PartitionedLedger.Reservation reserved = l.reserve(List.of(r), Coordinator.localNow());
            if (reserved.isEmpty()) continue;
            crossing.add(r);
            reservations.add(reserved);
        }
        if (crossing.isEmpty()) return effects.run(s, first, c.replyTo());
        Set<BlobHash> fallen = new LinkedHashSet<>(), retry = new LinkedHashSet<>(), gone = new LinkedHashSet<>();
        int[] open = {crossing.size()};
        Runnable ended = () -> {
            if (--open[0] == 0) ctx.getSelf().tell(new Fenced(c, answer, reservations, fallen, retry, gone));
        };
        for (int i = 0; i < crossing.size(); i++) {
            Registration r = crossing.get(i);
            fences.walk(reservations.get(i).starts(), Registrations.inUse(l, r.hash()), fences.deadline(), walk -> {
                if (!walk.notRecorded().isEmpty()) fallen.add(r.hash());
                gone.addAll(walk.gone());
                ended.run();
            }, () -> {
                fallen.add(r.hash());
                retry.add(r.hash());
                ended.run();
            });
        }
        return effects.noReply();
    }

    /**
     * Every walk of a registration ended: the accepted part of its first decision decided again, with the callers
     * whose walk found a callee gone refused; written; then its reservations released and the answer given — the
     * first decision's refusals, this one's, and {@code retry} for the walks that gave up.
     */
    ReplyEffect<Event, State> onFenced(State s, Fenced m) {
        List<Registration> accepted = m.register().registrations().stream()
                .filter(r -> r != null && m.first().accepted().contains(r.hash())).toList();
        var second = core.registerLinked(s.ledger, accepted, stored, clock.millis(), Coordinator.localNow(), m.fallen());
        Registered again = second.reply().apply(s.ledger);
        Registered answer = new Registered(again.accepted(), union(m.first().rejected(), again.rejected()),
                union(m.first().noContent(), again.noContent()),
                union(union(m.first().retry(), again.retry()), List.copyOf(m.retry())),
                union(union(m.first().goneCallees(), again.goneCallees()), List.copyOf(m.goneCallees())));
        if (!m.fallen().isEmpty()) {
            ctx.getLog().info("blob-gc: {} registration(s) refused, a callee of another partition below them gone or "
                    + "not answering: {}", m.fallen().size(), m.fallen());
        }
        var written = second.events().isEmpty() ? effects.effect().none() : effects.effect().persist(second.events());
        return written.thenRun(st -> {
            for (PartitionedLedger.Reservation r : m.reservations()) st.ledger.release(r);
        }).thenReply(m.register().replyTo(), st -> answer);
    }

    private static List<BlobHash> union(List<BlobHash> a, List<BlobHash> b) {
        Set<BlobHash> out = new LinkedHashSet<>(a);
        out.addAll(b);
        return List.copyOf(out);
    }
}
