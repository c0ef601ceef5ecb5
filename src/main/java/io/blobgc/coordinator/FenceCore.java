package io.blobgc.coordinator;

import io.blobgc.coordinator.Coordinator.Protect;
import io.blobgc.coordinator.Coordinator.Protected;
import io.blobgc.coordinator.LinksCore.Level;
import io.blobgc.coordinator.LinksCore.Log;
import io.blobgc.ledger.FenceWalk;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.ProtectOutcome;

import java.util.List;
import java.util.Objects;

/**
 * A linked partition entity's decisions on the fence across partitions (partitions.md §2; {@link PartitionFences} is
 * the actor's glue that calls it and carries its {@link LinkOut} out), in plain Java: no Pekko, no I/O, no clock (time
 * is an argument). The ledger is changed in place while deciding, as the actor did (a sticky is soft state).
 * So far it answers the other partitions' walks ({@link #protect}); the walks this entity drives are still the glue's
 * (partitions-part2-plan §9, step 2).
 *
 * <p>Anything that must follow a write goes in the reply function of the {@link CoordinatorCore.Decision}, which runs
 * once the events are applied: so an answer is never sent before the use it reports is written.
 *
 * @param <T> the reply token of the caller a decision answers (see {@link LinkOut})
 */
public final class FenceCore<T> {
    private final boolean linked;
    private final int partition;
    private final int count;
    /** How the log names the entity ({@link Hosting#describe}). */
    private final String describe;

    /**
     * @param linked    whether the entity views the other partitions (an isolated entity, or the whole, fences nothing)
     * @param partition its partition (ignored when not linked)
     * @param count     the number of partitions (ignored when not linked)
     * @param describe  how the log names it
     */
    public FenceCore(boolean linked, int partition, int count, String describe) {
        if (linked && (partition < 0 || partition >= count)) {
            throw new IllegalArgumentException("no partition " + partition + " of " + count);
        }
        this.linked = linked;
        this.partition = partition;
        this.count = count;
        this.describe = describe;
    }

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
        var ask = new FenceWalk.ProtectAsk(partition, m.onBehalfOf(), m.incarnation(), m.afterSeq(), m.hashes());
        ProtectOutcome o = l.protect(ask, m.used(), localNow);
        Protected answer = new Protected(m.walk(), partition, o);
        List<Coordinator.Event> events = o.inGrace().isEmpty() ? List.of()
                : List.of(new Coordinator.BlobsUsed(o.inGrace(), now));
        return new CoordinatorCore.Decision<>(events, st -> LinkOut.send(m.asker(), answer));
    }

    /** Why {@code m} is ignored, or null. */
    private String refusal(Protect m) {
        return !linked ? describe + " is linked to no other partition"
                : m.asker() < 0 || m.asker() >= count ? "no partition " + m.asker()
                : m.onBehalfOf() < 0 || m.onBehalfOf() >= count || m.onBehalfOf() == partition
                ? "no other partition " + m.onBehalfOf()
                : m.hashes() == null || m.hashes().isEmpty() || m.hashes().stream().anyMatch(Objects::isNull)
                ? "no hashes, or a null one"
                : null;
    }
}
