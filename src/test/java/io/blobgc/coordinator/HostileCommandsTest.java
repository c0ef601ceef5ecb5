package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Registration;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 19, item 3: the coordinator checks its own inputs; no command, however extreme, makes it throw. */
class HostileCommandsTest {

    @Test
    void everyCommandWithExtremeValuesIsAnsweredNeverThrown() {
        long now = 1_700_000_000_000L;
        PartitionedLedger ledger = new PartitionedLedger(LedgerSettings.DEFAULTS.withGracePeriodMs(0));
        CoordinatorCore core = new CoordinatorCore(false);
        core.recovered(ledger, null, now);
        BlobHash known = BlobHash.sha256("known".getBytes());
        apply(ledger, core.register(ledger, List.of(Registration.of(known)), h -> true, now));
        apply(ledger, core.report(NodeReport.full("n1", 1, 1, List.of(), List.of()), now));
        List<String> threw = new ArrayList<>();
        List<HostileCommands.Named> all = HostileCommands.all(known);
        for (HostileCommands.Named c : all) {
            try {
                apply(ledger, c.command().decide(core, ledger, now));
            } catch (RuntimeException e) {
                threw.add(c.name() + ": " + e);
            }
        }
        assertEquals(List.of(), threw, "commands that threw");
        assertTrue(all.size() > 150, "the hostile set covers every command: " + all.size());
        assertTrue(ledger.totalCollectedBytes() >= 0, "freed bytes went negative: " + ledger.totalCollectedBytes());
    }

    private static Object apply(PartitionedLedger l, CoordinatorCore.Decision<?> d) {
        d.events().forEach(e -> CoordinatorCore.apply(l, e));
        return d.reply().apply(l);
    }
}
