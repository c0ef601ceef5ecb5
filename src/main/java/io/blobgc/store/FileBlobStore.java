package io.blobgc.store;

import io.blobgc.BlobHash;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Blobs as files under {@code <root>/ab/cd/<hex>} (the first two bytes of the hash shard the directories).
 * A put writes a temporary file beside the target, forces it to disk, renames it and forces the directory, so a
 * reader never sees half a blob and a blob whose put returned survives a power loss.
 */
public final class FileBlobStore implements BlobStore {

    private final Path root;

    public FileBlobStore(Path root) {
        this.root = root.toAbsolutePath();
    }

    public Path root() {
        return root;
    }

    /** The free space of the file system the root is on (of its nearest existing ancestor before the first put). */
    @Override
    public java.util.OptionalLong usableSpace() throws IOException {
        Path p = root;
        while (p != null && !Files.exists(p)) p = p.getParent();
        return p == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(Files.getFileStore(p).getUsableSpace());
    }

    public Path pathOf(BlobHash hash) {
        String hex = hash.toHex();
        return root.resolve(hex.substring(0, 2)).resolve(hex.substring(2, 4)).resolve(hex);
    }

    @Override
    public void put(BlobHash hash, byte[] content) throws IOException {
        BlobStore.requireAddress(hash, content);
        write(hash, ch -> {
            ByteBuffer buf = ByteBuffer.wrap(content);
            while (buf.hasRemaining()) ch.write(buf);
            return hash;
        });
    }

    /** Copies {@code file} in 64 KiB steps, hashing as it goes: memory stays flat whatever the blob's size. */
    @Override
    public void putFile(BlobHash hash, Path file) throws IOException {
        write(hash, ch -> {
            MessageDigest md = BlobHash.sha256Digest();
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
                while (in.read(buf) >= 0) {
                    buf.flip();
                    md.update(buf.duplicate());
                    while (buf.hasRemaining()) ch.write(buf);
                    buf.clear();
                }
            }
            return BlobHash.of(md.digest());
        });
    }

    private interface Writer {
        /** Writes the content to {@code ch} and returns its SHA-256. */
        BlobHash writeTo(FileChannel ch) throws IOException;
    }

    private void write(BlobHash hash, Writer writer) throws IOException {
        Path target = pathOf(hash);
        if (Files.exists(target)) return; // content addressing: the same bytes are there already
        Path dir = target.getParent();
        Path firstCreated = null; // the highest shard directory this put creates, if any
        for (Path d = dir; d != null && !d.equals(root.getParent()) && !Files.isDirectory(d); d = d.getParent()) {
            firstCreated = d;
        }
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".put-", ".tmp");
        try {
            // the content must be on disk before the name points at it, or a power loss can leave an ACTIVE blob empty
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                BlobHash actual = writer.writeTo(ch);
                if (!actual.equals(hash)) {
                    throw new IllegalArgumentException("content does not match its address: expected " + hash
                            + ", its SHA-256 is " + actual);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        // and the name itself must be on disk, with every directory entry this put created on the way to it
        fsyncDirectory(dir);
        if (firstCreated != null) {
            for (Path d = dir; !d.equals(firstCreated); d = d.getParent()) fsyncDirectory(d.getParent());
            fsyncDirectory(firstCreated.getParent());
        }
    }

    /**
     * Makes a directory's entries durable. Linux (and most POSIX systems) allow opening a directory for reading and
     * fsync-ing it; some platforms (Windows) refuse to open a directory as a channel — there the rename's durability
     * is the filesystem's business and nothing more can be done from Java, so the refusal is ignored.
     */
    private static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // not supported for directories on this platform: see above
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

    /**
     * Walks the shard directories in name order from {@code after}'s own: a page reads the two directory levels'
     * names and the few leaf directories it spans, whatever the store's size. Names that are not a blob's (a
     * put's temporary file, anything else) are skipped.
     */
    @Override
    public Page page(BlobHash after, int max) throws IOException {
        String from = after == null ? "" : after.toHex();
        String fromTop = from.isEmpty() ? "" : from.substring(0, 2), fromMid = from.isEmpty() ? "" : from.substring(2, 4);
        List<Entry> out = new ArrayList<>();
        if (max <= 0) return new Page(out, true);
        for (String top : sortedNames(root, 2)) {
            if (top.compareTo(fromTop) < 0) continue;
            for (String mid : sortedNames(root.resolve(top), 2)) {
                if (top.equals(fromTop) && mid.compareTo(fromMid) < 0) continue;
                for (String name : sortedNames(root.resolve(top).resolve(mid), 64)) {
                    // a name in the wrong shard is not a blob of ours (pathOf would never find it): skipped, or a
                    // page ending on it would make the next one skip every shard up to its name
                    if (name.compareTo(from) <= 0 || !BlobHash.isHex(name) || !name.startsWith(top + mid)) continue;
                    if (out.size() == max) return new Page(out, true);
                    Path file = root.resolve(top).resolve(mid).resolve(name);
                    try {
                        out.add(new Entry(BlobHash.parse(name), Files.getLastModifiedTime(file).toMillis()));
                    } catch (java.nio.file.NoSuchFileException gone) {
                        // deleted while we listed
                    }
                }
            }
        }
        return new Page(out, false);
    }

    /** The names in {@code dir} that are {@code length} characters long, sorted; none when it is not there. */
    private static List<String> sortedNames(Path dir, int length) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> names = Files.list(dir)) {
            return names.map(p -> p.getFileName().toString()).filter(n -> n.length() == length && !n.startsWith("."))
                    .sorted().toList();
        }
    }

    @Override
    public String toString() {
        return "FileBlobStore(" + root + ")";
    }
}
