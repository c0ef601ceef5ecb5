package io.blobgc;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.blobgc.store.S3BlobStore;
import io.blobgc.store.S3ProxyServers;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node on S3 by configuration: the shipped {@code config/s3.conf} with the bucket, endpoint and keys of an S3Proxy
 * started in this JVM (as S3BlobStoreContractTest starts it: filesystem backend, unknown headers ignored) makes
 * {@code BlobGc} build an {@link S3BlobStore} on a client of its own, and an upload through the node lands in the
 * bucket. And without the SDK on the class path, choosing S3 fails naming the Maven coordinates.
 */
class S3StoreConfigTest {

    static final String ACCESS = "blobgc-config-access", SECRET = "blobgc-config-secret", BUCKET = "node-blobs";

    @TempDir
    static Path backend;
    @TempDir
    Path dir;

    static S3Proxy proxy;
    static BlobStoreContext context;

    @BeforeAll
    static void startS3Proxy() throws Exception {
        context = S3ProxyServers.filesystem(backend);
        context.getBlobStore().createContainerInLocation(null, BUCKET);
        proxy = S3ProxyServers.started(context, ACCESS, SECRET);
    }

    @AfterAll
    static void stopS3Proxy() throws Exception {
        if (proxy != null) proxy.stop();
        if (context != null) context.close();
    }

    /** A node's config: TestNodes' over reference.conf, then config/s3.conf, then the proxy's bucket and keys. */
    private Config nodeConfig() {
        Config s3 = ConfigFactory.parseString("""
                blob-gc.store.s3 { bucket = "%s", endpoint = "http://127.0.0.1:%d", path-style-access = on
                  access-key-id = "%s", secret-access-key = "%s" }
                """.formatted(BUCKET, proxy.getPort(), ACCESS, SECRET))
                .withFallback(ConfigFactory.parseFile(Path.of("config/s3.conf").toFile()));
        return s3.withFallback(TestNodes.config(dir, "")).resolve();
    }

    @Test
    void aNodeConfiguredWithS3ConfStoresItsBlobsInTheBucket() throws Exception {
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "blobgc", nodeConfig());
        try {
            Cluster c = Cluster.get(system);
            c.manager().tell(Join.create(c.selfMember().address()));
            BlobGc gc = BlobGc.get(system);
            S3BlobStore store = assertInstanceOf(S3BlobStore.class, gc.store());
            assertEquals(BUCKET, store.bucket());
            assertEquals("blobs/", store.prefix());

            byte[] content = "a function blob on S3".getBytes();
            BlobHash h = BlobHash.sha256(content);
            assertTrue(gc.upload(h, content, List.of()).toCompletableFuture().get(30, TimeUnit.SECONDS)
                    .rejected().isEmpty());
            assertArrayEquals(content, gc.store().get(h));
            // the object S3Proxy's filesystem backend holds: the bucket, the prefix and the hash
            assertArrayEquals(content, Files.readAllBytes(backend.resolve(BUCKET).resolve("blobs/" + h.toHex())));
            assertNotNull(TestNodes.blobInfo(system, h), "registered: its content was found in the bucket");
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void withoutTheSdkChoosingS3FailsNamingTheMavenCoordinates() {
        ClassLoader noSdk = new ClassLoader(null) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                if (name.startsWith("software.amazon.awssdk.")) throw new ClassNotFoundException(name);
                return super.loadClass(name, resolve);
            }
        };
        var e = assertThrows(IllegalStateException.class, () -> NodeWiring.requireS3Sdk(noSdk));
        assertTrue(e.getMessage().contains("software.amazon.awssdk:s3")
                && e.getMessage().contains("software.amazon.awssdk:url-connection-client"), e.getMessage());
        NodeWiring.requireS3Sdk(NodeWiring.class.getClassLoader()); // the tests' class path has both
    }
}
