package io.blobgc.store;

import io.blobgc.BlobHash;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectsRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.DeletedObject;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Blobs as objects of an S3-API bucket (AWS S3, MinIO, Ceph RGW, R2, ...), through the host application's own
 * {@link S3Client} (its endpoint, region, credentials, path-style access and HTTP client are the host's business).
 * <p>
 * <b>Key layout: {@code prefix + hex}</b>, flat, e.g. {@code blobs/9f86d081…}. The 64 lower-case hex digits are ASCII,
 * so ListObjectsV2's order (UTF-8 binary order of the keys) is the ascending hash order that {@link #page} promises,
 * and {@code StartAfter = prefix + after.toHex()} resumes a listing at exactly the hash it names, stored or not: a
 * page is one request for up to 1,000 keys. A sharded {@code ab/cdef…} layout would list in the same order but buys
 * nothing on an object store (S3 partitions its index by key prefix by itself, and hash keys are spread evenly
 * already), while it makes every key longer and its key no longer the blob's name. Keys under the prefix that are not
 * 64 hex digits (anything else someone put there) are skipped by {@link #list} and {@link #page}; keys outside the
 * prefix are never looked at, so the bucket may be shared.
 * <p>
 * <b>Uploads</b> are one PutObject each, which S3 applies atomically: a refused or interrupted upload leaves nothing
 * under the key, and no partial object is ever visible. Before anything is sent the content is hashed locally (the
 * file in one streaming pass for {@link #putFile}) and refused when its SHA-256 is not its key; the request then
 * carries the SHA-256 as its {@code x-amz-checksum-sha256} (with {@code x-amz-sdk-checksum-algorithm: SHA256}),
 * which S3 checks against the bytes it receives, and the MD5 of the same pass as {@code Content-MD5}, which every
 * S3-API server checks. S3Proxy 2.6.0 (the tests' server) does not check {@code x-amz-checksum-sha256}: by default it
 * refuses the request with 501 NotImplemented (an {@code x-amz-} header it does not know — so does the SDK's default
 * GetObject, for its {@code x-amz-checksum-mode}), and with {@code s3proxy.ignore-unknown-headers=true} it stores the
 * object without looking at the header; it does refuse a wrong {@code Content-MD5} (400 BadDigest).
 * S3BlobStoreContractTest shows each. So the content is always checked before it is sent, and a file that changes
 * between the local pass and the upload is refused by the server (S3 by either header, S3Proxy by the MD5).
 * {@link #putFile} streams the file from disk ({@link RequestBody#fromFile}): memory stays flat whatever the size.
 * <p>
 * <b>Multipart uploads</b>: {@link #putFile} of a file above the multipart threshold
 * ({@code blob-gc.store.s3.multipart-threshold}, 64 MiB by default, at most 5 GiB: one PutObject's limit) sends it in
 * parts of {@code multipart-part-size} (16 MiB by default; 5 MiB to 1 GiB), one part buffer in memory, in one pass:
 * each part carries its own SHA-256 ({@code x-amz-checksum-sha256}, the upload created with checksum algorithm
 * SHA256, as S3 wants) and MD5 ({@code Content-MD5}). S3 checks both; S3Proxy 2.6.0 checks the MD5 only, and refuses
 * a part whose bytes are not it (S3BlobStoreMultipartTest shows both). The whole blob's SHA-256, over the bytes sent,
 * is checked before CompleteMultipartUpload, which makes the object appear under its key at once: until then nothing
 * is there. Any failure aborts the upload (AbortMultipartUpload), so no parts stay behind either — unless the abort
 * fails too (it is then added to the failure as suppressed) or the process dies mid-upload: a bucket lifecycle rule
 * (AbortIncompleteMultipartUpload) cleans those up. A file of more than 10,000 parts (S3's limit) is refused; the
 * stored object's ETag and checksum are then S3's composite ones ("-N"), not the blob's MD5 or SHA-256 — the key is.
 * <p>
 * Putting content that is already stored uploads it again (one request, no HeadObject first): S3 overwrites it with
 * the same bytes and its LastModified becomes now — a re-uploaded blob looks fresh to the store reconciliation, which
 * is what keeps it from being deleted as an orphan right before the upload registers it. {@link #putFile} always
 * reads and checks its file, even when the key is stored already (FileBlobStore returns early there): a file whose
 * SHA-256 is not its key is refused, as {@link BlobStore#putFile} says, and the stored blob is left alone.
 * <p>
 * <b>Deletes</b> ask HeadObject for the size first (0, and no DeleteObject, when the key is not there), then
 * DeleteObject: two requests, so that the sweeper can count the bytes freed. Two concurrent deletes of one blob may
 * both report its size. (On AWS, a HeadObject of a missing key is
 * answered 404 only to a caller allowed s3:ListBucket on the bucket, 403 otherwise: the store needs it anyway, for
 * {@link #page}.)
 * <p>
 * <b>Batched deletes</b> ({@link #deleteEach}, the sweeper's way) are DeleteObjects requests of up to 1,000 keys,
 * quiet mode off so that the answer names every key deleted and every key that failed (a key the answer does not
 * name counts as failed: the sweeper retries it). They report <b>0 bytes freed</b>: DeleteObjects does not say how
 * large an object was, nor whether it was there at all, and asking first (a HeadObject per key, or listing the
 * batch's keys, which are spread over the whole key space) would cost as many requests as single deletes — the very
 * thing batching saves. The bytes freed in the journal ({@code BlobsCollected}) and the metrics are then 0 for blobs
 * deleted this way; {@link #delete} still counts them.
 * <p>
 * <b>Throttling</b>: a 503 (S3's SlowDown), a 429, an error code S3 uses for throttling, or a connection reset is
 * thrown (or reported per key) as a {@link StoreThrottledException}, so that the sweeper slows down and retries
 * instead of counting the blob as failed. The host's client may retry such requests itself first (the SDK's retry
 * strategy): the sweeper's own backoff comes on top of it.
 * <p>
 * {@link #usableSpace} is empty: an object store has no free space to tell. Failures of the SDK ({@link SdkException})
 * are thrown as {@link IOException}s with the SDK's exception as the cause.
 */
public final class S3BlobStore implements BlobStore {

    /** The largest blob one PutObject may carry (S3's limit): {@link #putFile} goes multipart well below it. */
    public static final long MAX_SINGLE_PUT = S3Multipart.MAX_SINGLE_PUT;

    /** The most keys ListObjectsV2 returns in one response. */
    static final int MAX_KEYS = 1000;

    /** The most keys one DeleteObjects request may carry (S3's limit). */
    public static final int MAX_DELETE_KEYS = 1000;

    /** Error codes S3 (and S3-API servers) answer when they want the caller to slow down, whole or per key. */
    private static final java.util.Set<String> THROTTLING_CODES = java.util.Set.of("SlowDown", "Throttling",
            "ThrottlingException", "RequestLimitExceeded", "TooManyRequests", "TooManyRequestsException",
            "ServiceUnavailable", "RequestThrottled");

    private static final int HEX_LENGTH = 2 * BlobHash.BYTES;

    private final S3Client s3;
    private final String bucket;
    private final String prefix;
    private final int keysPerDelete;
    /** {@link #putFile} of a larger file is a multipart upload, in parts of {@link #partSize} bytes. */
    private final long multipartThreshold;
    private final long partSize;
    /**
     * Set once the store refused DeleteObjects itself (400 InvalidRequest or 501 NotImplemented: some S3-API servers
     * do not implement it, or want a header this SDK does not send): from then on {@link #deleteEach} deletes one key a
     * request, as before batching, and {@link #deletesPerRequest} is 1.
     */
    private volatile boolean oneByOne;

    /**
     * @param s3     the host application's client; not closed by this store
     * @param bucket an existing bucket
     * @param prefix put before every blob's hex name ("" for none; {@code "blobs/"} keeps them in a "folder")
     */
    public S3BlobStore(S3Client s3, String bucket, String prefix) {
        this(s3, bucket, prefix, S3Multipart.DEFAULT_THRESHOLD, S3Multipart.DEFAULT_PART_SIZE);
    }

    /**
     * @param multipartThreshold {@link #putFile} of a larger file is a multipart upload (5 MiB to 5 GiB; 64 MiB by
     *                           default)
     * @param partSize           its parts' size (5 MiB to 1 GiB; 16 MiB by default): one part is held in memory
     */
    public S3BlobStore(S3Client s3, String bucket, String prefix, long multipartThreshold, long partSize) {
        this(s3, bucket, prefix, MAX_DELETE_KEYS, multipartThreshold, partSize);
    }

    /** @param keysPerDelete the most keys of one DeleteObjects request (1 to 1,000): smaller in tests */
    S3BlobStore(S3Client s3, String bucket, String prefix, int keysPerDelete) {
        this(s3, bucket, prefix, keysPerDelete, S3Multipart.DEFAULT_THRESHOLD, S3Multipart.DEFAULT_PART_SIZE);
    }

    private S3BlobStore(S3Client s3, String bucket, String prefix, int keysPerDelete, long multipartThreshold,
                        long partSize) {
        if (keysPerDelete < 1 || keysPerDelete > MAX_DELETE_KEYS) {
            throw new IllegalArgumentException("keys per DeleteObjects must be 1 to 1000, not " + keysPerDelete);
        }
        S3Multipart.check(multipartThreshold, partSize);
        this.multipartThreshold = multipartThreshold;
        this.partSize = partSize;
        this.keysPerDelete = keysPerDelete;
        this.s3 = Objects.requireNonNull(s3, "s3");
        this.bucket = Objects.requireNonNull(bucket, "bucket");
        if (bucket.isEmpty()) throw new IllegalArgumentException("no bucket");
        this.prefix = prefix == null ? "" : prefix;
    }

    public String bucket() {
        return bucket;
    }

    public String prefix() {
        return prefix;
    }

    /** The object key of {@code hash}: the prefix and the 64 hex digits. */
    public String keyOf(BlobHash hash) {
        return prefix + hash.toHex();
    }

    /** The blob a key under the prefix names, or null when it is not one of ours. */
    private BlobHash hashOf(String key) {
        if (!key.startsWith(prefix) || key.length() != prefix.length() + HEX_LENGTH) return null;
        String hex = key.substring(prefix.length());
        return BlobHash.isHex(hex) && hex.equals(hex.toLowerCase(java.util.Locale.ROOT)) ? BlobHash.parse(hex) : null;
    }

    @Override
    public void put(BlobHash hash, byte[] content) throws IOException {
        BlobStore.requireAddress(hash, content);
        upload(hash, content.length, md5().digest(content), RequestBody.fromBytes(content));
    }

    /**
     * Up to the multipart threshold: hashes the file in one streaming pass (SHA-256 and MD5), then uploads it from
     * disk in one PutObject. Above it: a multipart upload ({@link #putMultipart}).
     */
    @Override
    public void putFile(BlobHash hash, Path file) throws IOException {
        long length = Files.size(file);
        if (length > multipartThreshold) {
            putMultipart(hash, file, length);
            return;
        }
        MessageDigest sha = BlobHash.sha256Digest(), md5 = md5();
        long size = 0;
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) >= 0; ) {
                sha.update(buf, 0, n);
                md5.update(buf, 0, n);
                size += n;
            }
        }
        BlobHash actual = BlobHash.of(sha.digest());
        if (!actual.equals(hash)) {
            throw new IllegalArgumentException("content does not match its address: expected " + hash
                    + ", its SHA-256 is " + actual);
        }
        upload(hash, size, md5.digest(), RequestBody.fromFile(file));
    }

    private void upload(BlobHash hash, long size, byte[] md5, RequestBody body) throws IOException {
        if (size > MAX_SINGLE_PUT) { // the file grew past the threshold between its size and its hashing
            throw new IOException("blob " + hash + " is " + size + " bytes: above " + MAX_SINGLE_PUT + " (one "
                    + "PutObject's limit) it goes in a multipart upload, but its file grew while it was read");
        }
        Base64.Encoder b64 = Base64.getEncoder();
        PutObjectRequest req = PutObjectRequest.builder()
                .bucket(bucket)
                .key(keyOf(hash))
                .contentLength(size)
                .contentType("application/octet-stream")
                .checksumAlgorithm(ChecksumAlgorithm.SHA256)
                .checksumSHA256(b64.encodeToString(hash.toBytes()))
                .contentMD5(b64.encodeToString(md5))
                .build();
        try {
            s3.putObject(req, body);
        } catch (SdkException e) {
            throw io("putting " + hash, e);
        }
    }

    /**
     * A multipart upload of {@code file} ({@code length} bytes when it was looked at), in one streaming pass:
     * CreateMultipartUpload (checksum algorithm SHA-256), then each part read into one buffer of {@link #partSize}
     * bytes (the only memory it takes) and sent with its own SHA-256 ({@code x-amz-checksum-sha256}) and MD5
     * ({@code Content-MD5}), which the server checks against the part's bytes, while the whole file's SHA-256 is
     * computed over the very bytes sent. Only when that is the blob's hash does CompleteMultipartUpload (with each
     * part's ETag and SHA-256) make the object appear under its key, at once. On any failure — the content is not its
     * hash (a wrong file, or one that changed while it was read), the file cannot be read, a part or the completion
     * is refused or does not arrive — the upload is aborted (AbortMultipartUpload), which discards the parts: nothing
     * is left under the key, and no upload in progress. (Should the abort fail too, or the JVM die mid-upload, the
     * parts stay until a bucket lifecycle rule, AbortIncompleteMultipartUpload, removes them: README, Running on S3.)
     */
    private void putMultipart(BlobHash hash, Path file, long length) throws IOException {
        long expectedParts = (length + partSize - 1) / partSize;
        if (expectedParts > S3Multipart.MAX_PARTS) {
            throw new IOException("blob " + hash + " is " + length + " bytes: more than " + S3Multipart.MAX_PARTS
                    + " parts (S3's limit) of " + partSize + " bytes; raise blob-gc.store.s3.multipart-part-size");
        }
        String key = keyOf(hash);
        String uploadId;
        try {
            uploadId = s3.createMultipartUpload(CreateMultipartUploadRequest.builder().bucket(bucket).key(key)
                    .contentType("application/octet-stream").checksumAlgorithm(ChecksumAlgorithm.SHA256).build())
                    .uploadId();
        } catch (SdkException e) {
            throw io("starting the multipart upload of " + hash, e);
        }
        try {
            List<CompletedPart> parts = uploadParts(hash, key, uploadId, file, (int) Math.min(partSize, length));
            try {
                s3.completeMultipartUpload(CompleteMultipartUploadRequest.builder().bucket(bucket).key(key)
                        .uploadId(uploadId).multipartUpload(CompletedMultipartUpload.builder().parts(parts).build())
                        .build());
            } catch (SdkException e) {
                throw io("completing the multipart upload of " + hash, e);
            }
        } catch (Throwable failure) {
            abort(hash, key, uploadId, failure);
            throw failure;
        }
    }

    /** Sends the file's parts; throws unless the bytes sent are the blob's (their SHA-256 is its hash). */
    private List<CompletedPart> uploadParts(BlobHash hash, String key, String uploadId, Path file, int bufferSize)
            throws IOException {
        MessageDigest whole = BlobHash.sha256Digest();
        Base64.Encoder b64 = Base64.getEncoder();
        byte[] buf = new byte[bufferSize];
        List<CompletedPart> parts = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file)) {
            for (int number = 1; ; number++) {
                int len = in.readNBytes(buf, 0, buf.length);
                if (len == 0 && number > 1) break;
                if (number > S3Multipart.MAX_PARTS) {
                    throw new IOException("the file of blob " + hash + " grew past " + S3Multipart.MAX_PARTS
                            + " parts while it was uploaded");
                }
                whole.update(buf, 0, len);
                MessageDigest partSha = BlobHash.sha256Digest(), partMd5 = md5();
                partSha.update(buf, 0, len);
                partMd5.update(buf, 0, len);
                String sha = b64.encodeToString(partSha.digest());
                UploadPartRequest req = UploadPartRequest.builder().bucket(bucket).key(key).uploadId(uploadId)
                        .partNumber(number).contentLength((long) len)
                        .checksumAlgorithm(ChecksumAlgorithm.SHA256).checksumSHA256(sha)
                        .contentMD5(b64.encodeToString(partMd5.digest()))
                        .build();
                final int n = len;
                // the buffer itself, not a copy (RequestBody.fromBytes copies): one part in memory
                RequestBody body = RequestBody.fromContentProvider(() -> new ByteArrayInputStream(buf, 0, n), n,
                        "application/octet-stream");
                UploadPartResponse r;
                try {
                    r = s3.uploadPart(req, body);
                } catch (SdkException e) {
                    throw io("uploading part " + number + " of " + hash, e);
                }
                parts.add(CompletedPart.builder().partNumber(number).eTag(r.eTag()).checksumSHA256(sha).build());
                if (len < buf.length) break;
            }
        }
        BlobHash actual = BlobHash.of(whole.digest());
        if (!actual.equals(hash)) {
            throw new IllegalArgumentException("content does not match its address: expected " + hash
                    + ", its SHA-256 is " + actual + " (multipart upload aborted)");
        }
        return parts;
    }

    /** Discards the upload's parts; a failure to is added to {@code failure}, which is thrown anyway. */
    private void abort(BlobHash hash, String key, String uploadId, Throwable failure) {
        try {
            s3.abortMultipartUpload(AbortMultipartUploadRequest.builder().bucket(bucket).key(key).uploadId(uploadId)
                    .build());
        } catch (RuntimeException e) {
            failure.addSuppressed(new IOException("aborting the multipart upload " + uploadId + " of " + hash
                    + " in s3://" + bucket + "/" + prefix + " failed too: its parts stay until the bucket's "
                    + "lifecycle rule (AbortIncompleteMultipartUpload) removes them", e));
        }
    }

    @Override
    public boolean exists(BlobHash hash) throws IOException {
        return head(hash) != null;
    }

    /** The object's metadata, or null when it is not there. */
    private HeadObjectResponse head(BlobHash hash) throws IOException {
        try {
            return s3.headObject(HeadObjectRequest.builder().bucket(bucket).key(keyOf(hash)).build());
        } catch (NoSuchKeyException e) {
            return null;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) return null; // HEAD has no body: the SDK cannot tell NoSuchKey
            throw io("looking up " + hash, e);
        } catch (SdkException e) {
            throw io("looking up " + hash, e);
        }
    }

    @Override
    public byte[] get(BlobHash hash) throws IOException {
        try {
            return s3.getObjectAsBytes(GetObjectRequest.builder().bucket(bucket).key(keyOf(hash)).build())
                    .asByteArray();
        } catch (NoSuchKeyException e) {
            throw notThere(hash, e);
        } catch (S3Exception e) {
            if (e.statusCode() == 404) throw notThere(hash, e);
            throw io("getting " + hash, e);
        } catch (SdkException e) {
            throw io("getting " + hash, e);
        }
    }

    private NoSuchFileException notThere(BlobHash hash, Exception cause) {
        NoSuchFileException e = new NoSuchFileException("s3://" + bucket + "/" + keyOf(hash));
        e.initCause(cause);
        return e;
    }

    /**
     * How every delete request goes out: exactly once — the sweeper checks its batch's deadline before each request
     * and backs off itself on throttling, while a client's own retries (the SDK's default retries a SlowDown seconds
     * later) could delete after that deadline (S10; found by a review) — and with a Content-MD5 header, which
     * S3-API servers that predate the SDK's newer checksums require for DeleteObjects.
     */
    private static final java.util.function.Consumer<software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration.Builder>
            ONE_REQUEST = o -> o.addPlugin(c -> c.overrideConfiguration(oc -> oc.retryStrategy(
                    software.amazon.awssdk.awscore.retry.AwsRetryStrategy.doNotRetry())))
            .addPlugin(software.amazon.awssdk.services.s3.LegacyMd5Plugin.create());

    @Override
    public long delete(BlobHash hash) throws IOException {
        HeadObjectResponse head = head(hash);
        if (head == null) return 0;
        try {
            s3.deleteObject(DeleteObjectRequest.builder().bucket(bucket).key(keyOf(hash)).overrideConfiguration(ONE_REQUEST)
                    .build());
        } catch (SdkException e) {
            throw io("deleting " + hash, e);
        }
        return head.contentLength() == null ? 0 : head.contentLength();
    }

    /** One DeleteObjects request holds up to 1,000 keys. */
    @Override
    public int deletesPerRequest() {
        return oneByOne ? 1 : keysPerDelete;
    }

    /**
     * DeleteObjects, up to {@link #MAX_DELETE_KEYS} keys a request, quiet mode off: each key's outcome is the
     * answer's (Deleted: 0 bytes freed, see the class comment; Error: that key's failure, throttled when its code says
     * so); a request that fails as a whole fails each of its keys. A hash listed twice is sent once.
     */
    @Override
    public List<Deletion> deleteEach(List<BlobHash> hashes) {
        if (oneByOne) return BlobStore.super.deleteEach(hashes);
        java.util.Map<BlobHash, Deletion> outcome = new java.util.HashMap<>();
        List<BlobHash> distinct = new ArrayList<>(new java.util.LinkedHashSet<>(hashes));
        for (int from = 0; from < distinct.size(); from += keysPerDelete) {
            List<BlobHash> chunk = distinct.subList(from, Math.min(distinct.size(), from + keysPerDelete));
            deleteObjects(chunk).forEach(d -> outcome.put(d.hash(), d));
        }
        List<Deletion> out = new ArrayList<>(hashes.size());
        java.util.Set<BlobHash> reported = new java.util.HashSet<>();
        for (BlobHash h : hashes) {
            Deletion d = outcome.get(h);
            out.add(reported.add(h) || !d.deleted() ? d : Deletion.freed(h, 0));
        }
        return out;
    }

    /** One DeleteObjects request for {@code chunk} (at most 1,000 distinct hashes): one outcome per hash. */
    private List<Deletion> deleteObjects(List<BlobHash> chunk) {
        java.util.Map<String, BlobHash> byKey = new java.util.LinkedHashMap<>();
        for (BlobHash h : chunk) byKey.put(keyOf(h), h);
        DeleteObjectsResponse r;
        try {
            r = s3.deleteObjects(DeleteObjectsRequest.builder().bucket(bucket).delete(Delete.builder()
                    .objects(byKey.keySet().stream().map(k -> ObjectIdentifier.builder().key(k).build()).toList())
                    .quiet(false).build()).overrideConfiguration(ONE_REQUEST).build());
        } catch (SdkException e) {
            if (e instanceof S3Exception s3e && (s3e.statusCode() == 501 || s3e.statusCode() == 400
                    && s3e.awsErrorDetails() != null && "InvalidRequest".equals(s3e.awsErrorDetails().errorCode()))) {
                oneByOne = true; // the store does not take DeleteObjects: these fail now, and come back in a later batch
            }
            IOException failure = io("deleting " + chunk.size() + " blob(s)", e);
            return chunk.stream().map(h -> Deletion.failed(h, failure)).toList();
        }
        java.util.Map<BlobHash, Deletion> outcome = new java.util.HashMap<>();
        for (DeletedObject d : r.deleted()) {
            BlobHash h = byKey.get(d.key());
            if (h != null) outcome.put(h, Deletion.freed(h, 0));
        }
        for (S3Error e : r.errors()) {
            BlobHash h = byKey.get(e.key());
            if (h == null) continue;
            String what = "deleting " + h + " in s3://" + bucket + "/" + prefix + " failed: " + e.code() + " "
                    + e.message();
            outcome.put(h, Deletion.failed(h, THROTTLING_CODES.contains(e.code())
                    ? new StoreThrottledException(what, null) : new IOException(what)));
        }
        List<Deletion> out = new ArrayList<>(chunk.size());
        for (BlobHash h : chunk) {
            Deletion d = outcome.get(h);
            out.add(d != null ? d : Deletion.failed(h, new IOException("deleting " + h + " in s3://" + bucket + "/"
                    + prefix + ": DeleteObjects' answer does not name its key")));
        }
        return out;
    }

    @Override
    public void list(Consumer<BlobHash> each) throws IOException {
        String token = null;
        do {
            ListObjectsV2Response r = listPage(null, token, MAX_KEYS);
            for (S3Object o : r.contents()) {
                BlobHash h = hashOf(o.key());
                if (h != null) each.accept(h);
            }
            token = Boolean.TRUE.equals(r.isTruncated()) ? r.nextContinuationToken() : null;
        } while (token != null);
    }

    /**
     * ListObjectsV2 from {@code StartAfter = prefix + after}, asking for one key more than the page holds so that
     * {@code more} is exact (true only when a blob follows the page's last entry); a response of keys that are not
     * blobs is followed by the next (continuation token) until the page is full or the listing ends.
     */
    @Override
    public Page page(BlobHash after, int max) throws IOException {
        List<Entry> out = new ArrayList<>();
        if (max <= 0) return new Page(out, true);
        String startAfter = after == null ? null : keyOf(after);
        String token = null;
        while (true) {
            int ask = (int) Math.min(MAX_KEYS, (long) max - out.size() + 1);
            ListObjectsV2Response r = listPage(token == null ? startAfter : null, token, ask);
            for (S3Object o : r.contents()) {
                BlobHash h = hashOf(o.key());
                if (h == null) continue;
                if (out.size() == max) return new Page(out, true);
                out.add(new Entry(h, o.lastModified().toEpochMilli()));
            }
            if (!Boolean.TRUE.equals(r.isTruncated()) || r.nextContinuationToken() == null) return new Page(out, false);
            token = r.nextContinuationToken();
        }
    }

    private ListObjectsV2Response listPage(String startAfter, String token, int maxKeys) throws IOException {
        ListObjectsV2Request.Builder req = ListObjectsV2Request.builder().bucket(bucket).maxKeys(maxKeys);
        if (!prefix.isEmpty()) req.prefix(prefix);
        if (token != null) req.continuationToken(token);
        else if (startAfter != null) req.startAfter(startAfter);
        try {
            return s3.listObjectsV2(req.build());
        } catch (SdkException e) {
            throw io("listing s3://" + bucket + "/" + prefix, e);
        }
    }

    /** The SDK's failure as an IOException: a {@link StoreThrottledException} when the store pushed back. */
    private IOException io(String what, SdkException e) {
        String message = what + " in s3://" + bucket + "/" + prefix + " failed: " + e.getMessage();
        return throttling(e) ? new StoreThrottledException(message, e) : new IOException(message, e);
    }

    /** 503 (S3's SlowDown) or 429, a throttling error code, or a connection reset on the way. */
    static boolean throttling(SdkException e) {
        if (e instanceof AwsServiceException s) {
            if (s.statusCode() == 503 || s.statusCode() == 429 || s.isThrottlingException()) return true;
            if (s.awsErrorDetails() != null && THROTTLING_CODES.contains(s.awsErrorDetails().errorCode())) return true;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.SocketException && String.valueOf(t.getMessage()).contains("reset")) return true;
            if (t.getCause() == t) break;
        }
        return false;
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no MD5 in this JVM", e);
        }
    }

    @Override
    public String toString() {
        return "S3BlobStore(s3://" + bucket + "/" + prefix + ")";
    }
}
