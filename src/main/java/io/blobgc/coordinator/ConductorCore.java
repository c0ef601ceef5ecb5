package io.blobgc.coordinator;

import io.blobgc.BlobGcSettings.PartitionHosting;
import io.blobgc.BlobHash;
import io.blobgc.coordinator.LinksCore.Level;
import io.blobgc.coordinator.LinksCore.Log;
import io.blobgc.coordinator.LinksCore.Send;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.ledger.HistoryEntry;
import io.blobgc.ledger.LedgerSnapshot;
import io.blobgc.ledger.Partitioning;
import io.blobgc.ledger.SettleRound;
import io.blobgc.ledger.SettleStatus;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Function;

/**
 * The {@link Conductor}'s decisions in plain Java (partitions-part2-plan §9, step 5): its state and how events change
 * it, its takeover and the refusal of a journal written otherwise, and its cycles — one open at a time, an operator's
 * {@code RunCycleNow} that comes meanwhile waiting its turn, a journal behind its partitions' numbering on from
 * theirs — and the settle round of linked partitions: a poll at a time, its answers fed to {@link SettleRound}, and
 * {@link Coordinator.PartitionsSettled} told on a double collect. No Pekko, no I/O, no clock: time is an argument. The
 * actor is the glue that carries out what this decides (sends, timers, the gathers of {@link FanIn}, the writes); the
 * deterministic simulation can drive the same code.
 *
 * <p>As with {@link CoordinatorCore.Decision}, anything that must follow a write is in a {@link Step}'s {@code after}
 * function, which runs once the events are applied, and may change this core's soft state (which belongs to one
 * incarnation and is reset by {@link #recovered}).
 *
 * @param <T> the reply token of a caller the conductor answers (an {@code ActorRef} in the actor)
 */
public final class ConductorCore<T> {

    /**
     * The state: what the journal recorded (P and hosting, for the refusal: a journal of the coordinator hosting every
     * partition itself records no hosting) and the cycles.
     */
    public static final class State {
        final boolean fresh;
        int recordedPartitions;
        String recordedHosting;
        long cycle;
        final ArrayDeque<HistoryEntry> history = new ArrayDeque<>();

        State(boolean fresh) {
            this.fresh = fresh;
        }

        /** Whether nothing was recovered (an empty journal). */
        public boolean fresh() {
            return fresh;
        }

        /** The number of partitions the journal's takeovers recorded (0: none). */
        public int recordedPartitions() {
            return recordedPartitions;
        }

        /** The hosting the journal's takeovers recorded (null: none, a coordinator's journal). */
        public String recordedHosting() {
            return recordedHosting;
        }

        /** The highest cycle a partition had run when the last cycle was recorded. */
        public long cycle() {
            return cycle;
        }

        /** The history, oldest first. */
        public List<HistoryEntry> history() {
            return List.copyOf(history);
        }

        /** The newest history entry; null: none. */
        public HistoryEntry last() {
            return history.peekLast();
        }

        /** The newest {@code limit} history entries (at most {@link CoordinatorCore#MAX_PAGE}), newest first. */
        public List<HistoryEntry> newest(int limit) {
            List<HistoryEntry> newest = new ArrayList<>();
            Iterator<HistoryEntry> it = history.descendingIterator();
            while (it.hasNext() && newest.size() < Math.max(0, Math.min(limit, CoordinatorCore.MAX_PAGE))) {
                newest.add(it.next());
            }
            return newest;
        }

        /** Keeps {@code e} as the newest history entry, and at most {@code historySize} entries. */
        void remember(HistoryEntry e, int historySize) {
            history.addLast(e);
            while (history.size() > historySize) history.removeFirst();
        }
    }

    /**
     * A cycle to run: ask every partition to run cycle {@code cycle} ({@link Coordinator.RunPartitionCycle}), gather
     * the answers within {@link #cycleTimeout}, and hand them to {@link #cycleGathered} with this ask.
     *
     * @param replyTo the operator's caller to answer the merged outcome (a {@code RunCycleNow}); null: a timer's cycle
     */
    public record CycleAsk<T>(long cycle, boolean dryRun, T replyTo) {
    }

    /**
     * What the glue carries out once a {@link Step}'s events are written (or at once, with none), in this order: the
     * log lines, the sends, the answer, after a takeover the timers started, and the cycle to start.
     *
     * @param logs     the lines to log, in order
     * @param send     the messages to the partitions, in order
     * @param answer   a cycle's answer to its caller (its merged {@link CycleOutcome}); null: none
     * @param tookOver the conductor took over: start its timers (keep-alive, cycle, and the settle poll when linked)
     * @param cycle    a cycle to start now (it is open); null: none
     */
    public record Out<T>(List<Log> logs, List<Send> send, LinkOut.Answer<T> answer, boolean tookOver,
                         CycleAsk<T> cycle) {
        public Out {
            logs = List.copyOf(logs);
            send = List.copyOf(send);
        }

        /** Nothing to do. */
        public static <T> Out<T> none() {
            return new Out<>(List.of(), List.of(), null, false, null);
        }
    }

    /**
     * A decision: events to write, then what to carry out, computed on the state after they were applied.
     *
     * @param logs    the lines to log at once, before the write
     * @param events  the events to persist (none: {@code after} is carried out at once)
     * @param after   what to carry out once they are applied
     * @param refusal when not null, the conductor may not run on this journal: log it as an error and stop
     */
    public record Step<T>(List<Log> logs, List<Coordinator.Event> events, Function<State, Out<T>> after,
                          String refusal) {
        public Step {
            logs = List.copyOf(logs);
            events = List.copyOf(events);
        }

        static <T> Step<T> none() {
            return new Step<>(List.of(), List.of(), st -> Out.none(), null);
        }

        static <T> Step<T> refused(String why) {
            return new Step<>(List.of(), List.of(), st -> Out.none(), why);
        }
    }

    /** A {@code RunCycleNow} that came while a cycle was open. */
    private record Waiting<T>(boolean dryRun, T replyTo) {
    }

    private final Partitioning partitioning;
    private final List<Integer> all;
    private final boolean dryRun;
    private final Duration cycleInterval;
    private final Duration askTimeout;
    private final int historySize;
    private final State empty = new State(true);
    private boolean takenOver;
    /** A cycle is gathering its answers: no other starts until it is recorded. */
    private boolean cycleOpen;
    /** The {@code RunCycleNow}s that came while a cycle was open: each runs once it is recorded, in order. */
    private final ArrayDeque<Waiting<T>> waiting = new ArrayDeque<>();
    /** The settle round of linked partitions; null when they are isolated (nothing to settle). */
    private final SettleRound settle;
    /** A settle poll is gathering its answers: no other starts until it is in. */
    private boolean pollOpen;

    /**
     * @param partitioning  the configured partitions (P &gt; 1)
     * @param linked        the partitions are linked entities ({@link Hosting#linked}): the conductor runs the settle
     *                      round
     * @param dryRun        the configured {@code blob-gc.dry-run}
     * @param cycleInterval the configured cycle interval
     * @param askTimeout    the configured ask timeout
     * @param historySize   the configured history size
     */
    public ConductorCore(Partitioning partitioning, boolean linked, boolean dryRun, Duration cycleInterval,
                         Duration askTimeout, int historySize) {
        this.partitioning = partitioning;
        List<Integer> ps = new ArrayList<>();
        for (int p = 0; p < partitioning.count(); p++) ps.add(p);
        this.all = List.copyOf(ps);
        this.dryRun = dryRun;
        this.cycleInterval = cycleInterval;
        this.askTimeout = askTimeout;
        this.historySize = historySize;
        this.settle = linked ? new SettleRound(partitioning.count()) : null;
    }

    /** Every partition, in order. */
    public List<Integer> all() {
        return all;
    }

    /** The state of an empty journal (always the same one: {@link #apply} never changes it). */
    public State emptyState() {
        return empty;
    }

    /**
     * How long a cycle waits for the partitions: half a cycle (at least 100 ms), at most {@link #gatherTimeout} (an
     * operator's RunCycleNow gets its answer before its own ask times out).
     */
    public Duration cycleTimeout() {
        Duration half = cycleInterval.dividedBy(2);
        Duration atLeast = half.compareTo(Duration.ofMillis(100)) < 0 ? Duration.ofMillis(100) : half;
        return atLeast.compareTo(gatherTimeout()) < 0 ? atLeast : gatherTimeout();
    }

    /**
     * How long a routed ask (summary, pins, a registration split over partitions, a settle poll) waits for the
     * partitions: half the ask timeout, so that the caller, who waits the whole of it, gets an answer naming the
     * partitions that did not answer instead of a timeout.
     */
    public Duration gatherTimeout() {
        return askTimeout.dividedBy(2);
    }

    /**
     * The journal was replayed (this incarnation starts): not taken over yet, no cycle nor poll open. The waiting
     * {@code RunCycleNow}s are kept: each runs once a cycle is recorded.
     */
    public void recovered() {
        takenOver = false;
        cycleOpen = false;
        pollOpen = false;
    }

    /** Whether a cycle is gathering its answers. */
    public boolean cycleOpen() {
        return cycleOpen;
    }

    /** How many {@code RunCycleNow}s wait for the open cycle to be recorded. */
    public int waiting() {
        return waiting.size();
    }

    /** Whether this incarnation's takeover is written: until then the glue stashes every command. */
    public boolean takenOver() {
        return takenOver;
    }

    /** Why this conductor may not run on the journal {@code s} was recovered from; empty when it may. */
    public Optional<String> refusal(State s) {
        if (s.fresh) return Optional.empty();
        int configured = partitioning.count();
        // no hosting recorded: the coordinator's own journal (its takeovers record none)
        return JournalPartitions.refusal(s.recordedPartitions, configured)
                .or(() -> JournalPartitions.hostingRefusal(JournalPartitions.writtenHosting(s.recordedHosting),
                        PartitionHosting.SHARDED, configured));
    }

    /**
     * The takeover, once the journal is replayed: nothing if taken over already; refused when the journal was written
     * otherwise ({@link #refusal}); else {@link Coordinator.TookOver} (P and the hosting) written, then the partitions
     * kept alive and the timers started.
     */
    public Step<T> takeOver(State s, String instance, long now) {
        if (takenOver) return Step.none();
        Optional<String> refusal = refusal(s);
        if (refusal.isPresent()) return Step.refused(refusal.get());
        var took = new Coordinator.TookOver(instance, now, 0, partitioning.count(),
                PartitionHosting.SHARDED.configName(), null);
        return new Step<>(List.of(), List.of(took), st -> {
            takenOver = true;
            if (settle != null) settle.reset();
            return new Out<>(List.of(new Log(Level.INFO,
                    "blob-gc conductor {} took over at cycle {}: {} partitions on Cluster Sharding", instance,
                    st.cycle, partitioning.count())), keepAlive(), null, true, null);
        }, null);
    }

    // ---- cycles

    /** The cycle timer's tick: the next cycle, unless one is open. */
    public Optional<CycleAsk<T>> cycleTick(State s) {
        if (cycleOpen) return Optional.empty();
        return Optional.of(open(s, dryRun, null));
    }

    /**
     * An operator's {@code RunCycleNow}: the next cycle, answered to {@code replyTo} once recorded; while a cycle is
     * open it waits, and runs once that one is recorded.
     */
    public Optional<CycleAsk<T>> runCycleNow(State s, boolean dryRun, T replyTo) {
        if (cycleOpen) {
            waiting.add(new Waiting<>(dryRun, replyTo));
            return Optional.empty();
        }
        return Optional.of(open(s, dryRun || this.dryRun, replyTo));
    }

    private CycleAsk<T> open(State s, boolean dryRun, T replyTo) {
        cycleOpen = true;
        return new CycleAsk<>(s.cycle + 1, dryRun, replyTo);
    }

    /**
     * A cycle's answers are in (or timed out; {@code missing} did not answer): recorded
     * ({@link Conductor.CycleRecorded}, the outcomes merged, the missing skipped), then its caller answered and the
     * next waiting {@code RunCycleNow} started. A journal behind its partitions' (an answer had run a higher cycle already) numbers on from theirs at
     * once: the same caller's cycle starts again under a number they have not run, and nobody is answered yet.
     *
     * @param now the wall clock (millis), the time of an outcome when no partition ran the cycle
     */
    public Step<T> cycleGathered(State s, CycleAsk<T> ask, Map<Integer, Coordinator.PartitionCycled> answers,
                                 Set<Integer> missing, long now) {
        List<CycleOutcome> outcomes = new ArrayList<>();
        long reached = ask.cycle();
        for (Coordinator.PartitionCycled c : answers.values()) {
            if (c.outcome() != null) outcomes.add(c.outcome()); // null: it ran this cycle before (a conductor's retry)
            reached = Math.max(reached, c.lastCycle());
        }
        List<Log> logs = new ArrayList<>();
        // a journal behind its partitions (lost, restored): number on from theirs, at once
        boolean behind = reached > ask.cycle();
        if (behind) {
            logs.add(new Log(Level.WARN, "cycle {}: partitions had run up to cycle {} already; cycle {} runs now",
                    ask.cycle(), reached, reached + 1));
        }
        CycleOutcome merged = outcomes.isEmpty() ? nothingRan(ask.cycle(), ask.dryRun(), now)
                : CycleOutcome.merged(outcomes);
        List<Integer> skipped = List.copyOf(missing);
        if (!skipped.isEmpty()) {
            logs.add(new Log(Level.WARN, "cycle {}: partition(s) {} did not answer within {} ms (moving or "
                    + "recovering?); they take the next cycle", ask.cycle(), skipped, cycleTimeout().toMillis()));
        }
        var recorded = new Conductor.CycleRecorded(reached, HistoryEntry.of(merged), skipped);
        return new Step<>(logs, List.of(recorded), st -> {
            cycleOpen = false;
            if (behind) { // the same caller's cycle, under a number the partitions have not run
                return new Out<>(List.of(), List.of(), null, false, open(st, ask.dryRun(), ask.replyTo()));
            }
            LinkOut.Answer<T> answer = ask.replyTo() == null ? null : new LinkOut.Answer<>(ask.replyTo(), merged);
            Waiting<T> next = waiting.poll();
            CycleAsk<T> nextCycle = next == null ? null : open(st, next.dryRun() || dryRun, next.replyTo());
            return new Out<>(List.of(), List.of(), answer, false, nextCycle);
        }, null);
    }

    // ---- the settle round

    /** Whether this conductor runs the settle round (its partitions are linked): poll every heartbeat interval. */
    public boolean settles() {
        return settle != null;
    }

    /** Whether a settle poll is gathering its answers. */
    public boolean pollOpen() {
        return pollOpen;
    }

    /**
     * The settle timer's tick: a poll of every partition, carrying this cut ({@link Coordinator.SettleQuery}), to
     * gather within {@link #gatherTimeout} and hand to {@link #polled}; none while one is open (a poll missing a
     * partition settles nothing, and the next waits for this one), nor when nothing is to settle.
     */
    public OptionalLong startPoll() {
        if (settle == null || pollOpen) return OptionalLong.empty();
        pollOpen = true;
        return OptionalLong.of(settle.queryCut());
    }

    /**
     * One poll's answers ({@code missing} did not answer): when they and the last poll's are the same clean fixpoint
     * ({@link SettleRound#poll}), every partition is told {@link Coordinator.PartitionsSettled} with their generations,
     * and their warm-ups end.
     */
    public Out<T> polled(Map<Integer, SettleStatus> answers, Set<Integer> missing) {
        pollOpen = false;
        if (settle == null) return Out.none();
        List<Log> logs = new ArrayList<>();
        logs.add(new Log(Level.DEBUG, "settle poll: cut {}, no answer from {}{}", settle.queryCut(), missing,
                new PollDetails(answers)));
        List<Send> send = new ArrayList<>();
        settle.poll(answers).ifPresent(epoch -> {
            logs.add(new Log(Level.INFO, "blob-gc conductor: the partitions settled at generations {}: their warm-ups "
                    + "end", epoch));
            var settled = new Coordinator.PartitionsSettled(epoch);
            for (int p : all) send.add(new Send(p, settled));
        });
        return new Out<>(logs, send, null, false, null);
    }

    /** A poll's answers as the debug line shows them, written out only when that line is logged. */
    private record PollDetails(Map<Integer, SettleStatus> answers) {
        @Override
        public String toString() {
            StringBuilder b = new StringBuilder();
            answers.forEach((p, st) -> b.append(" | ").append(p).append(" w=").append(st.warming())
                    .append(" in=").append(st.haveAllInputs()).append(" cut=").append(st.cut()).append(" cd=")
                    .append(st.cutDirty()).append(" cs=").append(st.cutSent()).append(" ca=").append(st.cutApplied())
                    .append(" d=").append(st.dirty()).append(" s=").append(st.sent()).append(" a=")
                    .append(st.applied()));
            return b.toString();
        }
    }

    private static CycleOutcome nothingRan(long cycle, boolean dryRun, long now) {
        return new CycleOutcome(cycle, now, dryRun, false, false, List.of(), List.of(), List.of(),
                List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), 0);
    }

    /** The keep-alive of every partition. */
    public List<Send> keepAlive() {
        List<Send> out = new ArrayList<>(all.size());
        for (int p : all) out.add(new Send(p, Coordinator.KeepAlive.INSTANCE));
        return out;
    }

    /** The partition a request about {@code hash} goes to (its owner; partition 0 for none, which refuses it). */
    public int route(BlobHash hash) {
        return PartitionAsks.owner(partitioning, hash);
    }

    /** {@code e} applied to {@code s} (the event handler, also on recovery): the empty state stays empty. */
    public State apply(State s, Coordinator.Event e) {
        State st = s.fresh ? new State(false) : s;
        if (e instanceof Coordinator.TookOver t) {
            st.recordedPartitions = t.partitions();
            st.recordedHosting = t.hosting();
        } else if (e instanceof Conductor.CycleRecorded c) {
            st.cycle = Math.max(st.cycle, c.cycle());
            st.remember(c.entry(), historySize);
        } // else the coordinator's own (a journal it wrote hosting every partition): the refusal's, nothing to keep
        return st;
    }

    /** The snapshot of {@code s}: the whole state. */
    public static Conductor.ConductorSnapshot snapshot(State s) {
        return new Conductor.ConductorSnapshot(s.cycle, s.recordedPartitions, s.recordedHosting,
                List.copyOf(s.history));
    }

    /**
     * The state a snapshot restores: a {@link Conductor.ConductorSnapshot} all of it; a coordinator's (a journal it
     * wrote hosting every partition itself) only what the refusal needs.
     */
    public State restored(Object snapshot) {
        State st = new State(false);
        if (snapshot instanceof Conductor.ConductorSnapshot c) {
            st.cycle = c.cycle();
            st.recordedPartitions = c.partitions();
            st.recordedHosting = c.hosting();
            for (HistoryEntry e : c.history()) st.remember(e, historySize);
        } else { // the coordinator's: no hosting recorded
            if (snapshot instanceof SnapshotSections s) st.recordedPartitions = s.partitions().size();
            else if (snapshot instanceof LedgerSnapshot l) st.recordedPartitions = l.partitions();
        }
        return st;
    }
}
