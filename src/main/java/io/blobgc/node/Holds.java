package io.blobgc.node;

import io.blobgc.BlobHash;
import io.blobgc.node.ReporterCore.LeaseHolder;
import io.blobgc.node.ReporterCore.Output;
import io.blobgc.node.ReporterCore.Unwatch;
import io.blobgc.node.ReporterCore.Watch;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Who on this node holds which blob, and how many times: {@link ReporterCore}'s holds. A holder that is not a
 * {@link LeaseHolder} is watched ({@link Watch}) from its first hold until it holds nothing ({@link Unwatch}).
 */
final class Holds {

    /** Per holder, how many times it holds each blob; {@link #held} is their sum per blob. */
    private final Map<Object, Map<BlobHash, Integer>> holders = new HashMap<>();
    private final Map<BlobHash, Integer> held = new HashMap<>();

    /** Whether anyone on this node holds {@code hash}. */
    boolean isHeld(BlobHash hash) {
        return held.containsKey(hash);
    }

    /** The blobs held by anyone (a live view). */
    Set<BlobHash> heldBlobs() {
        return held.keySet();
    }

    /** What {@code holder} holds, and how many times (empty if nothing). */
    Map<BlobHash, Integer> of(Object holder) {
        return holders.getOrDefault(holder, Map.of());
    }

    void hold(Object holder, BlobHash hash, List<Output> out) {
        Map<BlobHash, Integer> mine = holders.get(holder);
        if (mine == null) {
            mine = new HashMap<>();
            holders.put(holder, mine);
            if (!(holder instanceof LeaseHolder)) out.add(new Watch(holder));
        }
        mine.merge(hash, 1, Integer::sum);
        held.merge(hash, 1, Integer::sum);
    }

    void release(Object holder, BlobHash hash, List<Output> out) {
        Map<BlobHash, Integer> mine = holders.get(holder);
        if (mine == null || !mine.containsKey(hash)) return;
        if (mine.merge(hash, -1, Integer::sum) == 0) mine.remove(hash);
        if (held.merge(hash, -1, Integer::sum) == 0) held.remove(hash);
        if (mine.isEmpty()) {
            holders.remove(holder);
            if (!(holder instanceof LeaseHolder)) out.add(new Unwatch(holder));
        }
    }

    void releaseAll(Object holder) {
        Map<BlobHash, Integer> mine = holders.remove(holder);
        if (mine == null) return;
        mine.forEach((h, n) -> {
            if (held.merge(h, -n, Integer::sum) <= 0) held.remove(h);
        });
    }
}
