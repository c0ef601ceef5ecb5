package io.blobgc.cluster;

import io.blobgc.BlobHash;
import io.blobgc.store.BlobStore;
import io.blobgc.store.FileBlobStore;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;

/** A real {@link FileBlobStore} under a test store that changes one behaviour (plugged in through store.class). */
abstract class FileStoreWrapper implements BlobStore {
    protected final FileBlobStore files;

    FileStoreWrapper(Path root) {
        this.files = new FileBlobStore(root);
    }

    @Override
    public void put(BlobHash hash, byte[] content) throws IOException {
        files.put(hash, content);
    }

    @Override
    public void putFile(BlobHash hash, Path file) throws IOException {
        files.putFile(hash, file);
    }

    @Override
    public boolean exists(BlobHash hash) {
        return files.exists(hash);
    }

    @Override
    public byte[] get(BlobHash hash) throws IOException {
        return files.get(hash);
    }

    @Override
    public long delete(BlobHash hash) throws IOException {
        return files.delete(hash);
    }

    @Override
    public void list(Consumer<BlobHash> each) throws IOException {
        files.list(each);
    }

    @Override
    public Page page(BlobHash after, int max) throws IOException {
        return files.page(after, max);
    }
}
