package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The open-addressing table behind the ledger. */
class BlobTableTest {

    /**
     * Found by the simulation (a journal replay whose ledger answered a status for a pruned blob): the add that grew
     * the index inserted its id twice, so removing that blob left a slot pointing at a freed id.
     */
    @Test
    void aBlobRemovedAfterItsAddGrewTheIndexIsGoneAndEveryOtherStaysFindable() {
        BlobTable t = new BlobTable(4);
        List<BlobHash> added = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            BlobHash h = BlobHash.sha256(("blob " + i).getBytes());
            added.add(h);
            int id = t.add(h);
            // remove every blob once, right after its add: whichever add grew the index is covered
            t.remove(id);
            assertEquals(-1, t.find(h), "a removed blob is still found (add " + i + ")");
            assertEquals(id, t.add(h));
        }
        for (BlobHash h : added) {
            int id = t.find(h);
            assertEquals(h, t.hash(id));
            assertFalse(t.isFree(id));
        }
        assertEquals(added.size(), t.size());
    }
}
