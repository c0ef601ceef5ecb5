package io.blobgc.store;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FileBlobStoreTest {

    @TempDir
    Path root;

    @Test
    void storesUnderShardedPathsChecksContentAndDeletesIdempotently() throws Exception {
        FileBlobStore store = new FileBlobStore(root);
        byte[] content = "fn main() {}".getBytes();
        BlobHash h = BlobHash.sha256(content);
        store.put(h, content);
        String hex = h.toHex();
        assertEquals(root.resolve(hex.substring(0, 2)).resolve(hex.substring(2, 4)).resolve(hex), store.pathOf(h));
        assertArrayEquals(content, store.get(h));
        assertTrue(store.exists(h));
        List<BlobHash> listed = new ArrayList<>();
        store.list(listed::add);
        assertEquals(List.of(h), listed);
        try (var files = Files.walk(root)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temp file left");
        }
        store.delete(h);
        assertFalse(store.exists(h));
        store.delete(h); // a retried delete succeeds
    }

    @Test
    void refusesContentThatDoesNotMatchItsAddress() {
        FileBlobStore store = new FileBlobStore(root);
        BlobHash other = BlobHash.sha256("other".getBytes());
        var e = assertThrows(IllegalArgumentException.class, () -> store.put(other, "content".getBytes()));
        assertTrue(e.getMessage().contains("does not match"));
        assertFalse(store.exists(other));
    }

    @Test
    void putCreatesMissingShardDirectoriesAndARootThatDoesNotExistYet() throws Exception {
        FileBlobStore store = new FileBlobStore(root.resolve("not").resolve("there"));
        byte[] a = "first".getBytes(), b = "second".getBytes();
        store.put(BlobHash.sha256(a), a); // creates the root and both shard levels (and forces each new entry)
        store.put(BlobHash.sha256(b), b);
        store.put(BlobHash.sha256(a), a); // present already: nothing to do
        assertArrayEquals(a, store.get(BlobHash.sha256(a)));
        assertArrayEquals(b, store.get(BlobHash.sha256(b)));
    }

    /** Issue 19, item 2: the listing the store reconciliation walks, a page at a time, in hash order. */
    @Test
    void pagesListEveryBlobOnceInHashOrderResumableFromAnyHash() throws Exception {
        FileBlobStore store = new FileBlobStore(root);
        List<BlobHash> all = new ArrayList<>();
        for (int i = 0; i < 57; i++) {
            byte[] content = ("blob " + i).getBytes();
            store.put(BlobHash.sha256(content), content);
            all.add(BlobHash.sha256(content));
        }
        Files.writeString(root.resolve("README.txt"), "not a blob");
        Files.writeString(store.pathOf(all.get(0)).resolveSibling(".put-123.tmp"), "a put's temporary file");
        Files.writeString(store.pathOf(all.get(1)).resolveSibling(all.get(1).toHex().toUpperCase()), "not ours");
        all.sort(null);
        List<BlobHash> walked = new ArrayList<>();
        BlobHash after = null;
        int pages = 0;
        for (boolean more = true; more; pages++) {
            BlobStore.Page page = store.page(after, 10);
            assertTrue(page.entries().size() <= 10);
            for (BlobStore.Entry e : page.entries()) {
                walked.add(e.hash());
                assertEquals(Files.getLastModifiedTime(store.pathOf(e.hash())).toMillis(), e.modifiedAtMs());
            }
            more = page.more();
            if (!page.entries().isEmpty()) after = page.entries().get(page.entries().size() - 1).hash();
        }
        assertEquals(all, walked, "every blob once, in hash order, nothing else");
        assertEquals(6, pages);
        // resumable from any hash, also one that is not stored
        BlobHash middle = all.get(30);
        assertEquals(all.subList(31, 36), store.page(middle, 5).entries().stream().map(BlobStore.Entry::hash).toList());
        store.delete(middle);
        assertEquals(all.subList(31, 36), store.page(middle, 5).entries().stream().map(BlobStore.Entry::hash).toList());
        assertEquals(List.of(), new FileBlobStore(root.resolve("absent")).page(null, 10).entries());
    }
}
