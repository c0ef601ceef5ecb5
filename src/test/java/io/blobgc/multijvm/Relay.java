package io.blobgc.multijvm;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A byte relay between TCP and Unix domain sockets, for {@link Netns}: a Unix socket is a file, and
 * the filesystem is shared across network namespaces, so a relay in a node's namespace and one in the test JVM (the
 * root namespace) join a TCP port of the one to a TCP port of the other without any address outside the namespaces.
 * As a main ({@code tcp:HOST:PORT=unix:/path} or {@code unix:/path=tcp:HOST:PORT}, listen=target, any number) it
 * runs until its standard input closes: it ends with the test JVM that started it, however that ends.
 */
public final class Relay implements AutoCloseable {

    private final ServerSocketChannel server;
    private final SocketAddress listen;
    private final Thread acceptor;
    private final List<SocketChannel> open = new ArrayList<>();

    private Relay(SocketAddress listen, SocketAddress target) throws IOException {
        this.listen = listen;
        if (listen instanceof UnixDomainSocketAddress u) {
            Files.deleteIfExists(u.getPath());
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        } else {
            server = ServerSocketChannel.open();
            server.socket().setReuseAddress(true);
        }
        server.bind(listen);
        acceptor = new Thread(() -> {
            while (server.isOpen()) {
                try {
                    SocketChannel in = server.accept();
                    SocketChannel out;
                    try {
                        out = SocketChannel.open(target);
                    } catch (IOException e) {
                        in.close();
                        continue;
                    }
                    synchronized (open) {
                        open.add(in);
                        open.add(out);
                    }
                    pump(in, out);
                    pump(out, in);
                } catch (IOException e) {
                    if (!server.isOpen()) return;
                }
            }
        }, "relay " + listen);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Relays connections to {@code listen} to {@code target} until closed. */
    public static Relay start(SocketAddress listen, SocketAddress target) throws IOException {
        return new Relay(listen, target);
    }

    private static void pump(SocketChannel from, SocketChannel to) {
        Thread t = new Thread(() -> {
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            try {
                while (from.read(buf) >= 0) {
                    buf.flip();
                    while (buf.hasRemaining()) to.write(buf);
                    buf.clear();
                }
                to.shutdownOutput();
            } catch (IOException e) {
                try {
                    from.close();
                    to.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        }, "relay pump");
        t.setDaemon(true);
        t.start();
    }

    /** {@code tcp:HOST:PORT} or {@code unix:/path}. */
    static SocketAddress address(String spec) {
        if (spec.startsWith("unix:")) return UnixDomainSocketAddress.of(Path.of(spec.substring(5)));
        if (spec.startsWith("tcp:")) {
            int colon = spec.lastIndexOf(':');
            return new InetSocketAddress(spec.substring(4, colon), Integer.parseInt(spec.substring(colon + 1)));
        }
        throw new IllegalArgumentException("not tcp:HOST:PORT or unix:/path: " + spec);
    }

    @Override
    public void close() throws IOException {
        server.close();
        if (listen instanceof UnixDomainSocketAddress u) Files.deleteIfExists(u.getPath());
        synchronized (open) {
            for (SocketChannel c : open) c.close();
        }
    }

    public static void main(String[] args) throws Exception {
        for (String arg : args) {
            String[] lt = arg.split("=", 2);
            start(address(lt[0]), address(lt[1]));
        }
        System.out.println("relaying " + String.join(" ", args));
        System.out.flush();
        while (System.in.read() >= 0) {
            // until the parent closes our stdin (or dies)
        }
        System.exit(0);
    }
}
