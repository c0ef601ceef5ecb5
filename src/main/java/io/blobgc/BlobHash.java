package io.blobgc;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The 32-byte SHA-256 address of a blob, held as four longs (big-endian) so that it compares and
 * hashes by content and costs no array per instance. Printed and serialized as 64 lowercase hex digits.
 */
public record BlobHash(long w0, long w1, long w2, long w3) implements Comparable<BlobHash> {

    public static final int BYTES = 32;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /**
     * Parses 64 ASCII hexadecimal characters ({@code [0-9a-fA-F]}, either case); anything else is an
     * {@link IllegalArgumentException}.
     */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static BlobHash parse(String hex) {
        if (hex == null) {
            throw new IllegalArgumentException("blob hash is missing (expected 64 hex characters)");
        }
        if (hex.length() != 2 * BYTES) {
            throw new IllegalArgumentException(
                    "malformed blob hash '" + abbreviate(hex) + "': expected 64 hex characters, got " + hex.length());
        }
        long[] w = new long[4];
        for (int i = 0; i < 64; i++) {
            int d = hexDigit(hex.charAt(i));
            if (d < 0) {
                throw new IllegalArgumentException(
                        "malformed blob hash '" + abbreviate(hex) + "': '" + hex.charAt(i) + "' at position " + i
                                + String.format(" (U+%04X)", (int) hex.charAt(i)) + " is not a hex digit");
            }
            w[i / 16] = (w[i / 16] << 4) | d;
        }
        return new BlobHash(w[0], w[1], w[2], w[3]);
    }

    /** Whether {@code s} is a hash as {@link #toHex} writes it: 64 lowercase ASCII hex digits. */
    public static boolean isHex(String s) {
        if (s == null || s.length() != 2 * BYTES) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) return false;
        }
        return true;
    }

    /** The value of an ASCII hex digit, or -1: unlike {@link Character#digit}, fullwidth and other digits are not. */
    private static int hexDigit(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    public static BlobHash of(byte[] bytes) {
        if (bytes.length != BYTES) {
            throw new IllegalArgumentException("a blob hash has 32 bytes, got " + bytes.length);
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        return new BlobHash(b.getLong(), b.getLong(), b.getLong(), b.getLong());
    }

    /** The SHA-256 of {@code content}: the address under which that content is stored. */
    public static BlobHash sha256(byte[] content) {
        return of(sha256Digest().digest(content));
    }

    /** A fresh SHA-256 digest, for content hashed as it streams by: {@code of(digest.digest())} is its address. */
    public static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    public byte[] toBytes() {
        return ByteBuffer.allocate(BYTES).putLong(w0).putLong(w1).putLong(w2).putLong(w3).array();
    }

    @JsonValue
    public String toHex() {
        char[] out = new char[64];
        long[] w = {w0, w1, w2, w3};
        for (int i = 0; i < 64; i++) {
            out[i] = HEX[(int) (w[i / 16] >>> (60 - 4 * (i % 16))) & 0xF];
        }
        return new String(out);
    }

    /** The first 12 hex digits, for log lines. */
    public String shortHex() {
        return toHex().substring(0, 12);
    }

    @Override
    public String toString() {
        return toHex();
    }

    @Override
    public int compareTo(BlobHash o) {
        int c = Long.compareUnsigned(w0, o.w0);
        if (c == 0) c = Long.compareUnsigned(w1, o.w1);
        if (c == 0) c = Long.compareUnsigned(w2, o.w2);
        if (c == 0) c = Long.compareUnsigned(w3, o.w3);
        return c;
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
