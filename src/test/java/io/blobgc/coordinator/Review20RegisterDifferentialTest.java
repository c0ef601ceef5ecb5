package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.LedgerSnapshot;
import io.blobgc.ledger.Registration;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Review 20: the worklist registration against the fixpoint it replaced (HEAD~6), on random ledgers and batches. */
class Review20RegisterDifferentialTest {

    static BlobHash h(int b) {
        byte[] bytes = new byte[32];
        Arrays.fill(bytes, (byte) b);
        return BlobHash.of(bytes);
    }

    static final BlobStatus[] STATUSES = {BlobStatus.ACTIVE, BlobStatus.UNREFERENCED, BlobStatus.MARKED_FOR_COLLECTION,
            BlobStatus.DELETING, BlobStatus.COLLECTED};

    static LedgerSnapshot randomSnapshot(Random r, int known, int pool) {
        ByteBuffer packed = ByteBuffer.allocate(known * LedgerSnapshot.BLOB_BYTES);
        List<LedgerSnapshot.Extra> extras = new ArrayList<>();
        for (int i = 1; i <= known; i++) {
            BlobHash x = h(i);
            packed.putLong(x.w0()).putLong(x.w1()).putLong(x.w2()).putLong(x.w3());
            packed.put(STATUSES[r.nextInt(STATUSES.length)].code()).putLong(1000 + i).putInt(1);
            List<BlobHash> deps = new ArrayList<>();
            int n = r.nextInt(3);
            for (int k = 0; k < n; k++) {
                int d = 1 + r.nextInt(known);
                if (d != i) deps.add(h(d));
            }
            if (!deps.isEmpty()) extras.add(new LedgerSnapshot.Extra(x, deps, List.of(), 0, 0));
        }
        return new LedgerSnapshot(1, 0, false, 0, 0, 0, known, packed.array(), extras, List.of(), null, null, 0);
    }

    record Outcome(Set<BlobHash> accepted, Set<BlobHash> rejected, Set<BlobHash> used) {
    }

    static Outcome fresh(PartitionedLedger l, List<Registration> batch, Predicate<BlobHash> stored) {
        var d = new CoordinatorCore(false).register(l, batch, stored, 5000);
        var reply = d.reply().apply(l);
        Set<BlobHash> used = new TreeSet<>();
        for (var e : d.events()) if (e instanceof Coordinator.BlobsUsed u) used.addAll(u.hashes());
        return new Outcome(new TreeSet<>(reply.accepted()), new TreeSet<>(reply.rejected()), used);
    }

    /** HEAD~6's CoordinatorCore.register, its decisions only. */
    static Outcome old(PartitionedLedger l, List<Registration> given, Predicate<BlobHash> stored) {
        Set<BlobHash> hashes = new LinkedHashSet<>();
        for (Registration r : given) hashes.add(r.hash());
        Set<BlobHash> rejected = new LinkedHashSet<>(l.checkRegister(hashes));
        for (BlobHash h : hashes) {
            if (rejected.contains(h)) continue;
            Optional<BlobStatus> s = l.status(h);
            if ((s.isEmpty() || s.get() == BlobStatus.COLLECTED) && !stored.test(h)) rejected.add(h);
        }
        for (boolean changed = true; changed; ) {
            changed = false;
            for (Registration r : given) {
                if (rejected.contains(r.hash())) continue;
                for (BlobHash d : r.dependencies()) {
                    boolean inBatch = hashes.contains(d) && !rejected.contains(d);
                    if (!inBatch && !l.hasContentInClosure(d)) {
                        rejected.add(r.hash());
                        changed = true;
                        break;
                    }
                }
            }
        }
        List<Registration> accepted = given.stream().filter(r -> !rejected.contains(r.hash())).toList();
        Set<BlobHash> reached = new LinkedHashSet<>();
        for (Registration r : accepted) {
            Optional<BlobStatus> s = l.status(r.hash());
            boolean inUse = s.isPresent() && (s.get() == BlobStatus.ACTIVE || s.get() == BlobStatus.PINNED
                    || l.isProtected(r.hash()));
            if (inUse) reached.add(r.hash());
        }
        for (boolean grew = !reached.isEmpty(); grew; ) {
            grew = false;
            for (Registration r : accepted) if (reached.contains(r.hash())) grew |= reached.addAll(r.dependencies());
        }
        Set<BlobHash> used = new TreeSet<>();
        for (Registration r : accepted) {
            if (!reached.contains(r.hash())) continue;
            for (BlobHash d : r.dependencies()) used.addAll(l.waitingOutGrace(d));
        }
        Set<BlobHash> acc = new TreeSet<>();
        for (Registration r : accepted) acc.add(r.hash());
        return new Outcome(acc, new TreeSet<>(rejected), accepted.isEmpty() ? Set.of() : used);
    }

    @Test
    void theWorklistDecidesAsTheFixpointDid() {
        for (int seed = 0; seed < 20_000; seed++) {
            Random r = new Random(seed);
            int known = 1 + r.nextInt(8), pool = known + 1 + r.nextInt(4);
            LedgerSnapshot s = randomSnapshot(r, known, pool);
            List<Registration> batch = new ArrayList<>();
            int n = 1 + r.nextInt(5);
            for (int i = 0; i < n; i++) {
                List<BlobHash> deps = new ArrayList<>();
                int k = r.nextInt(4);
                for (int j = 0; j < k; j++) deps.add(h(1 + r.nextInt(pool)));
                batch.add(new Registration(h(1 + r.nextInt(pool)), deps));
            }
            long storedMask = r.nextLong();
            Predicate<BlobHash> stored = x -> ((storedMask >>> (x.w0() & 63)) & 1) == 1;
            Outcome a = old(PartitionedLedger.fromSnapshot(LedgerSettings.DEFAULTS, s), batch, stored);
            Outcome b = fresh(PartitionedLedger.fromSnapshot(LedgerSettings.DEFAULTS, s), batch, stored);
            assertEquals(a, b, "seed " + seed + ": batch " + batch);
        }
    }
}
