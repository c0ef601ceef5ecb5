package io.blobgc.http;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

import java.util.Objects;
import java.util.Optional;

/**
 * This actor system's {@link AdminBackend}: set by the library when blob-gc starts on it, read by what Pekko
 * Management makes reflectively from the configuration ({@link Management.Ready}, {@link Management.Alive}) and by
 * {@link Management#start}. Only a holder: asking it starts nothing.
 */
public final class AdminBackends implements Extension {

    static final class Id extends ExtensionId<AdminBackends> {
        @Override
        public AdminBackends createExtension(ActorSystem<?> system) {
            return new AdminBackends();
        }
    }

    private static final Id ID = new Id();

    private volatile AdminBackend backend;

    private AdminBackends() {
    }

    /** Makes {@code backend} the one of {@code system} (blob-gc's start does, before it binds anything). */
    public static void set(ActorSystem<?> system, AdminBackend backend) {
        ID.apply(system).backend = Objects.requireNonNull(backend, "backend");
    }

    /** The backend of {@code system} once its blob-gc has started; empty before (asking makes nothing run). */
    public static Optional<AdminBackend> running(ActorSystem<?> system) {
        if (!system.hasExtension(ID)) return Optional.empty();
        AdminBackend b = ID.apply(system).backend;
        return b != null && b.started() ? Optional.of(b) : Optional.empty();
    }
}
