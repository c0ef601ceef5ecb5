package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator.Event;
import io.blobgc.coordinator.Coordinator.State;
import io.blobgc.protocol.ReporterProtocol.Register;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

import java.time.Clock;
import java.util.function.Predicate;

/**
 * A linked partition entity's registrations whose callees other partitions own: the actor's glue around
 * {@link LinkedRegistrationCore}, which decides (partitions.md §3, phase 2), carried out by {@link PartitionFences}.
 */
final class LinkedRegistrations {
    private final Clock clock;
    private final PartitionFences fences;
    private final LinkedRegistrationCore<ActorRef<?>> core;
    private final Predicate<BlobHash> stored;

    LinkedRegistrations(Clock clock, CoordinatorCore core, PartitionFences fences, Predicate<BlobHash> stored) {
        this.clock = clock;
        this.fences = fences;
        this.core = new LinkedRegistrationCore<>(core, fences.core());
        this.stored = stored;
    }

    /** A registration ({@link LinkedRegistrationCore#register}). */
    ReplyEffect<Event, State> register(State s, Register c) {
        return fences.run(s, core.register(s.ledger, c.registrations(), stored, c.replyTo(), clock.millis(),
                Coordinator.localNow()));
    }

    /** Every walk of a registration ended ({@link LinkedRegistrationCore#fenced}). */
    ReplyEffect<Event, State> onFenced(State s, PartitionFences.RegistrationWalked m) {
        return fences.run(s, core.fenced(s.ledger, m.fenced(), stored, clock.millis(), Coordinator.localNow()));
    }
}
