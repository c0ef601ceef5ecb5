package io.blobgc.demo;

import com.typesafe.config.Config;
import io.blobgc.BlobGc;
import io.blobgc.BlobHash;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A simulated VM on one demo node: every phase it runs the functions {@link DemoCatalog#uses} names, each in a
 * "call frame" actor that acquires its blob through {@link BlobGc#acquire} (fenced) and releases it by stopping.
 * A blob that is gone is uploaded again. Every acquire and release is logged, with its time, for the verifier.
 */
public final class DemoVm {

    private DemoVm() {
    }

    private interface Msg {
    }

    private enum Tick implements Msg { INSTANCE }

    private record Answered(int index, ActorRef<Void> frame, AcquireReply reply, Throwable failure)
            implements Msg {
    }

    /** Starts the VM when the config has a {@code blob-gc-demo} block (the demo writes it into each node's config). */
    public static void startIfConfigured(org.apache.pekko.actor.typed.ActorSystem<?> system) {
        Config c = system.settings().config();
        if (!c.hasPath("blob-gc-demo")) return;
        Config d = c.getConfig("blob-gc-demo");
        long seed = d.hasPath("seed") ? d.getLong("seed") : 0;
        system.systemActorOf(create(BlobGc.get(system), d.getInt("node-index"), d.getLong("start-at"),
                        d.getDuration("phase"), d.getLong("final-phase"), seed, Path.of(d.getString("log"))),
                "demo-vm", org.apache.pekko.actor.typed.Props.empty());
    }

    static Behavior<Msg> create(BlobGc gc, int node, long startAt, Duration phase, long finalPhase, long seed,
                                Path log) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(Tick.INSTANCE, Duration.ofMillis(200));
            return new Vm(ctx, gc, node, startAt, phase.toMillis(), finalPhase, seed, log).behavior();
        }));
    }

    private static final class Vm {
        final ActorContext<Msg> ctx;
        final BlobGc gc;
        final int node;
        final long startAt, phaseMs, finalPhase, seed;
        final Path log;
        final DemoCatalog catalog;
        final Map<Integer, ActorRef<Void>> frames = new HashMap<>();
        final Set<Integer> pending = new HashSet<>();

        Vm(ActorContext<Msg> ctx, BlobGc gc, int node, long startAt, long phaseMs, long finalPhase, long seed, Path log) {
            this.ctx = ctx;
            this.gc = gc;
            this.catalog = new DemoCatalog();
            this.node = node;
            this.startAt = startAt;
            this.phaseMs = phaseMs;
            this.finalPhase = finalPhase;
            this.seed = seed;
            this.log = log;
        }

        Behavior<Msg> behavior() {
            return Behaviors.receive(Msg.class)
                    .onMessageEquals(Tick.INSTANCE, this::onTick)
                    .onMessage(Answered.class, this::onAnswered)
                    .build();
        }

        Behavior<Msg> onTick() {
            long now = System.currentTimeMillis();
            if (now < startAt) return Behaviors.same();
            Set<Integer> want = DemoCatalog.uses(node, (now - startAt) / phaseMs, finalPhase, seed);
            for (Integer i : Set.copyOf(frames.keySet())) {
                if (!want.contains(i)) {
                    write("release", i);
                    ctx.stop(frames.remove(i)); // the reporter releases a stopped holder's blobs
                }
            }
            for (Integer i : want) {
                if (frames.containsKey(i) || pending.contains(i)) continue;
                pending.add(i);
                ActorRef<Void> frame = ctx.spawnAnonymous(Behaviors.empty());
                ctx.pipeToSelf(gc.acquire(frame, catalog.hash(i)), (reply, failure) ->
                        new Answered(i, frame, reply, failure));
            }
            return Behaviors.same();
        }

        Behavior<Msg> onAnswered(Answered a) {
            pending.remove(a.index());
            boolean ok = a.reply() != null && a.reply().result() == AcquireResult.ACQUIRED;
            if (ok) {
                frames.put(a.index(), a.frame());
                write("acquire", a.index());
                return Behaviors.same();
            }
            ctx.stop(a.frame());
            if (a.reply() != null && a.reply().result() == AcquireResult.GONE) {
                reupload(a.index(), a.reply().gone());
            }
            return Behaviors.same(); // retried on a later tick
        }

        /** The blob (or a callee) was collected: upload it again, as a VM fetching code would. */
        void reupload(int index, List<BlobHash> gone) {
            for (int j = 0; j < catalog.size(); j++) {
                if (j == index || gone.contains(catalog.hash(j))) {
                    gc.upload(catalog.hash(j), catalog.content(j), catalog.dependencies(j)); // retried next tick if refused
                    write("reupload", j);
                }
            }
        }

        void write(String what, int index) {
            String line = System.currentTimeMillis() + " " + what + " " + index + " " + catalog.hash(index) + "\n";
            try {
                Files.writeString(log, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND, StandardOpenOption.WRITE);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
