package io.blobgc.ledger;

import io.blobgc.BlobHash;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One fence across partitions (partitions.md §2, steps 2 to 5) as a state machine, with no messages of its own: the
 * breadth-first walk that records every remote callee below some roots in its owner, hop by hop, each in the view of
 * the partition whose exports will list it. Its driver sends the {@link ProtectAsk}s it gives, hands it each answer
 * ({@link #answered}) and sends the next asks: {@link PartitionedLedger} at once, by method call, in the order they
 * are given (one JVM); a partition entity over messages, resending what is {@link #outstanding} (part 2).
 *
 * <p>A hash is asked once per walk (one visited set), so cycles end and a hash met on two paths is recorded once. An
 * answer is matched to its ask by the partition that sent it and the hashes it names — every hash of an ask is
 * answered recorded, gone or stale ({@link Ledger#protect}), and no two asks of a walk share a hash — so a duplicate
 * answer, or one to an ask already answered, matches nothing and changes nothing.
 */
public final class FenceWalk {

    /**
     * One {@code Protect} to send (partitions.md §2): partition {@code to} records {@code hashes} in the view of
     * partition {@code onBehalfOf}, after that partition's report ({@code incarnation}, {@code afterSeq}) to it.
     */
    public record ProtectAsk(int to, int onBehalfOf, long incarnation, long afterSeq, List<BlobHash> hashes) {
        public ProtectAsk {
            hashes = List.copyOf(hashes);
        }
    }

    private final Set<BlobHash> asked = new HashSet<>();
    /** The asks sent and not answered yet, in the order they were given. */
    private final Set<ProtectAsk> outstanding = new LinkedHashSet<>();
    /** The outstanding ask of each hash: what an answer naming it answers. */
    private final Map<BlobHash, ProtectAsk> askOf = new HashMap<>();
    private final List<BlobHash> gone = new ArrayList<>(), stale = new ArrayList<>();

    /**
     * The asks that begin the walk: partition {@code root}'s frontier below its roots ({@link Ledger#frontier}).
     * Where the roots lie in several partitions (one JVM), each gives its frontier, before or between answers.
     */
    public List<ProtectAsk> start(int root, Collection<ProtectOutcome.Frontier> frontiers) {
        return ask(root, frontiers);
    }

    /**
     * Partition {@code from} answered one of this walk's asks: its gone and stale hashes are kept, and its frontier
     * gives the next asks, on behalf of {@code from}. An answer that matches no outstanding ask (a duplicate, or one
     * whose ask was already answered) gives nothing and changes nothing.
     */
    public List<ProtectAsk> answered(int from, ProtectOutcome outcome) {
        ProtectAsk ask = askAnswered(from, outcome);
        if (ask == null) return List.of();
        outstanding.remove(ask);
        for (BlobHash h : ask.hashes()) askOf.remove(h);
        gone.addAll(outcome.gone());
        stale.addAll(outcome.stale());
        return ask(from, outcome.frontier());
    }

    /** The outstanding ask to {@code from} of exactly the hashes {@code outcome} names, or null. */
    private ProtectAsk askAnswered(int from, ProtectOutcome outcome) {
        List<BlobHash> named = new ArrayList<>(outcome.recorded());
        named.addAll(outcome.gone());
        named.addAll(outcome.stale());
        if (named.isEmpty()) return null;
        ProtectAsk ask = askOf.get(named.get(0));
        if (ask == null || ask.to() != from || ask.hashes().size() != named.size()) return null;
        return Set.copyOf(ask.hashes()).equals(Set.copyOf(named)) ? ask : null;
    }

    /** The asks of {@code frontiers}, on behalf of {@code asker}: each hash not asked before in this walk. */
    private List<ProtectAsk> ask(int asker, Collection<ProtectOutcome.Frontier> frontiers) {
        List<ProtectAsk> out = new ArrayList<>();
        for (ProtectOutcome.Frontier f : frontiers) {
            List<BlobHash> hashes = new ArrayList<>();
            for (BlobHash h : f.hashes()) if (asked.add(h)) hashes.add(h);
            if (hashes.isEmpty()) continue;
            ProtectAsk ask = new ProtectAsk(f.partition(), asker, f.incarnation(), f.seqTo(), hashes);
            outstanding.add(ask);
            for (BlobHash h : hashes) askOf.put(h, ask);
            out.add(ask);
        }
        return out;
    }

    /** Whether every ask given so far was answered: the fence is complete, and {@link #gone}/{@link #stale} final. */
    public boolean done() {
        return outstanding.isEmpty();
    }

    /** The asks given and not answered yet, oldest first: what a driver resends. */
    public List<ProtectAsk> outstanding() {
        return List.copyOf(outstanding);
    }

    /** The hashes answered gone so far, in the order of the answers. */
    public List<BlobHash> gone() {
        return List.copyOf(gone);
    }

    /** The hashes answered stale so far (asked after a later report of the asking partition: nothing recorded). */
    public List<BlobHash> stale() {
        return List.copyOf(stale);
    }

    /** The hashes answered gone or stale: what the fence could not record, and a pin's refusal names. */
    public List<BlobHash> notRecorded() {
        List<BlobHash> out = new ArrayList<>(gone);
        out.addAll(stale);
        return out;
    }
}
