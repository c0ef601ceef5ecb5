package io.blobgc.journal;

import io.blobgc.coordinator.Coordinator;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.LedgerDump;
import io.blobgc.ledger.LedgerSnapshot;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A journal written by an earlier version still recovers, and to the same state: each fixture under
 * {@code src/test/resources/journal-fixture/} holds a coordinator's events and snapshots as the journal and the
 * snapshot store keep them (serializer id, manifest, bytes), and the state they recover to ({@link LedgerDump}).
 * Each is read with today's serialization and recovered (a) from all its events and (b) from each snapshot and the
 * events after it; all must give the checked-in state. A change to the ledger, the events or the snapshot that
 * changes what a stored journal recovers to fails here. What a fixture covers: {@link JournalFixtureWriter}.
 *
 * <p><b>Regenerating.</b> Only when a format change is intended (a new event type, a new field in an event or the
 * snapshot), and never by overwriting: the old fixtures must still recover, so they stay as they are and a new one is
 * added next to them. Extend {@link JournalFixtureWriter}'s scenario to cover the new thing (it refuses to write a
 * fixture that misses an event type or a status), then, from the project root:
 * <pre>
 * mvn -B -o -Dinvoker.skip=true test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=target/test.classpath -Dmdep.includeScope=test
 * java -cp target/test-classes:target/classes:$(cat target/test.classpath) \
 *     io.blobgc.journal.JournalFixtureWriter src/test/resources/journal-fixture/v2
 * </pre>
 * and add {@code "v2"} to {@link #FIXTURES}. The old fixtures' events and snapshots are never touched. If their
 * expected state changes for a good reason (the dump gained a line; a field they never had recovers as a default),
 * edit their {@code expected.txt} by hand and say why in the commit. {@link JournalFixtureWriter#SETTINGS} recovers
 * every fixture: leave it as it is.
 */
class JournalFixtureTest {

    /** Oldest first: the last is today's format, and covers every event type there is. */
    static final List<String> FIXTURES = List.of("v1");

    private static ActorTestKit kit;
    private static Serialization serialization;

    @BeforeAll
    static void start() {
        kit = ActorTestKit.create("JournalFixtureTest");
        serialization = SerializationExtension.get(kit.system());
    }

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    static List<String> fixtures() {
        return FIXTURES;
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void recoversFromTheEventsToTheExpectedState(String fixture) throws IOException {
        List<Coordinator.Event> events = events(fixture);
        PartitionedLedger recovered = JournalFixtureWriter.replay(JournalFixtureWriter.SETTINGS, null, 0, events);
        assertEquals(read(fixture, "expected.txt"), dump(recovered, events));
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void recoversFromEachSnapshotAndTheEventsAfterItToTheExpectedState(String fixture) throws IOException {
        List<Coordinator.Event> events = events(fixture);
        for (String line : lines(fixture, "snapshots.txt")) {
            JournalFixtureWriter.Stored s = JournalFixtureWriter.decode(serialization, line);
            PartitionedLedger recovered = JournalFixtureWriter.replay(JournalFixtureWriter.SETTINGS, (LedgerSnapshot) s.value(),
                    (int) s.seqNr(), events);
            assertEquals(read(fixture, "expected.txt"), dump(recovered, events), "from the snapshot at " + s.seqNr());
        }
    }

    /** A new event type needs a new fixture (and the newest covers them all). */
    @Test
    void theNewestFixtureHasEveryEventType() throws IOException {
        Set<Class<?>> found = events(FIXTURES.get(FIXTURES.size() - 1)).stream().map(Object::getClass)
                .collect(Collectors.toSet());
        assertEquals(JournalFixtureWriter.eventTypes(), found);
    }

    /**
     * A journal from before takeovers recorded the number of partitions (partitions.md, step 1) reads as recording none,
     * from its events and from its snapshots: the coordinator takes it for a journal of one partition. Nor did they
     * record the hosting or a partition (partitions-part2-plan.md, S1.0): none, the coordinator's journal.
     */
    @Test
    void theOldestFixtureRecordsNoNumberOfPartitionsNorHosting() throws IOException {
        String oldest = FIXTURES.get(0);
        List<Coordinator.Event> events = events(oldest);
        assertTrue(events.stream().anyMatch(e -> e instanceof Coordinator.TookOver));
        for (Coordinator.Event e : events) {
            if (e instanceof Coordinator.TookOver t) {
                assertEquals(0, t.partitions(), t.toString());
                assertNull(t.hosting(), t.toString());
                assertNull(t.partition(), t.toString());
            }
        }
        PartitionedLedger replayed = JournalFixtureWriter.replay(JournalFixtureWriter.SETTINGS, null, 0, events);
        assertEquals(0, replayed.recordedPartitions());
        assertNull(replayed.recordedHosting());
        assertNull(replayed.recordedPartition());
        for (String line : lines(oldest, "snapshots.txt")) {
            JournalFixtureWriter.Stored s = JournalFixtureWriter.decode(serialization, line);
            LedgerSnapshot snapshot = (LedgerSnapshot) s.value();
            assertEquals(0, snapshot.partitions(), "the snapshot at " + s.seqNr());
            assertNull(snapshot.hosting(), "the snapshot at " + s.seqNr());
            assertNull(snapshot.partition(), "the snapshot at " + s.seqNr());
        }
    }

    private static String dump(PartitionedLedger recovered, List<Coordinator.Event> events) {
        return LedgerDump.of(recovered, JournalFixtureWriter.hashesIn(events), JournalFixtureWriter.NAMES);
    }

    private static List<Coordinator.Event> events(String fixture) throws IOException {
        List<Coordinator.Event> events = new ArrayList<>();
        for (String line : lines(fixture, "events.txt")) {
            JournalFixtureWriter.Stored s = JournalFixtureWriter.decode(serialization, line);
            assertEquals(events.size() + 1, s.seqNr(), "sequence numbers from 1, one by one");
            events.add((Coordinator.Event) s.value());
        }
        return events;
    }

    private static List<String> lines(String fixture, String file) throws IOException {
        return read(fixture, file).lines().toList();
    }

    private static String read(String fixture, String file) throws IOException {
        String name = "/journal-fixture/" + fixture + "/" + file;
        try (InputStream in = JournalFixtureTest.class.getResourceAsStream(name)) {
            assertNotNull(in, name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
