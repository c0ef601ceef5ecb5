package io.blobgc.coordinator;

import io.blobgc.coordinator.Coordinator.ExportResend;
import io.blobgc.coordinator.Coordinator.KeepAlive;
import io.blobgc.coordinator.Coordinator.PartitionExport;
import io.blobgc.coordinator.Coordinator.PartitionStop;
import io.blobgc.coordinator.Coordinator.PartitionsSettled;
import io.blobgc.coordinator.Coordinator.Protect;
import io.blobgc.coordinator.Coordinator.Protected;
import io.blobgc.coordinator.Coordinator.SettleQuery;
import io.blobgc.protocol.ReporterProtocol.Report;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;

/**
 * Which commands a coordinator takes, and when it takes over, in plain Java ({@code Coordinator.commandHandler} is the
 * actor's glue that asks it and does what it says): the rules that keep an instance from deciding anything before it
 * fenced out its predecessors. No Pekko, no I/O: whether the takeover is written is an argument (the fence knows it).
 *
 * <p>Until this instance's {@link Coordinator.TookOver} is persisted every command waits (stashed, in order), so nothing
 * that can protect or delete a blob — an acquire, a registration, a pin, a report, a cycle, a deletion — is decided by
 * an instance that has not fenced out its predecessors. A partition entity's {@link PartitionStop} decides nothing and
 * never gets here ({@code Coordinator.EntityControl} stops the entity before the event-sourced behaviour sees it); its
 * {@link KeepAlive} does, and the first one lets it take over. The whole ignores both.
 *
 * <p>One gate per coordinator instance, as long-lived as the actor object: it owns whether a conductor was heard.
 */
public final class EntityGate {

    /** What to do about one command. */
    public enum Admission {
        /** Take over ({@code TakeOverFence.onTakeOver}, which ignores a second one once its takeover is written). */
        TAKE_OVER,
        /** Nothing, no reply: a control message that decides nothing here. */
        IGNORE,
        /** Nothing, no reply, but log a warning: a {@link PartitionStop} at the whole, which is no sharded entity. */
        WARN_IGNORED,
        /** Handle it: the takeover is written. */
        HANDLE,
        /** Nothing, no reply: a partition entity before its takeover drops it (it is sent again). */
        DROP,
        /** Stash it until the takeover is written. */
        STASH
    }

    /** Whether this instance is a partition entity (not the whole, which hosts every partition). */
    private final boolean partition;
    /**
     * An entity's: a conductor's {@link KeepAlive} came, so a conductor took over (it sends none before, nor after
     * refusing its journal). Until then the entity does not take over: it writes and decides nothing.
     */
    private boolean conductorHeard;

    /** @param partition whether this instance is a partition entity (false: the whole, which hosts every partition) */
    public EntityGate(boolean partition) {
        this.partition = partition;
    }

    /**
     * What to do about {@code command}.
     *
     * @param takenOver whether this recovery's takeover is written
     */
    public Admission admit(ToCoordinator command, boolean takenOver) {
        if (command == Coordinator.TakeOver.INSTANCE) return onTakeOver();
        if (command == KeepAlive.INSTANCE) return onKeepAlive(takenOver);
        if (command == PartitionStop.INSTANCE) return Admission.WARN_IGNORED; // an entity's are taken before it
        if (takenOver) return Admission.HANDLE;
        // an entity waiting for its conductor drops reports (its warm-up asks every node for a FULL report once it
        // took over) rather than fill its stash while a refused conductor sends none; and the other partitions'
        // messages, which it could not take yet and which are all sent again (a gap asks for a FULL, a walk asks
        // again, the conductor polls again): stashed, P - 1 partitions' exports overflowed the stash, and each one
        // dropped was a gap that asked for more
        if (partition && (command instanceof Report || fromPeers(command))) return Admission.DROP;
        return Admission.STASH;
    }

    /**
     * The instance's own takeover, which it sends itself when its recovery completed (also after a restart in place).
     * An entity takes over once a conductor has: one that refused its journal sends no keep-alive, so no entity writes
     * or decides (nor refuses, stops and is started again by the next message) meanwhile. The whole takes over at once.
     */
    public Admission onTakeOver() {
        return partition && !conductorHeard ? Admission.IGNORE : Admission.TAKE_OVER;
    }

    /**
     * A conductor's {@link KeepAlive}: a conductor took over. The first one lets an entity that has not taken over yet
     * take over; any later one, and every one at the whole, decides nothing.
     *
     * @param takenOver whether this recovery's takeover is written
     */
    public Admission onKeepAlive(boolean takenOver) {
        conductorHeard = true;
        return partition && !takenOver ? Admission.TAKE_OVER : Admission.IGNORE;
    }

    /** Whether a conductor's {@link KeepAlive} came (to this instance, since it was created). */
    public boolean conductorHeard() {
        return conductorHeard;
    }

    /**
     * Whether {@code command} comes from the other partitions or their conductor's settle round: what an entity drops
     * before its takeover (each is sent again: see {@link #admit}).
     */
    public static boolean fromPeers(ToCoordinator command) {
        return command instanceof PartitionExport || command instanceof ExportResend
                || command instanceof PartitionsSettled || command instanceof SettleQuery
                || command instanceof Protect || command instanceof Protected
                || command instanceof Coordinator.FindGone || command instanceof Coordinator.GoneFound;
    }
}
