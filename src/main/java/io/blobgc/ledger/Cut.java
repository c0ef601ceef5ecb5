package io.blobgc.ledger;

import io.blobgc.BlobHash;
import io.blobgc.CborSerializable;

import java.util.List;

/**
 * The part of the settle round's cut (partitions-part2-plan §10, tier 2) that one export carries: a Chandy–Lamport
 * style marker. Its sender had taken cut {@code id} when it built the export; its target takes that cut too if it is
 * newer than its own (the marker rule), and marks the content named here as cut imports, whose remote callees its
 * next flush forwards as cut content in turn ({@link Exports#flush}).
 *
 * @param id    the cut's id (&gt; 0), allocated by the settle round ({@link SettleRound#queryCut})
 * @param seq   the sender's cut seq to this target: it goes up with every report that carries cut content
 *              ({@code base} or {@code added}); the target keeps it as its cut mark of the sender once the report is
 *              applied ({@link SettleStatus#cutApplied})
 * @param base  the report is the first to this target since its sender took the cut, or a FULL: every blob the
 *              target's view of the sender holds is cut content (the view holds at least what the sender exported
 *              as of this build: reports are applied in order and provisional views add only)
 * @param added the hashes its sender added to its cut content to this target since its last report
 */
public record Cut(long id, long seq, boolean base, List<BlobHash> added) implements CborSerializable {

    public Cut {
        added = added == null ? List.of() : List.copyOf(added.stream().filter(java.util.Objects::nonNull).toList());
    }

    /** Whether this part names cut content: a base, or hashes added. */
    public boolean hasContent() {
        return base || !added.isEmpty();
    }
}
