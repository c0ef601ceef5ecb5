package io.blobgc.coordinator;

import io.blobgc.coordinator.Coordinator.ExportResend;
import io.blobgc.coordinator.Coordinator.PartitionExport;
import io.blobgc.coordinator.Coordinator.PartitionsSettled;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.ReportOutcome;
import io.blobgc.ledger.SettleRound;
import io.blobgc.ledger.SettleStatus;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;

import java.util.ArrayList;
import java.util.List;

/**
 * A linked partition entity's decisions on its messages to and from the other partitions, in plain Java
 * ({@link PartitionLinks} is the actor's glue that calls it): given the entity's ledger and the message, what to send
 * to which partition, whether to flush soon (the debounced flush that answers the asks for a FULL), what to answer a
 * settle poll, and what to log. No Pekko, no I/O, no clock: time is an argument. The ledger is changed in place (its
 * exports are soft state), as the actor did.
 *
 * <p>An entity that is not {@linkplain Hosting#isLinked linked} (the whole, an isolated entity) views no other
 * partition: it sends nothing, and a message from one is logged and dropped.
 */
public final class LinksCore {

    /** {@code message} to partition {@code to}'s entity. */
    public record Send(int to, ToCoordinator message) {
    }

    /** How loud a {@link Log} line is. */
    public enum Level { DEBUG, INFO, WARN }

    /** A log line, as an SLF4J format and its arguments (formatted by the glue's logger, only when enabled). */
    public record Log(Level level, String format, Object... args) {
    }

    /**
     * What to do about one message.
     *
     * @param sends      the messages to send, in order
     * @param flushSoon  start the flush timer ({@link PartitionLinks.FlushExports}) unless it runs already: the flush
     *                   a moment later answers every ask for a FULL that came meanwhile
     * @param answer     the answer to a settle poll; null: none
     * @param logs       the lines to log, in order
     */
    public record Outcome(List<Send> sends, boolean flushSoon, SettleStatus answer, List<Log> logs) {
        static final Outcome NOTHING = new Outcome(List.of(), false, null, List.of());

        public Outcome {
            sends = List.copyOf(sends);
            logs = List.copyOf(logs);
        }

        static Outcome logged(Log log) {
            return new Outcome(List.of(), false, null, List.of(log));
        }
    }

    private final boolean linked;
    private final int partition;
    private final int count;
    /** How the log names the entity ({@link Hosting#describe}). */
    private final String describe;

    /** @param link the entity (an isolated one, or the whole, views no other partition) */
    public LinksCore(EntityLink link) {
        this.linked = link.linked();
        this.partition = link.partition();
        this.count = link.count();
        this.describe = link.describe();
    }

    /** This entity took over (its warm-up began): every other partition is asked for a FULL echoing its generation. */
    public List<Send> tookOver(PartitionedLedger l) {
        if (!linked) return List.of();
        List<Send> out = new ArrayList<>();
        for (int q = 0; q < count; q++) {
            if (q != partition) out.add(new Send(q, new ExportResend(partition, l.generation())));
        }
        return out;
    }

    /**
     * This partition's exports, flushed, each to its target's entity: after each cycle's write (live only), and when a
     * partition asked for a FULL.
     */
    public List<Send> flush(PartitionedLedger l, long localNow) {
        if (!linked) return List.of();
        List<Send> out = new ArrayList<>();
        for (PartitionedLedger.Export e : l.flushExports(partition, localNow)) {
            out.add(new Send(e.to(), new PartitionExport(e.from(), e.to(), e.echo(), e.report(), e.fenced(),
                    e.contentStamp(), e.cut())));
        }
        return out;
    }

    /** Another partition's exports arrived: applied (S8 orders them); a gap, or a FULL not echoing, asks for a FULL. */
    public Outcome onExport(PartitionedLedger l, PartitionExport m, long localNow) {
        Log refused = refusal(m, m.from());
        if (refused != null) return Outcome.logged(refused);
        if (m.to() != partition) return Outcome.NOTHING;
        if (!wellFormed(m)) {
            return Outcome.logged(new Log(Level.WARN, "ignored a malformed export to {}: {}", describe, m));
        }
        var export = new PartitionedLedger.Export(m.from(), m.to(), m.report(), m.echo(), m.fenced(),
                m.contentStamp(), m.cut());
        boolean cutDirty = l.cutDirty(partition);
        if (l.deliverExport(export, localNow) == ReportOutcome.NEED_FULL) {
            return new Outcome(List.of(new Send(m.from(), new ExportResend(partition, l.generation()))), false, null,
                    List.of());
        }
        // it brought cut content (or a cut): forwarded by the flush a moment later, a hop of the cut costs no poll
        return !cutDirty && l.cutDirty(partition) ? new Outcome(List.of(), true, null, List.of()) : Outcome.NOTHING;
    }

    /**
     * A partition asked for a FULL of what this one exports to it, echoing its generation: it goes with the flush a
     * moment later ({@link Outcome#flushSoon}), which answers every ask that came meanwhile — a flush goes to every
     * other partition, so one per ask would multiply the messages of many partitions warming up together (each gap
     * asks, each flush makes more).
     */
    public Outcome onExportResend(PartitionedLedger l, ExportResend m) {
        Log refused = refusal(m, m.asker());
        if (refused != null) return Outcome.logged(refused);
        l.resendExportsFull(partition, m.asker(), m.generation());
        return new Outcome(List.of(), true, null, List.of());
    }

    /** The settle round's end: this partition ends its warm-up if the round was of its generation. */
    public Outcome onSettled(PartitionedLedger l, PartitionsSettled m) {
        if (!linked || m.generations() == null || m.generations().size() != count) {
            return Outcome.logged(new Log(Level.WARN, "ignored {}: {}", m, linked ? "not one generation per partition"
                    : describe + " is linked to no other partition"));
        }
        if (!SettleRound.appliesTo(m.generations(), partition, l.generation()) || !l.warmingUp()) {
            return Outcome.logged(new Log(Level.DEBUG, "ignored {}: generation {}, warming up {}", m, l.generation(),
                    l.warmingUp()));
        }
        l.partitionsSettled();
        return Outcome.logged(new Log(Level.INFO, "blob-gc {}: the partitions settled; warming up {} (waiting for {})",
                describe, l.warmingUp(), l.warmUpBlockers()));
    }

    /**
     * The conductor's settle poll {@code query} ({@code answerable}: it names someone to answer): a partition that
     * warms up, or has something to send, flushes its exports first (so its answer counts what its views hold now),
     * then answers its status.
     */
    public Outcome onSettleQuery(PartitionedLedger l, Object query, boolean answerable, long localNow) {
        return onSettleQuery(l, query, answerable, 0, localNow);
    }

    /**
     * {@link #onSettleQuery(PartitionedLedger, Object, boolean, long)} of a query carrying the round's {@code cut}
     * (partitions-part2-plan §10, tier 2; 0: none): taken first (if newer than the one taken; 0 ends it), by every
     * partition, warming up or not, since a chain can pass through a settled one. A partition that is not warming up
     * flushes too when it has cut content to send ({@link SettleStatus#cutDirty}: the base, or imports to forward).
     */
    public Outcome onSettleQuery(PartitionedLedger l, Object query, boolean answerable, long cut, long localNow) {
        if (!linked || !answerable) {
            return Outcome.logged(new Log(Level.WARN, "ignored {}: {}", query, linked ? "no one to answer"
                    : describe + " is linked to no other partition"));
        }
        l.beginCut(partition, cut);
        // a partition that is not warming up flushes too when it has something to send: dirty, its answer would hold
        // the round until its next cycle, and in a busy cluster every poll could find it so (review of S1.6)
        SettleStatus status = l.warmingUp() ? null : l.settleStatus(partition);
        List<Send> sends = List.of();
        if (status == null || status.dirty() || status.cutDirty()) {
            sends = flush(l, localNow);
            status = l.settleStatus(partition); // the flush changed it: it counts what was just sent
        }
        return new Outcome(sends, false, status, List.of());
    }

    /**
     * Why a message of partition {@code from} is not for this entity (not linked, or not from another partition), as
     * the line to log; null: it is.
     */
    private Log refusal(Object m, int from) {
        if (!linked) return new Log(Level.WARN, "ignored {}: {} is linked to no other partition", m, describe);
        if (from < 0 || from >= count || from == partition) {
            return new Log(Level.WARN, "ignored {}: no other partition {} of {}", m, from, count);
        }
        return null;
    }

    /** An export of the sender's reporter id, with a kind and no null hash (the coordinator's checks on reports). */
    private static boolean wellFormed(PartitionExport m) {
        NodeReport r = m.report();
        return r != null && PartitionedLedger.reporterOf(m.from()).equals(r.node()) && r.kind() != null
                && CoordinatorCore.noNullHash(r);
    }
}
