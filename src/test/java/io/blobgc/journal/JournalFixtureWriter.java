package io.blobgc.journal;

import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator;
import io.blobgc.coordinator.CoordinatorCore;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.LedgerDump;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.LedgerSnapshot;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Registration;
import io.blobgc.ledger.StaleNodePolicy;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import io.blobgc.store.BlobStore;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Writes a journal fixture for {@link JournalFixtureTest}: a coordinator's journal as today's code writes it,
 * snapshots (three part-way through, one at the end), and the state a recovery must arrive at. The journal comes
 * from the coordinator's pure core ({@link CoordinatorCore}'s decisions, applied with {@link CoordinatorCore#apply},
 * as the actor does) on a fixed clock with fixed inputs, so every run writes the same files: three instances (A, then
 * failovers to B and C), two nodes, a dozen blobs with dependencies, operator and node pins, a pin that expires, a
 * frozen cycle (no quorum) and a dry run, deletions confirmed, failed and finished for a predecessor, condemned
 * orphans and pruned tombstones. Before it writes anything it checks that every event type and every blob status
 * occur, and that the live ledger, a replay of the journal and a recovery from each snapshot agree.
 *
 * <p>Files, in {@code <dir>}: {@code events.txt} and {@code snapshots.txt} hold one stored record per line, as
 * the JDBC journal and snapshot store keep it — {@code seqNr<TAB>serializerId<TAB>manifest<TAB>base64(bytes)} —
 * from the serializer Pekko picks for it (reference.conf binds {@code io.blobgc.CborSerializable} to
 * {@code jackson-cbor}); a snapshot's seqNr is the last event it covers. {@code expected.txt} is the
 * {@link LedgerDump} of the recovered ledger.
 *
 * <p>Usage (from the project root; see {@link JournalFixtureTest} for when and how):
 * {@code JournalFixtureWriter <dir>}, e.g. {@code src/test/resources/journal-fixture/v2}. It refuses to write into an
 * existing directory.
 */
public final class JournalFixtureWriter {

    /** The ledger settings the fixtures are written and recovered with: grace 1 min, stale 2 min, tombstones 5 min. */
    static final LedgerSettings SETTINGS =
            new LedgerSettings(60_000L, 120_000L, 1, StaleNodePolicy.RETAIN, 300_000L, 100);
    private static final long BATCH_DEADLINE = 30_000L;
    private static final long ORPHAN_GRACE = 3_600_000L;

    private final List<Coordinator.Event> journal = new ArrayList<>();
    private long now = 1_700_000_000_000L; // wall clock (persisted times)
    private long mono; // every instance's monotonic clock (S10's assumption: one clock)
    private PartitionedLedger ledger;
    private CoordinatorCore core;
    private final Map<String, Long> seqs = new HashMap<>();
    private final Map<String, List<BlobHash>> holds = new HashMap<>();
    private final Map<String, List<BlobHash>> nodePins = new HashMap<>();
    /** Snapshots taken part-way through, each with how many events it covers. */
    private final List<Map.Entry<Integer, LedgerSnapshot>> snapshots = new ArrayList<>();

    /** The fixtures' blobs by hash: their names (a name's hash never changes, old fixtures read it too). */
    static final Map<BlobHash, String> NAMES = new TreeMap<>();

    private static BlobHash blob(String name) {
        BlobHash h = BlobHash.sha256(("journal-fixture/" + name).getBytes(StandardCharsets.UTF_8));
        NAMES.put(h, name);
        return h;
    }

    private static final BlobHash base = blob("base"), lib = blob("lib"), app = blob("app"), cfg = blob("cfg"),
            old1 = blob("old1"), old2 = blob("old2"), stuck = blob("stuck"), expiring = blob("expiring"),
            unpinned = blob("unpinned"), nodePinned = blob("node-pinned"), collected = blob("collected"),
            callee = blob("callee"), rescued = blob("rescued"), late = blob("late"),
            orphan1 = blob("orphan-1"), orphan2 = blob("orphan-2");

    /** Runs the scenario: the journal, and {@link #snapshots}. */
    private void scenario() {
        // ---- instance A (generation 1)
        takeOver("coordinator-A");
        run(core.register(ledger, List.of(Registration.of(base), new Registration(lib, List.of(base)),
                new Registration(app, List.of(lib, cfg)), Registration.of(cfg), Registration.of(old1),
                Registration.of(old2), Registration.of(stuck), Registration.of(expiring), Registration.of(unpinned),
                Registration.of(nodePinned), Registration.of(collected), Registration.of(callee),
                Registration.of(rescued)), h -> true, now, mono));
        acquire("n1", app);
        run(core.pin(ledger, cfg, "ops", "release 1.0", null, now));
        run(core.pin(ledger, expiring, "ci", "build 42", 90_000L, now));
        run(core.pin(ledger, unpinned, "alice", "look at it", null, now));
        pass(1_000);
        run(core.unpin(ledger, unpinned, "alice"));
        cycle(); // the unheld ones start their grace
        delta("n2", List.of(), List.of(), List.of(nodePinned), List.of());
        pass(30_000);
        cycle(); // rescues node-pinned: PINNED
        acquire("n1", rescued); // waiting out its grace: BlobsUsed
        run(core.register(ledger, List.of(new Registration(app, List.of(lib, cfg, callee))), h -> true, now, mono));
        run(core.register(ledger, List.of(Registration.of(late)), h -> true, now, mono));
        pass(35_000);
        cycle(); // marks old1, old2, stuck, collected, unpinned; late starts its grace
        heartbeat();
        run(core.startDeletion(ledger, 10, now));
        run(core.confirmDeleted(List.of(old1, old2), 2_048, now));
        run(core.deletionFailed(ledger, stuck, "disk on fire", now));
        // a page of the store's listing: orphan-1 is content nothing registered, late is registered
        run(core.storePage(ledger, null, List.of(new BlobStore.Entry(orphan1, now - 2 * ORPHAN_GRACE),
                new BlobStore.Entry(late, now - 2 * ORPHAN_GRACE)), true, false, now, ORPHAN_GRACE));
        run(core.startDeletion(ledger, 10, now)); // the failed one and the orphan
        takeSnapshot();

        // ---- failover to B (generation 2): A paused with unpinned, collected, stuck and orphan-1 in its batches
        pass(5_000);
        takeOver("coordinator-B");
        run(core.startDeletion(ledger, 10, now));
        run(core.confirmDeleted(List.of(collected, orphan1), 1_024, now)); // deleted for A
        run(core.deletionFailed(ledger, stuck, "disk still on fire", now));
        pass(130_000); // no node reports for longer than the stale threshold
        run(core.cycle(ledger, false, now, mono)); // below quorum: frozen; the pin on expiring expires all the same
        takeSnapshot();
        cycle(); // quorum again: every grace counts from now on; expiring starts its grace
        run(core.windowOver(ledger, mono, now)); // PredecessorsDone("B"): what was deleted for A is forgotten
        pass(65_000);
        heartbeat();
        run(core.cycle(ledger, true, now, mono)); // an operator's dry run: would mark late and expiring
        cycle(); // marks late and expiring
        heartbeat();
        run(core.startDeletion(ledger, 2, now)); // stuck again, and one of them (B pauses here)
        takeSnapshot();

        // ---- failover to C (generation 3)
        pass(5_000);
        takeOver("coordinator-C");
        List<BlobHash> batch = run(core.startDeletion(ledger, 3, now)); // stuck, unpinned, B's; the other one waits
        run(core.confirmDeleted(batch.stream().filter(h -> !h.equals(stuck)).toList(), 3_072, now)); // B's: for B
        run(core.deletionFailed(ledger, stuck, "disk on fire again", now)); // the 3rd failure: not journaled
        run(core.deletionFailed(ledger, stuck, "disk on fire again", now)); // the 4th: journaled
        run(core.storePage(ledger, core.orphanScanAfter(), List.of(new BlobStore.Entry(orphan2,
                now - 2 * ORPHAN_GRACE)), true, false, now, ORPHAN_GRACE));
        pass(100_000);
        delta("n1", List.of(), List.of(rescued), List.of(), List.of());
        cycle(); // the tombstones of old1, old2 and collected are pruned; rescued starts its grace again
        pass(130_000); // the nodes fall silent again
        run(core.cycle(ledger, false, now, mono)); // the journal ends frozen
        takeSnapshot(); // at the end: a recovery from it alone (frozen and the grace reset come only from it)
    }

    private void takeSnapshot() {
        snapshots.add(Map.entry(journal.size(), ledger.snapshot()));
    }

    // ---- the coordinator and its two nodes, as the actors would drive them

    private <R> R run(CoordinatorCore.Decision<R> d) {
        for (Coordinator.Event e : d.events()) {
            journal.add(e);
            CoordinatorCore.apply(ledger, e);
        }
        return d.reply().apply(ledger);
    }

    private void pass(long ms) {
        now += ms;
        mono += ms;
    }

    /** A new instance: recovers from the journal, writes its takeover, and every node sends it a FULL report. */
    private void takeOver(String instance) {
        ledger = replay(SETTINGS, null, 0, journal);
        core = new CoordinatorCore(false);
        core.recovered(ledger, null, mono);
        run(core.takeOver(instance, now, BATCH_DEADLINE));
        core.tookOver(ledger, mono, BATCH_DEADLINE);
        for (String node : List.of("n1", "n2")) {
            run(core.report(NodeReport.full(node, 1, nextSeq(node), holds.getOrDefault(node, List.of()),
                    nodePins.getOrDefault(node, List.of())), mono));
        }
    }

    private long nextSeq(String node) {
        return seqs.merge(node, 1L, Long::sum);
    }

    private void acquire(String node, BlobHash h) {
        AcquireReply r = run(core.acquire(ledger, node, 1, seqs.getOrDefault(node, 0L), h, now, mono));
        check(r.result() == AcquireResult.ACQUIRED, "acquire " + r);
        delta(node, List.of(h), List.of(), List.of(), List.of());
    }

    private void delta(String node, List<BlobHash> added, List<BlobHash> removed, List<BlobHash> pinsAdded,
                       List<BlobHash> pinsRemoved) {
        List<BlobHash> held = new ArrayList<>(holds.getOrDefault(node, List.of()));
        held.addAll(added);
        held.removeAll(removed);
        holds.put(node, held);
        List<BlobHash> pins = new ArrayList<>(nodePins.getOrDefault(node, List.of()));
        pins.addAll(pinsAdded);
        pins.removeAll(pinsRemoved);
        nodePins.put(node, pins);
        run(core.report(NodeReport.delta(node, 1, nextSeq(node), added, removed, pinsAdded, pinsRemoved), mono));
    }

    /** Every node's heartbeat: a view newer than the last cycle's decisions (the confirmations marking waits for). */
    private void heartbeat() {
        pass(1_000);
        for (String node : List.of("n1", "n2")) delta(node, List.of(), List.of(), List.of(), List.of());
    }

    private void cycle() {
        heartbeat();
        run(core.cycle(ledger, false, now, mono));
    }

    // ---- recovery, and the files

    /** A recovery: from {@code snapshot} (null: none) and the events after {@code snapshotSeqNr}. */
    static PartitionedLedger replay(LedgerSettings settings, LedgerSnapshot snapshot, int snapshotSeqNr,
                         List<Coordinator.Event> events) {
        PartitionedLedger l = snapshot == null ? new PartitionedLedger(settings) : PartitionedLedger.fromSnapshot(settings, snapshot);
        for (Coordinator.Event e : events.subList(snapshotSeqNr, events.size())) CoordinatorCore.apply(l, e);
        return l;
    }

    /** Every hash the events name: what the expected state describes. */
    static Set<BlobHash> hashesIn(List<Coordinator.Event> events) {
        Set<BlobHash> out = new LinkedHashSet<>();
        for (Coordinator.Event e : events) {
            if (e instanceof Coordinator.BlobsRegistered r) {
                for (Registration x : r.registrations()) {
                    out.add(x.hash());
                    out.addAll(x.dependencies());
                }
            } else if (e instanceof Coordinator.OrphansCondemned o) {
                out.addAll(o.hashes());
            }
        }
        return out;
    }

    /** Every event type the coordinator persists: each must occur in a fixture. */
    static Set<Class<?>> eventTypes() {
        return Arrays.stream(Coordinator.class.getDeclaredClasses())
                .filter(c -> Coordinator.Event.class.isAssignableFrom(c) && !c.isInterface())
                .collect(Collectors.toSet());
    }

    /** One stored record: {@code seqNr, serializer id, manifest, base64 of the bytes}, tab-separated. */
    static String encode(Serialization serialization, long seqNr, Object value) {
        Serializer serializer = serialization.findSerializerFor(value);
        return seqNr + "\t" + serializer.identifier() + "\t" + Serializers.manifestFor(serializer, value) + "\t"
                + Base64.getEncoder().encodeToString(serializer.toBinary(value));
    }

    /** A record {@link #encode} wrote, and its seqNr. */
    record Stored(long seqNr, Object value) {
    }

    static Stored decode(Serialization serialization, String line) {
        String[] f = line.split("\t", -1);
        if (f.length != 4) throw new IllegalArgumentException("not a stored record: " + line);
        Object value = serialization.deserialize(Base64.getDecoder().decode(f[3]), Integer.parseInt(f[1]), f[2]).get();
        return new Stored(Long.parseLong(f[0]), value);
    }

    private static void check(boolean ok, String what) {
        if (!ok) throw new IllegalStateException("the fixture does not cover what it should: " + what);
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) throw new IllegalArgumentException("usage: JournalFixtureWriter <dir>");
        Path dir = Path.of(args[0]);
        if (Files.exists(dir)) throw new IllegalArgumentException(dir + " exists: fixtures are kept, add a new one");

        JournalFixtureWriter w = new JournalFixtureWriter();
        w.scenario();
        Set<Class<?>> written = w.journal.stream().map(Object::getClass).collect(Collectors.toSet());
        check(written.equals(eventTypes()), "event types " + written + " of " + eventTypes());
        Set<BlobHash> hashes = hashesIn(w.journal);
        Set<BlobStatus> statuses = EnumSet.noneOf(BlobStatus.class);
        for (BlobHash h : hashes) w.ledger.status(h).ifPresent(statuses::add);
        check(statuses.equals(EnumSet.allOf(BlobStatus.class)), "statuses " + statuses);
        check(!w.ledger.deletedForPredecessors().isEmpty(), "something deleted for a predecessor");
        check(!w.ledger.condemnedOrphans(1).isEmpty(), "a condemned orphan");
        check(w.ledger.knownBlobs() < hashes.size() - 1, "pruned tombstones");
        String expected = LedgerDump.of(w.ledger, hashes, NAMES);
        check(expected.equals(LedgerDump.of(replay(SETTINGS, null, 0, w.journal), hashes, NAMES)), "replay = live");
        for (var s : w.snapshots) {
            check(expected.equals(LedgerDump.of(replay(SETTINGS, s.getValue(), s.getKey(), w.journal), hashes, NAMES)),
                    "snapshot " + s.getKey() + " and replay = live");
        }

        ActorTestKit kit = ActorTestKit.create("JournalFixtureWriter");
        try {
            Serialization serialization = SerializationExtension.get(kit.system());
            List<String> events = new ArrayList<>();
            for (int i = 0; i < w.journal.size(); i++) events.add(encode(serialization, i + 1, w.journal.get(i)));
            Files.createDirectories(dir);
            Files.write(dir.resolve("events.txt"), events);
            Files.write(dir.resolve("snapshots.txt"),
                    w.snapshots.stream().map(s -> encode(serialization, s.getKey(), s.getValue())).toList());
            Files.writeString(dir.resolve("expected.txt"), expected);
        } finally {
            kit.shutdownTestKit();
        }
        System.out.println("wrote " + w.journal.size() + " events and snapshots after "
                + w.snapshots.stream().map(Map.Entry::getKey).toList() + " to " + dir);
    }
}
