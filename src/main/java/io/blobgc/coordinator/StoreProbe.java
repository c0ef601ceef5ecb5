package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.store.BlobStore;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

import java.io.IOException;
import java.util.function.Predicate;

/**
 * Whether the store holds a hash's content, asked when a registration would give content to a hash that has none
 * (unknown or COLLECTED). Asked in the {@link Coordinator} actor, so that no deletion the ledger starts can come between
 * the answer and the registration (only DELETING blobs are deleted, and their registration is refused). A store that
 * cannot answer counts as "not there": the registration is refused and the uploader tries again.
 */
final class StoreProbe implements Predicate<BlobHash> {
    private final BlobStore store;
    /** Its log is asked for at each use: the actor sets its logging context then. */
    private final ActorContext<?> ctx;

    StoreProbe(BlobStore store, ActorContext<?> ctx) {
        this.store = store;
        this.ctx = ctx;
    }

    @Override
    public boolean test(BlobHash hash) {
        try {
            return store.exists(hash);
        } catch (IOException e) {
            ctx.getLog().warn("cannot tell whether the store holds {}: {}; its registration is refused", hash, e.toString());
            return false;
        }
    }
}
