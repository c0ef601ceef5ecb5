package io.blobgc.store;

import io.blobgc.BlobHash;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Blobs as files under {@code <root>/ab/cd/<hex>} (the first two bytes of the hash shard the directories).
 * A put writes a temporary file beside the target and renames it, so a reader never sees half a blob.
 */
public final class FileBlobStore implements BlobStore {

    private final Path root;

    public FileBlobStore(Path root) {
        this.root = root.toAbsolutePath();
    }

    public Path root() {
        return root;
    }

    public Path pathOf(BlobHash hash) {
        String hex = hash.toHex();
        return root.resolve(hex.substring(0, 2)).resolve(hex.substring(2, 4)).resolve(hex);
    }

    @Override
    public void put(BlobHash hash, byte[] content) throws IOException {
        BlobHash actual = BlobHash.sha256(content);
        if (!actual.equals(hash)) {
            throw new IllegalArgumentException("content does not match its address: expected " + hash
                    + ", its SHA-256 is " + actual);
        }
        Path target = pathOf(hash);
        if (Files.exists(target)) return; // content addressing: the same bytes are there already
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempFile(target.getParent(), ".put-", ".tmp");
        try {
            Files.write(tmp, content);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Override
    public boolean exists(BlobHash hash) {
        return Files.exists(pathOf(hash));
    }

    @Override
    public byte[] get(BlobHash hash) throws IOException {
        return Files.readAllBytes(pathOf(hash));
    }

    @Override
    public long delete(BlobHash hash) throws IOException {
        Path p = pathOf(hash);
        long size;
        try {
            size = Files.size(p);
        } catch (java.nio.file.NoSuchFileException e) {
            return 0;
        }
        return Files.deleteIfExists(p) ? size : 0;
    }

    @Override
    public void list(Consumer<BlobHash> each) throws IOException {
        if (!Files.isDirectory(root)) return;
        try (Stream<Path> files = Files.walk(root, 3)) {
            files.filter(Files::isRegularFile)
                    .map(p -> p.getFileName().toString())
                    .filter(n -> n.length() == 64 && !n.startsWith("."))
                    .forEach(n -> each.accept(BlobHash.parse(n)));
        }
    }

    @Override
    public String toString() {
        return "FileBlobStore(" + root + ")";
    }
}
