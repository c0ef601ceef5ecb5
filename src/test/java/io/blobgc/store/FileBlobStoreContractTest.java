package io.blobgc.store;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

/** {@link BlobStoreContract} over a {@link FileBlobStore} in an empty directory; back-dating sets the file's mtime. */
class FileBlobStoreContractTest extends BlobStoreContract {

    @TempDir
    Path root;

    @Override
    protected BlobStore newStore() {
        return new FileBlobStore(root);
    }

    @Override
    protected void backdate(BlobStore store, BlobHash hash, long modifiedAtMs) throws Exception {
        Files.setLastModifiedTime(((FileBlobStore) store).pathOf(hash), FileTime.fromMillis(modifiedAtMs));
    }
}
