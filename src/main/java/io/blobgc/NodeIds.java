package io.blobgc;

import org.apache.pekko.cluster.UniqueAddress;

/** Node identities: a member's unique address, so that a restarted JVM on the same host:port is a new node. */
public final class NodeIds {
    private NodeIds() {
    }

    /** {@code pekko://system@host:port#uid}. */
    public static String of(UniqueAddress ua) {
        return ua.address() + "#" + ua.longUid();
    }

    /** The address part, without the uid: what operators read. */
    public static String address(String nodeId) {
        int i = nodeId.lastIndexOf('#');
        return i < 0 ? nodeId : nodeId.substring(0, i);
    }
}
