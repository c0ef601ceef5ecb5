package io.blobgc.store;

/**
 * The limits of {@link S3BlobStore}'s multipart uploads ({@code blob-gc.store.s3.multipart-threshold} and
 * {@code multipart-part-size}) and their check. Free of the AWS SDK's classes, so that the settings can check them on
 * a class path without the SDK.
 */
public final class S3Multipart {

    private static final long MiB = 1024L * 1024;

    /** S3's smallest part (all parts but the last). */
    public static final long MIN_PART_SIZE = 5 * MiB;
    /** The largest part this store takes: one part is held in memory while it is sent. */
    public static final long MAX_PART_SIZE = 1024 * MiB;
    /** The largest blob one PutObject may carry (S3's limit): a larger blob needs a multipart upload. */
    public static final long MAX_SINGLE_PUT = 5L * 1024 * MiB;
    /** The most parts of one multipart upload (S3's limit). */
    public static final int MAX_PARTS = 10_000;

    /** {@code multipart-threshold}'s default: larger files are uploaded in parts. */
    public static final long DEFAULT_THRESHOLD = 64 * MiB;
    /** {@code multipart-part-size}'s default. */
    public static final long DEFAULT_PART_SIZE = 16 * MiB;

    private S3Multipart() {
    }

    /**
     * Refuses a threshold outside 5 MiB to 5 GiB (a file up to the threshold goes in one PutObject, which S3 takes up
     * to 5 GiB; below 5 MiB a multipart upload would be one part anyway) and a part size outside 5 MiB (S3's minimum)
     * to 1 GiB (held in memory), naming the setting.
     */
    public static void check(long threshold, long partSize) {
        if (threshold < MIN_PART_SIZE || threshold > MAX_SINGLE_PUT) {
            throw new IllegalArgumentException("blob-gc.store.s3.multipart-threshold must be 5 MiB to 5 GiB (S3 takes "
                    + "one PutObject up to 5 GiB; larger files go in parts), not " + threshold + " bytes");
        }
        if (partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
            throw new IllegalArgumentException("blob-gc.store.s3.multipart-part-size must be 5 MiB (S3's smallest "
                    + "part) to 1 GiB (a part is held in memory while it is sent), not " + partSize + " bytes");
        }
    }
}
