package io.blobgc.store;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Independent review (issue 19, item 2): FileBlobStore.page trusts that a name sorts within its shard directory. A
 * file with a blob's name in another shard (put there by hand, a copy from a store sharded otherwise) that ends a
 * page moves the next page's start to its shard: every shard in between is skipped, on every pass.
 */
class FileBlobStorePageReviewTest {

    @TempDir
    Path root;

    @Test
    void aMisplacedNameDoesNotMakeTheWalkSkipShards() throws Exception {
        FileBlobStore store = new FileBlobStore(root);
        byte[] content = "an orphan in its own shard".getBytes();
        BlobHash orphan = BlobHash.sha256(content);
        store.put(orphan, content);
        Path misplaced = root.resolve("00").resolve("00").resolve("f".repeat(64));
        Files.createDirectories(misplaced.getParent());
        Files.write(misplaced, "misplaced".getBytes());
        List<BlobHash> seen = new ArrayList<>();
        BlobHash after = null;
        for (int i = 0; i < 10; i++) { // a full pass, a page of one
            BlobStore.Page p = store.page(after, 1);
            p.entries().forEach(e -> seen.add(e.hash()));
            if (!p.more()) break;
            after = p.entries().get(p.entries().size() - 1).hash();
        }
        assertTrue(seen.contains(orphan), "a full pass of the walk never listed " + orphan + "; it listed " + seen);
    }
}
