package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator.FindGone;
import io.blobgc.coordinator.Coordinator.GoneFound;
import io.blobgc.coordinator.LinksCore.Level;
import io.blobgc.coordinator.LinksCore.Log;
import io.blobgc.ledger.GoneWalk;
import io.blobgc.ledger.PartitionedLedger;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a linked partition entity's acquire answered GONE, or its registration refused, names, decided in plain Java ({@link GoneNames} is the actor's
 * glue): the whole gone closure across partitions ({@link GoneWalk}, driven over {@link FindGone} and
 * {@link GoneFound}), not only what this partition knows — a gone blob below a remote callee left out has the VM upload
 * the rest again and again (review 30). Read-only: it records nothing and writes nothing, so it may take its time: asks
 * are sent again with the fences' tick ({@link #tick}), and past a quarter of the acquire timeout the answer names
 * what was found so far (the reporter waits a whole acquire timeout; an acquire's walk takes half of it at most).
 * Walks are soft state: a restart forgets them ({@link #recovered}), and the reporter, unanswered, asks again.
 *
 * @param <T> the reply token of the acquire a walk answers (see {@link LinkOut})
 */
public final class GoneNamesCore<T> {
    private final EntityLink link;
    private final long deadlineMs;
    private final Map<Long, Named<T>> walks = new LinkedHashMap<>();
    private long nextWalk;

    /** One walk in flight: what it names for, done once answered or at {@code deadline} (monotonic). */
    private record Named<T>(GoneWalk walk, long deadline, LinkOut.NameGone<T> asked) {
    }

    /**
     * @param link             the entity
     * @param acquireTimeoutMs the acquire timeout: a walk answers what it found after a quarter of it
     * @param firstWalkId      the first walk id (the glue draws it at random per instance)
     */
    public GoneNamesCore(EntityLink link, long acquireTimeoutMs, long firstWalkId) {
        this.link = link;
        this.deadlineMs = acquireTimeoutMs / 4;
        this.nextWalk = firstWalkId;
    }

    /** A recovery: the walks of the instance before are forgotten. */
    public void recovered() {
        walks.clear();
    }

    /**
     * An acquire answered GONE ({@link FenceCore}) once the whole gone closure below it is named: {@code gone.known()}
     * and the gone blobs found below {@code gone.below()} (the remote callees of its closure, or the hops its fence
     * walk found gone). At once when there is nothing to ask, or no time left before {@code gone.deadline()}; else by a
     * quarter of the acquire timeout, or that deadline, whichever comes first.
     */
    public LinkOut<T> name(LinkOut.NameGone<T> gone, long localNow) {
        GoneWalk walk = new GoneWalk(gone.known());
        LinkOut.Builder<T> out = new LinkOut.Builder<>();
        long deadline = Math.min(localNow + deadlineMs, gone.deadline());
        if (deadline <= localNow) return named(gone, walk.gone(), out).build(); // no time left to ask: what is known
        List<GoneWalk.Ask> asks = walk.start(gone.below());
        if (walk.done()) return named(gone, walk.gone(), out).build();
        long id = nextWalk++;
        walks.put(id, new Named<>(walk, deadline, gone));
        send(id, asks, out);
        return out.build();
    }

    private void send(long id, List<GoneWalk.Ask> asks, LinkOut.Builder<T> out) {
        for (GoneWalk.Ask a : asks) out.send(a.to(), new FindGone(id, link.partition(), a.hashes()));
    }

    /** Another partition's walk asks: answered at once from this partition's registry (reads only). */
    public LinkOut<T> onFindGone(PartitionedLedger l, FindGone m) {
        String why = !link.linked() ? link.describe() + " is linked to no other partition"
                : !link.has(m.asker()) ? "no partition " + m.asker()
                : m.hashes() == null || m.hashes().isEmpty() || m.hashes().stream().anyMatch(Objects::isNull)
                ? "no hashes, or a null one"
                : null;
        if (why != null) return LinkOut.logged(new Log(Level.WARN, "ignored {}: {}", m, why));
        return LinkOut.send(m.asker(), new GoneFound(m.walk(), link.partition(), m.hashes(), l.goneBelow(m.hashes())));
    }

    /**
     * An answer to one of this entity's walks: the next asks go out; a walk that is done answers. One that is not well
     * formed — no partition it names, a null among its hashes — is ignored with a warning (review 31: a null hash
     * stopped the entity), and its ask sent again.
     */
    public LinkOut<T> onGoneFound(GoneFound m) {
        Named<T> w = walks.get(m.walk());
        if (w == null) return LinkOut.none(); // a duplicate or late answer, or one to an instance before
        String why = !link.has(m.from()) ? "no partition " + m.from()
                : m.hashes() == null || m.hashes().stream().anyMatch(Objects::isNull) || m.found() == null
                ? "no hashes, a null one, or nothing found"
                : m.found().below().keySet().stream().anyMatch(p -> p == null || !link.has(p))
                ? "a remote callee of no partition"
                : null;
        if (why != null) return LinkOut.logged(new Log(Level.WARN, "ignored {}: {}", m, why));
        LinkOut.Builder<T> out = new LinkOut.Builder<>();
        send(m.walk(), w.walk().answered(m.from(), m.hashes(), m.found()), out);
        if (w.walk().done()) {
            walks.remove(m.walk());
            named(w.asked(), w.walk().gone(), out);
        }
        return out.build();
    }

    /** What a walk ended naming {@code all} does: the acquire answered GONE, or the registration's end sent. */
    private static <T> LinkOut.Builder<T> named(LinkOut.NameGone<T> asked, List<BlobHash> all, LinkOut.Builder<T> out) {
        if (asked.registration() != null) return out.toSelf(asked.registration().naming(all));
        return out.answer(asked.replyTo(), CoordinatorCore.goneReply(asked.hash(), all));
    }

    /** With the fences' tick: outstanding asks sent again; a walk past its deadline answers what it found. */
    public LinkOut<T> tick(long localNow) {
        LinkOut.Builder<T> out = new LinkOut.Builder<>();
        List<Named<T>> expired = new ArrayList<>();
        for (var it = walks.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, Named<T>> e = it.next();
            if (localNow >= e.getValue().deadline()) {
                it.remove();
                expired.add(e.getValue());
            } else {
                send(e.getKey(), e.getValue().walk().outstanding(), out);
            }
        }
        for (Named<T> w : expired) {
            out.log(new Log(Level.INFO, "blob-gc {}: the gone blobs below an acquire or a registration named without {} unanswered "
                    + "ask(s): {}", link.describe(), w.walk().outstanding().size(), w.walk().outstanding()));
            named(w.asked(), w.walk().gone(), out);
        }
        return out.build();
    }
}
