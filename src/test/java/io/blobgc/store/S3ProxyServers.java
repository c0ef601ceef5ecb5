package io.blobgc.store;

import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

import java.net.URI;
import java.nio.file.Path;
import java.util.Properties;

/** The tests' S3 server: an S3Proxy in this JVM, on a free local port. */
public final class S3ProxyServers {

    private S3ProxyServers() {
    }

    /** A jclouds filesystem blob store under {@code backend}: the tests' S3Proxy backend (the caller closes it). */
    public static BlobStoreContext filesystem(Path backend) {
        Properties p = new Properties();
        p.setProperty("jclouds.filesystem.basedir", backend.toString());
        return ContextBuilder.newBuilder("filesystem").overrides(p).build(BlobStoreContext.class);
    }

    /**
     * S3Proxy on {@code context}'s store, for the key pair {@code access}/{@code secret}, started ({@link #started}).
     * S3Proxy 2.6.0 answers 501 NotImplemented to x-amz- headers it does not know, among them x-amz-checksum-sha256
     * (S3BlobStore's uploads) and x-amz-checksum-mode (the SDK's GetObject by default): told to ignore them, it stores
     * and serves objects without checking those checksums.
     */
    public static S3Proxy started(BlobStoreContext context, String access, String secret) throws Exception {
        return started(S3Proxy.builder()
                .blobStore(context.getBlobStore())
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, access, secret)
                .ignoreUnknownHeaders(true));
    }

    /**
     * Builds {@code builder}'s S3Proxy on a free port of 127.0.0.1, starts it and returns once it serves (its start
     * returns before its server does): waits up to 5 s, then fails naming its state.
     */
    public static S3Proxy started(S3Proxy.Builder builder) throws Exception {
        S3Proxy proxy = builder.endpoint(URI.create("http://127.0.0.1:0")).build();
        proxy.start();
        for (int i = 0; !"STARTED".equals(proxy.getState()); i++) {
            if (i > 500) throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
            Thread.sleep(10);
        }
        return proxy;
    }
}
