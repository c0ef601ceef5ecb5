package io.blobgc.demo;

import io.blobgc.BlobHash;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The demo's blobs and who uses them when, computed the same way by the driver and by every node's simulated VM:
 * {@code FUNCTIONS} function blobs (some calling one of {@code LIBRARIES} library blobs) with real bytes, and a
 * schedule of which functions each node's VM runs in each phase.
 */
public final class DemoCatalog {

    static final int FUNCTIONS = 30;
    static final int LIBRARIES = 6;
    /** The function the operator pins. */
    public static final int PINNED = 0;

    private final List<byte[]> contents = new ArrayList<>();
    private final List<BlobHash> hashes = new ArrayList<>();

    public DemoCatalog() {
        for (int l = 0; l < LIBRARIES; l++) add(content("library lib" + l + "\n", l));
        for (int f = 0; f < FUNCTIONS; f++) {
            String head = "function f" + f + (callsLibrary(f) ? " calls " + hashes.get(library(f)).toHex() : "");
            add(content(head + "\n", 1000 + f));
        }
    }

    /** A blob's bytes: {@code head}, then a body drawn from {@code seed}. */
    private static byte[] content(String head, int seed) {
        byte[] h = head.getBytes(StandardCharsets.UTF_8);
        Random r = new Random(seed);
        byte[] body = new byte[512 + r.nextInt(3584)];
        r.nextBytes(body);
        byte[] content = new byte[h.length + body.length];
        System.arraycopy(h, 0, content, 0, h.length);
        System.arraycopy(body, 0, content, h.length, body.length);
        return content;
    }

    private void add(byte[] content) {
        contents.add(content);
        hashes.add(BlobHash.sha256(content));
    }

    /** Index of blob: libraries 0..L-1, then functions. */
    public static int function(int f) {
        return LIBRARIES + f;
    }

    static boolean callsLibrary(int f) {
        return f % 3 == 0;
    }

    static int library(int f) {
        return f % LIBRARIES;
    }

    public int size() {
        return hashes.size();
    }

    public BlobHash hash(int index) {
        return hashes.get(index);
    }

    public byte[] content(int index) {
        return contents.get(index);
    }

    /** The blobs {@code index} calls (a function may call a library). */
    public List<BlobHash> dependencies(int index) {
        if (index < LIBRARIES) return List.of();
        int f = index - LIBRARIES;
        return callsLibrary(f) ? List.of(hashes.get(library(f))) : List.of();
    }

    public String name(int index) {
        return index < LIBRARIES ? "lib" + index : "f" + (index - LIBRARIES);
    }

    /** The index of a blob of this catalog. */
    public int indexOf(BlobHash h) {
        int i = hashes.indexOf(h);
        if (i < 0) throw new IllegalArgumentException("not a blob of the demo catalog: " + h);
        return i;
    }

    /**
     * What must stay on disk once the VMs of {@code liveNodes} run their final phase: the functions they run,
     * the pinned one, and the callees of those.
     */
    public Set<Integer> keptAtEnd(Iterable<Integer> liveNodes, long finalPhase, long seed) {
        Set<Integer> keep = new LinkedHashSet<>();
        for (int node : liveNodes) keep.addAll(uses(node, finalPhase, finalPhase, seed));
        keep.add(function(PINNED));
        for (Integer i : Set.copyOf(keep)) for (BlobHash d : dependencies(i)) keep.add(indexOf(d));
        return keep;
    }

    /**
     * The functions (blob indexes) node {@code node} (1-based) runs in {@code phase}: on the demo's own schedule when
     * {@code seed} is 0, else on a random one drawn from {@code seed}.
     */
    static Set<Integer> uses(int node, long phase, long finalPhase, long seed) {
        Set<Integer> out = new LinkedHashSet<>();
        if (phase >= finalPhase) {
            out.add(function(2 * node));
            out.add(function(2 * node + 1));
            return out;
        }
        for (int f = 0; f < FUNCTIONS; f++) {
            boolean used = seed == 0 ? Math.floorMod(f * 31 + phase * 7 + node * 13, 5) == 0
                    : new Random(seed * 1_000_003L + phase * 7919L + node * 104_729L + f).nextInt(5) == 0;
            if (used) out.add(function(f));
        }
        return out;
    }
}
