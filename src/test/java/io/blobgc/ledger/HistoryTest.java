package io.blobgc.ledger;

import io.blobgc.BlobHash;
import io.blobgc.ledger.CycleOutcome.MarkedBlob;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The history packs its entries' blobs (issue 24) and gives back entries equal to those it was given. */
class HistoryTest {

    @Test
    void entriesComeBackEqualNewestFirstAndNullListsStayNull() {
        History h = new History();
        List<HistoryEntry> given = new ArrayList<>();
        for (int c = 1; c <= 5; c++) {
            List<BlobHash> rescued = new ArrayList<>();
            List<MarkedBlob> marked = new ArrayList<>();
            for (int i = 0; i < c * 3; i++) rescued.add(BlobHash.sha256(("rescued " + c + " " + i).getBytes()));
            for (int i = 0; i < c * 7; i++) marked.add(new MarkedBlob(BlobHash.sha256(("marked " + c + " " + i).getBytes()), 1_000L * c + i));
            given.add(new HistoryEntry(c, 30_000L * c, c == 2, c == 3, c == 4, c, rescued.size() + 1, rescued, marked,
                    List.of("node-" + c), List.of(), c, marked.size() + 10));
        }
        // an entry of an old snapshot, written before the lists existed
        given.add(new HistoryEntry(6, 180_000L, false, false, false, 0, 0, null, null, List.of(), List.of(), 0, 0));
        h.addAll(given);
        assertEquals(given, h.all());
        List<HistoryEntry> newest = h.newest(3);
        assertEquals(List.of(given.get(5), given.get(4), given.get(3)), newest);
        assertNull(newest.get(0).rescued());
        assertNull(newest.get(0).marked());
        h.removeFirst();
        assertEquals(given.subList(1, 6), h.all());
        assertEquals(List.of(), h.newest(-1));
    }
}
