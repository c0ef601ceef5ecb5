package io.blobgc.ledger;

import io.blobgc.BlobHash;
import io.blobgc.CborSerializable;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What an acquire answered GONE names, across partitions: the gone blobs of the acquired blob's whole dependency
 * closure, as {@link Ledger#goneInClosure} names them at P = 1. A VM told GONE uploads what the answer names again,
 * then acquires again; a gone blob left out — one its answerer cannot see, in a third partition below a remote callee
 * — would have the VM upload the rest again and again, each registration refused for the blob not named (review 30:
 * f(0) → lib(1) → lib2(1), f and lib2 collected).
 *
 * <p>A read-only walk, as a state machine with no messages of its own (as {@link FenceWalk}): it asks the owner of
 * each remote callee met ({@link Ask}) which blobs of that callee's local closure are gone and which remote callees lie
 * below it ({@link PartitionedLedger#goneBelow}: a {@link Found}), and asks on below those, each hash once, so cycles
 * end. Nothing is recorded anywhere: it only names. An answer is matched to its ask by the partition that sent it and
 * the hashes asked, which it repeats, so a duplicate or late answer changes nothing.
 */
public final class GoneWalk {

    /** One query to send: partition {@code to} names the gone blobs below {@code hashes}, which it owns. */
    public record Ask(int to, List<BlobHash> hashes) {
        public Ask {
            hashes = List.copyOf(hashes);
        }
    }

    /**
     * An owner's answer to an {@link Ask}: the gone blobs of the asked hashes' local closures (an asked hash it does
     * not know is gone itself), and the remote callees below those closures, by owner partition.
     */
    public record Found(List<BlobHash> gone, Map<Integer, List<BlobHash>> below) implements CborSerializable {
        public Found {
            gone = gone == null ? List.of() : List.copyOf(gone);
            below = below == null ? Map.of() : Map.copyOf(below);
        }
    }

    private final Set<BlobHash> asked = new HashSet<>();
    private final Set<Ask> outstanding = new LinkedHashSet<>();
    private final Set<BlobHash> gone;

    /** A walk whose answer names {@code named} whatever it finds (what its partition knows to be gone already). */
    public GoneWalk(Collection<BlobHash> named) {
        this.gone = new LinkedHashSet<>(named);
    }

    /** The first asks: the remote callees {@code below} the acquired blob's gone part, by owner partition. */
    public List<Ask> start(Map<Integer, ? extends Collection<BlobHash>> below) {
        return ask(below);
    }

    /**
     * Partition {@code from} answered the ask of {@code hashes} with {@code found}: its gone blobs are named, and the
     * remote callees below give the next asks. An answer that matches no outstanding ask gives and changes nothing.
     */
    public List<Ask> answered(int from, List<BlobHash> hashes, Found found) {
        if (hashes == null || found == null || hashes.stream().anyMatch(java.util.Objects::isNull)
                || !outstanding.remove(new Ask(from, hashes))) {
            return List.of();
        }
        gone.addAll(found.gone());
        return ask(found.below());
    }

    /**
     * The most hashes one {@link Ask} names: an answer lists at most the distinct remote callees below them, and must
     * fit a remote frame (2 MiB by default: about 30,000 hashes) as a FULL report's chunk does.
     */
    public static final int MAX_ASK = 1_000;

    private List<Ask> ask(Map<Integer, ? extends Collection<BlobHash>> below) {
        List<Ask> out = new ArrayList<>();
        for (Map.Entry<Integer, ? extends Collection<BlobHash>> e : new java.util.TreeMap<>(below).entrySet()) {
            List<BlobHash> hashes = new ArrayList<>();
            if (e.getValue() != null) for (BlobHash h : e.getValue()) if (h != null && asked.add(h)) hashes.add(h);
            for (int from = 0; from < hashes.size(); from += MAX_ASK) {
                Ask a = new Ask(e.getKey(), hashes.subList(from, Math.min(hashes.size(), from + MAX_ASK)));
                outstanding.add(a);
                out.add(a);
            }
        }
        return out;
    }

    /** Whether every ask was answered: {@link #gone} is the whole gone closure. */
    public boolean done() {
        return outstanding.isEmpty();
    }

    /** The asks not answered yet, oldest first: what a driver sends again. */
    public List<Ask> outstanding() {
        return List.copyOf(outstanding);
    }

    /** What the answer names: those given at the start, then the gone blobs found, in the order of the answers. */
    public List<BlobHash> gone() {
        return List.copyOf(gone);
    }
}
