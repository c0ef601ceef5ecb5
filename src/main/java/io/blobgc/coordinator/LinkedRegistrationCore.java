package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.coordinator.LinksCore.Level;
import io.blobgc.coordinator.LinksCore.Log;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.PartitionedLedger.Reservation;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.Registered;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A linked partition entity's registrations whose callees other partitions own (partitions.md §3, phase 2;
 * partitions-part2-plan S1.7), in plain Java ({@link LinkedRegistrations} is the actor's glue). The local part is
 * decided as the whole decides it ({@link Registrations}), each remote callee taken as having content; then, for each
 * accepted registration that reaches another partition, its remote callees are reserved while deciding (this
 * partition's exports list them while it is pending: a flush before the write must not drop the stickies the walk
 * records, S11), and a walk records them in their owners, hop by hop ({@link FenceCore#registrationWalks}) — a use when
 * the caller is in use, so each owner writes the use of its blobs in grace. Once every walk ended the entity is sent
 * {@link FenceCore.RegistrationFenced}, and {@link #fenced} decides the batch again with the callers whose walk found a
 * callee gone (or gave up) refused, and their callers in the batch with them; the rest is written, and only then are
 * the reservations released and the registration answered.
 *
 * <p>The conductor sends each partition its share after the shares of the partitions its callees are registered in
 * (a callee registered in the same batch must be known to its owner when the walk asks it).
 *
 * @param <T> the reply token of the caller a decision answers (see {@link LinkOut})
 */
public final class LinkedRegistrationCore<T> {
    private final CoordinatorCore core;
    private final FenceCore<T> fences;

    public LinkedRegistrationCore(CoordinatorCore core, FenceCore<T> fences) {
        this.core = core;
        this.fences = fences;
    }

    /** A registration of {@code given} (null: none), answered to {@code replyTo} (see the class comment). */
    public CoordinatorCore.Decision<LinkOut<T>> register(PartitionedLedger l, List<Registration> given,
                                                         Predicate<BlobHash> stored, T replyTo, long now,
                                                         long localNow) {
        List<Registration> batch = given == null ? List.of() : given;
        var first = core.registerLinked(l, batch, stored, now, localNow, Set.of());
        Registered answer = first.reply().apply(l);
        // each accepted registration whose callees cross a partition, its remote callees reserved (an empty
        // reservation, one that crosses none, reserves nothing)
        List<BlobHash> crossing = new ArrayList<>();
        List<Boolean> used = new ArrayList<>();
        List<Reservation> reservations = new ArrayList<>();
        for (Registration r : batch) {
            if (r == null || !answer.accepted().contains(r.hash())) continue;
            Reservation reserved = l.reserve(List.of(r), localNow);
            if (reserved.isEmpty()) continue;
            crossing.add(r.hash());
            used.add(Registrations.inUse(l, r.hash()));
            reservations.add(reserved);
        }
        if (crossing.isEmpty()) {
            return new CoordinatorCore.Decision<>(first.events(), st -> LinkOut.answer(replyTo, first.reply().apply(st)));
        }
        LinkOut.Builder<T> out = new LinkOut.Builder<>();
        fences.registrationWalks(l, replyTo, batch, answer, crossing, reservations, used, localNow, out);
        LinkOut<T> walking = out.build();
        return new CoordinatorCore.Decision<>(List.of(), st -> walking);
    }

    /**
     * Every walk of a registration ended: the accepted part of its first decision decided again, with the callers
     * whose walk found a callee gone refused; written; then its reservations released and the answer given — the
     * first decision's refusals, this one's, and {@code retry} for the walks that gave up.
     */
    public CoordinatorCore.Decision<LinkOut<T>> fenced(PartitionedLedger l, FenceCore.RegistrationFenced<T> m,
                                                       Predicate<BlobHash> stored, long now, long localNow) {
        List<Registration> accepted = m.registrations().stream()
                .filter(r -> r != null && m.first().accepted().contains(r.hash())).toList();
        var second = core.registerLinked(l, accepted, stored, now, localNow, m.fallen());
        Registered again = second.reply().apply(l);
        Registered answer = new Registered(again.accepted(), union(m.first().rejected(), again.rejected()),
                union(m.first().noContent(), again.noContent()),
                union(union(m.first().retry(), again.retry()), m.retry()),
                Registrations.firstNamed(notAccepted(again.accepted(),
                        union(m.goneCallees(), union(m.first().goneCallees(), again.goneCallees())))));
        return new CoordinatorCore.Decision<>(second.events(), st -> {
            for (Reservation r : m.reservations()) st.release(r);
            LinkOut.Builder<T> out = new LinkOut.Builder<>();
            if (!m.fallen().isEmpty()) {
                out.log(new Log(Level.INFO, "blob-gc: {} registration(s) refused, a callee of another partition below "
                        + "them gone or not answering: {}", m.fallen().size(), m.fallen()));
            }
            return out.answer(m.replyTo(), answer).build();
        });
    }

    /**
     * {@code names} but those the same answer accepts (review 32b: a blob re-uploaded with its caller in one batch was
     * found gone by the caller's walk, which ran before the batch was written, and named to upload again).
     */
    private static List<BlobHash> notAccepted(List<BlobHash> accepted, List<BlobHash> names) {
        Set<BlobHash> in = Set.copyOf(accepted);
        return names.stream().filter(h -> !in.contains(h)).toList();
    }

    private static List<BlobHash> union(Collection<BlobHash> a, Collection<BlobHash> b) {
        Set<BlobHash> out = new LinkedHashSet<>(a);
        out.addAll(b);
        return List.copyOf(out);
    }
}
