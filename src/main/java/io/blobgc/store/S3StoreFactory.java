package io.blobgc.store;

import io.blobgc.BlobGcSettings;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

import java.net.URI;

/**
 * Builds the {@link S3BlobStore} that {@code blob-gc.store.s3} describes, with an {@link S3Client} of its own (the
 * URL-connection HTTP client, the SDK's other defaults). Loaded only when the S3 store is chosen: it names the SDK's
 * classes, which an embedder may not have ({@code io.blobgc.NodeWiring} checks for them first).
 */
public final class S3StoreFactory {

    /** The region when none is set and an endpoint is (MinIO and S3Proxy take any). */
    static final Region ENDPOINT_DEFAULT_REGION = Region.US_EAST_1;

    private S3StoreFactory() {
    }

    /** A store and the client it was made with: the client is the caller's to close when the store is done with. */
    public record Made(BlobStore store, AutoCloseable client) {
    }

    /** The store of {@code s}, on a new client (closed again if the store cannot be made). */
    public static Made open(BlobGcSettings.S3 s) {
        S3ClientBuilder b = S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .region(region(s))
                .forcePathStyle(s.pathStyleAccess())
                .credentialsProvider(credentials(s));
        if (!s.endpoint().isEmpty()) b.endpointOverride(URI.create(s.endpoint()));
        S3Client client = b.build();
        try {
            return new Made(new S3BlobStore(client, s.bucket(), s.prefix(), s.multipartThreshold(),
                    s.multipartPartSize()), client);
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /**
     * The region set; else us-east-1 with an endpoint (the chain below may ask the EC2 instance metadata service,
     * seconds off AWS); else the SDK's default region chain.
     */
    static Region region(BlobGcSettings.S3 s) {
        if (!s.region().isEmpty()) return Region.of(s.region());
        if (!s.endpoint().isEmpty()) return ENDPOINT_DEFAULT_REGION;
        try {
            return DefaultAwsRegionProviderChain.builder().build().getRegion();
        } catch (SdkClientException e) {
            throw new IllegalArgumentException("blob-gc.store.s3.region is not set and the SDK's default region chain "
                    + "found none (AWS_REGION, ~/.aws/config, the instance's metadata): set it to the bucket's region", e);
        }
    }

    private static AwsCredentialsProvider credentials(BlobGcSettings.S3 s) {
        return s.staticCredentials()
                ? StaticCredentialsProvider.create(AwsBasicCredentials.create(s.accessKeyId(), s.secretAccessKey()))
                : DefaultCredentialsProvider.builder().build();
    }
}
