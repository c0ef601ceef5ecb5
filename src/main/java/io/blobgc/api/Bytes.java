package io.blobgc.api;

import java.util.Locale;

/** Byte counts as people read them, for the command line and the demo. */
public final class Bytes {

    private Bytes() {
    }

    /** {@code n} bytes as B, KiB or MiB with one decimal. */
    public static String human(long n) {
        if (n < 1024) return n + " B";
        if (n < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
        return String.format(Locale.ROOT, "%.1f MiB", n / (1024.0 * 1024));
    }
}
