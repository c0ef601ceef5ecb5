package io.blobgc.multijvm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A node JVM whose wall clock is off by a fixed offset: libfaketime preloaded as Debian's faketime package installs it
 * (no clock hook in production code). {@code FAKETIME_DONT_FAKE_MONOTONIC=1}: only the wall clock shifts, and
 * {@code System.nanoTime} stays real. The library is preloaded directly rather than through {@code faketime}, which
 * would stay the JVM's parent, so that a kill -9 of the started process kills the JVM.
 * {@code FAKETIME_FORCE_MONOTONIC_FIX=0}: the fix this glibc turns on by default makes the JVM's timed waits return at
 * once (Thread.sleep(1) 18 ms, parkNanos 0 µs: spinning threads, heartbeats 1.5 s late).
 */
final class FakeClock {
    private FakeClock() {
    }

    /** libfaketime's path ({@code /usr/lib/<arch>/faketime/}), or null when it is not installed. */
    static String library() throws IOException {
        try (var dirs = Files.list(Path.of("/usr/lib"))) {
            return dirs.map(d -> d.resolve("faketime").resolve("libfaketime.so.1")).filter(Files::isReadable)
                    .map(Path::toString).findFirst().orElse(null);
        }
    }

    /** The environment of a JVM whose wall clock is off by {@code offset} (libfaketime's: "-10m", "+20" seconds). */
    static Map<String, String> environment(String library, String offset) {
        return Map.of("LD_PRELOAD", library, "FAKETIME", offset, "FAKETIME_DONT_FAKE_MONOTONIC", "1",
                "FAKETIME_FORCE_MONOTONIC_FIX", "0");
    }
}
