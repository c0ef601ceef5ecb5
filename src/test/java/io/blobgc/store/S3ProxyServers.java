package io.blobgc.store;

import org.gaul.s3proxy.S3Proxy;

import java.net.URI;

/** The tests' S3 server: an S3Proxy in this JVM, on a free local port. */
public final class S3ProxyServers {

    private S3ProxyServers() {
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
