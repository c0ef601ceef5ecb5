package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Registration;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * What a hostile or broken sender may put into the coordinator's protocol (a serializable cluster message, not only
 * what the HTTP edge lets through): every command with extreme numbers (0, -1, the extremes of int and long), empty,
 * huge and null-holding lists, nulls. The coordinator answers each — a refusal, an empty page — and never throws.
 * {@link HostileCommandsTest} runs all of them; the simulation's hostile operator draws from {@link #refused}.
 */
public final class HostileCommands {

    private HostileCommands() {
    }

    /** One command as the coordinator decides it. */
    public interface Command {
        CoordinatorCore.Decision<?> decide(CoordinatorCore core, PartitionedLedger l, long now);
    }

    /** @param disturbs whether a coordinator may take it (a view, a registration, a batch): not only refused or read */
    public record Named(String name, Command command, boolean disturbs) {
        Named(String name, Command command) {
            this(name, command, false);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static final long[] LONGS = {0, -1, 1, Long.MIN_VALUE, Long.MAX_VALUE};
    private static final int[] INTS = {0, -1, 1, Integer.MIN_VALUE, Integer.MAX_VALUE};

    /**
     * The commands a coordinator refuses or only reads (reports that are malformed, acquires and pins of a hash it
     * does not hold, registrations it rejects, pages): {@code unknown} must be a hash nobody registers. What the
     * simulation's hostile operator sends to a live coordinator, whose collection the oracle checks meanwhile.
     */
    public static List<Named> refused(BlobHash unknown) {
        return all(unknown).stream().filter(c -> !c.disturbs()).toList();
    }

    /** Every command, {@code known} a hash the registry may hold. */
    public static List<Named> all(BlobHash known) {
        List<Named> out = new ArrayList<>();
        List<BlobHash> withNull = Arrays.asList(known, null);
        for (long n : LONGS) {
            for (int chunk : INTS) {
                for (int chunks : INTS) {
                    boolean wellFormed = chunks >= 1 && chunk >= 0 && chunk < chunks;
                    out.add(new Named("report(inc " + n + ", chunk " + chunk + "/" + chunks + ")", (c, l, now) ->
                            c.report(new NodeReport("hostile", n, n, NodeReport.Kind.FULL, List.of(known), null, null,
                                    null, chunk, chunks), now), wellFormed));
                }
            }
            out.add(new Named("report(delta, seq " + n + ")", (c, l, now) -> c.report(
                    NodeReport.delta("hostile", n, n, List.of(known), List.of(known), List.of(), List.of()), now), true));
            for (long m : LONGS) {
                out.add(new Named("acquire(inc " + n + ", after " + m + ")",
                        (c, l, now) -> c.acquire(l, "hostile", n, m, known, now, now)));
            }
        }
        out.add(new Named("report(null)", (c, l, now) -> c.report(null, now)));
        out.add(new Named("report(null node)", (c, l, now) -> c.report(NodeReport.full(null, 1, 1, List.of(), List.of()),
                now)));
        out.add(new Named("report(null kind)", (c, l, now) -> c.report(new NodeReport("hostile", 1, 1, null, List.of(),
                List.of(), List.of(), List.of(), 0, 1), now)));
        out.add(new Named("report(nulls in lists)", (c, l, now) -> c.report(new NodeReport("hostile", 1, 1,
                NodeReport.Kind.DELTA, withNull, withNull, withNull, withNull, 0, 1), now)));
        out.add(new Named("acquire(null node)", (c, l, now) -> c.acquire(l, null, 1, 1, known, now, now)));
        out.add(new Named("acquire(empty node, null hash)", (c, l, now) -> c.acquire(l, "", 1, 1, null, now, now)));
        out.add(new Named("register(null)", (c, l, now) -> c.register(l, null, h -> true, now)));
        out.add(new Named("register([])", (c, l, now) -> c.register(l, List.of(), h -> true, now)));
        out.add(new Named("register([null])", (c, l, now) -> c.register(l, Collections.singletonList(null), h -> true, now)));
        out.add(new Named("register(self-dependency, twice)", (c, l, now) -> c.register(l,
                List.of(new Registration(known, List.of(known)), new Registration(known, List.of(known))), h -> true, now),
                true));
        List<BlobHash> unknown = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) unknown.add(BlobHash.sha256(("hostile " + i).getBytes()));
        out.add(new Named("register(1,000 unknown callees)", (c, l, now) -> c.register(l,
                List.of(new Registration(BlobHash.sha256("hostile caller".getBytes()), unknown)), h -> true, now)));
        out.add(new Named("register(a store that throws)", (c, l, now) -> c.register(l,
                List.of(Registration.of(BlobHash.sha256("hostile, unknown".getBytes()))), h -> {
                    throw new IllegalStateException("the store is down");
                }, now)));
        for (long ttl : LONGS) {
            out.add(new Named("pin(ttl " + ttl + ")", (c, l, now) -> c.pin(l, known, "hostile", null, ttl, now)));
        }
        out.add(new Named("pin(null hash)", (c, l, now) -> c.pin(l, null, "hostile", "", null, now)));
        out.add(new Named("pin(null owner)", (c, l, now) -> c.pin(l, known, null, "", null, now)));
        out.add(new Named("unpin(nulls)", (c, l, now) -> c.unpin(l, null, null)));
        out.add(new Named("unpin(unknown owner)", (c, l, now) -> c.unpin(l, known, "")));
        for (int offset : INTS) {
            for (int limit : INTS) {
                out.add(new Named("pins(" + offset + ", " + limit + ")", (c, l, now) -> c.pins(offset, limit)));
            }
            out.add(new Named("history(" + offset + ")", (c, l, now) -> c.history(offset)));
        }
        out.add(new Named("deletionFailed(null, null)", (c, l, now) -> c.deletionFailed(l, null, null, now)));
        out.add(new Named("confirmDeleted(null)", (c, l, now) -> c.confirmDeleted(null, 0, now)));
        for (int max : INTS) {
            out.add(new Named("startDeletion(" + max + ")", (c, l, now) -> c.startDeletion(l, max, now), max > 0));
        }
        for (long bytes : LONGS) {
            out.add(new Named("confirmDeleted([known, null], " + bytes + ")",
                    (c, l, now) -> c.confirmDeleted(Arrays.asList(known, null), bytes, now), true));
        }
        return out;
    }
}
