package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator.FindGone;
import io.blobgc.coordinator.Coordinator.GoneFound;
import io.blobgc.ledger.GoneWalk;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * What a linked partition entity's acquire answered GONE names: the whole gone closure across partitions
 * ({@link GoneWalk}, driven over {@link FindGone} and {@link GoneFound}), not only what this partition knows — a gone
 * blob below a remote callee left out has the VM upload the rest again and again (review 30). Read-only: it records
 * nothing and writes nothing, so it may take its time: asks are sent again with the fences' ({@link
 * PartitionFences}), and past a quarter of the acquire timeout the answer names what was found so far (the reporter
 * waits a whole acquire timeout; an acquire's walk takes half of it at most). Walks are soft state: a restart forgets
 * them, and the reporter, unanswered, asks again.
 */
final class GoneNames {
    private final ActorContext<ToCoordinator> ctx;
    private final Hosting hosting;
    private final Duration deadline;
    private final Map<Long, Named> walks = new HashMap<>();
    private long nextWalk = ThreadLocalRandom.current().nextLong();

    /** One walk in flight: {@code answer} gets the names once it is done, or at {@code deadline} (monotonic). */
    private record Named(GoneWalk walk, long deadline, Consumer<List<BlobHash>> answer) {
    }

    GoneNames(ActorContext<ToCoordinator> ctx, Hosting hosting, Duration acquireTimeout) {
        this.ctx = ctx;
        this.hosting = hosting;
        this.deadline = acquireTimeout.dividedBy(4);
    }

    /** A recovery: the walks of the instance before are forgotten. */
    void recovered() {
        walks.clear();
    }

    /**
     * An acquire answered GONE ({@link FenceCore}) once the whole gone closure below it is named: {@code gone.known()}
     * and the gone blobs found below {@code gone.below()} (the remote callees of its closure, or the hops its fence
     * walk found gone).
     */
    void name(LinkOut.NameGone<ActorRef<?>> gone) {
        @SuppressWarnings("unchecked")
        ActorRef<AcquireReply> replyTo = (ActorRef<AcquireReply>) gone.replyTo();
        name(gone.known(), gone.below(), all -> replyTo.tell(CoordinatorCore.goneReply(gone.hash(), all)));
    }

    private void name(List<BlobHash> known, Map<Integer, ? extends Collection<BlobHash>> below,
                      Consumer<List<BlobHash>> answer) {
        GoneWalk walk = new GoneWalk(known);
        List<GoneWalk.Ask> asks = walk.start(below);
        if (walk.done()) {
            answer.accept(walk.gone());
            return;
        }
        long id = nextWalk++;
        walks.put(id, new Named(walk, Coordinator.localNow() + deadline.toMillis(), answer));
        send(id, asks);
    }

    private void send(long id, List<GoneWalk.Ask> asks) {
        for (GoneWalk.Ask a : asks) hosting.peers().tell(a.to(), new FindGone(id, hosting.partition(), a.hashes()));
    }

    /** Another partition's walk asks: answered at once from this partition's registry (reads only). */
    void onFindGone(PartitionedLedger l, FindGone m) {
        int partitions = hosting.isLinked() ? hosting.partitioning().count() : 0;
        String why = !hosting.isLinked() ? hosting.describe() + " is linked to no other partition"
                : m.asker() < 0 || m.asker() >= partitions ? "no partition " + m.asker()
                : m.hashes() == null || m.hashes().isEmpty() || m.hashes().stream().anyMatch(Objects::isNull)
                ? "no hashes, or a null one"
                : null;
        if (why != null) {
            ctx.getLog().warn("ignored {}: {}", m, why);
            return;
        }
        hosting.peers().tell(m.asker(), new GoneFound(m.walk(), hosting.partition(), m.hashes(), l.goneBelow(m.hashes())));
    }

    /**
     * An answer to one of this entity's walks: the next asks go out; a walk that is done answers. One that is not well
     * formed — no partition it names, a null among its hashes — is ignored with a warning (review 31: a null hash
     * stopped the entity), and its ask sent again.
     */
    void onGoneFound(GoneFound m) {
        Named w = walks.get(m.walk());
        if (w == null) return; // a duplicate or late answer, or one to an instance before
        int partitions = hosting.partitioning().count();
        String why = m.from() < 0 || m.from() >= partitions ? "no partition " + m.from()
                : m.hashes() == null || m.hashes().stream().anyMatch(Objects::isNull) || m.found() == null
                ? "no hashes, a null one, or nothing found"
                : m.found().below().keySet().stream().anyMatch(p -> p == null || p < 0 || p >= partitions)
                ? "a remote callee of no partition"
                : null;
        if (why != null) {
            ctx.getLog().warn("ignored {}: {}", m, why);
            return;
        }
        send(m.walk(), w.walk().answered(m.from(), m.hashes(), m.found()));
        if (w.walk().done()) {
            walks.remove(m.walk());
            w.answer().accept(w.walk().gone());
        }
    }

    /** With the fences' tick: outstanding asks sent again; a walk past its deadline answers what it found. */
    void tick() {
        long now = Coordinator.localNow();
        for (Iterator<Map.Entry<Long, Named>> it = walks.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, Named> e = it.next();
            Named w = e.getValue();
            if (now >= w.deadline()) {
                it.remove();
                ctx.getLog().info("blob-gc {}: the gone blobs below an acquire named without {} unanswered ask(s): {}",
                        hosting.describe(), w.walk().outstanding().size(), w.walk().outstanding());
                w.answer().accept(w.walk().gone());
            } else {
                send(e.getKey(), w.walk().outstanding());
            }
        }
    }
}
