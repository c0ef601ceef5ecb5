package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator.Protect;
import io.blobgc.coordinator.Coordinator.Protected;
import io.blobgc.coordinator.LinksCore.Send;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.Registration;
import io.blobgc.ledger.TwoPartitions;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * The fixture of the fence cores' tests, with no actor system: A (partition 0) owns x, which calls c, and y; B
 * (partition 1) owns c and e. Both heard from n1, B heard A's exports. Each side has its {@link FenceCore} and a
 * {@link TestJournal}; the messages between them are handed over by hand.
 */
abstract class TwoLinkedCores {

    static final BlobHash X = TwoPartitions.in(0, 1), Y = TwoPartitions.in(0, 2), C = TwoPartitions.in(1, 1),
            E = TwoPartitions.in(1, 2);
    static final List<Registration> REGISTERED = List.of(Registration.of(C), Registration.of(E),
            new Registration(X, List.of(C)));
    static final long TIMEOUT = 8_000;

    final long now = 1_000, localNow = 5_000;
    final CoordinatorCore core = new CoordinatorCore(false);
    final FenceCore<String> coreA = new FenceCore<>(EntityLink.partition(0, 2), TIMEOUT, 100);
    final FenceCore<String> coreB = new FenceCore<>(EntityLink.partition(1, 2), TIMEOUT, 200);
    final TestJournal journalA = new TestJournal(TwoPartitions.SETTINGS);
    final TestJournal journalB = new TestJournal(TwoPartitions.SETTINGS);
    final PartitionedLedger a = TwoPartitions.hosted(0, REGISTERED, 0, false, now);
    final PartitionedLedger b = TwoPartitions.hosted(1, REGISTERED, 0, false, now);

    TwoLinkedCores() {
        a.report(NodeReport.full("n1", 1, 1, List.of(), List.of()), now);
        LinksCore linksB = new LinksCore(EntityLink.partition(1, 2));
        for (Send s : new LinksCore(EntityLink.partition(0, 2)).flush(a, localNow)) {
            linksB.onExport(b, (Coordinator.PartitionExport) s.message(), localNow);
        }
        b.report(NodeReport.full("n1", 1, 1, List.of(), List.of()), now);
    }

    /** B's answer to {@code ask}, its decision carried out in B. */
    Protected answerOfB(Protect ask) {
        LinkOut<String> out = journalB.run(b, coreB.protect(b, ask, now, localNow));
        return assertInstanceOf(Protected.class, out.send().get(0).message());
    }
}
