package io.blobgc;

import com.typesafe.config.Config;
import org.apache.pekko.cluster.ConfigValidation;
import org.apache.pekko.cluster.Invalid;
import org.apache.pekko.cluster.JoinConfigCompatChecker;
import org.apache.pekko.cluster.Valid$;
import scala.jdk.javaapi.CollectionConverters;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Keeps a member whose {@code blob-gc.partitions} or {@code blob-gc.partition-hosting} differs from the cluster's out
 * of it, at join (Pekko's configuration compatibility check, registered in reference.conf). Both are fixed for a
 * journal's life: a member with another number would refuse the journal when the singleton moved to it, and would
 * split reports and route blobs by another prefix; one with another hosting would refuse it too, or look for the
 * partitions where they are not. The hosting is compared only at more than one partition, which is all that uses it,
 * and {@code auto} is {@code sharded} there (every member is a cluster's).
 * A member without blob-gc on its classpath sends no such key and is let in: this check is about blob-gc's members
 * only; so is one from before a key existed, for that key.
 */
public final class PartitionsJoinCheck extends JoinConfigCompatChecker {
    static final String KEY = "blob-gc.partitions";
    static final String HOSTING_KEY = BlobGcSettings.HOSTING_SETTING;

    @Override
    public scala.collection.immutable.Seq<String> requiredKeys() {
        return CollectionConverters.asScala(List.of(KEY, HOSTING_KEY)).toList();
    }

    @Override
    public ConfigValidation check(Config joining, Config cluster) {
        List<String> errors = new ArrayList<>();
        differs(KEY, joining, cluster).ifPresent(d -> errors.add(d + ": every member of a blob-gc cluster must have "
                + "the same number of partitions (it is fixed for the journal's life)"));
        if (errors.isEmpty() && morePartitionsThanOne(cluster)) {
            differs(HOSTING_KEY, joining, cluster).ifPresent(d -> errors.add(d + ": every member of a blob-gc cluster "
                    + "with more than one partition must host them the same way (it is fixed for the journal's life)"));
        }
        return errors.isEmpty() ? Valid$.MODULE$ : Invalid.apply(CollectionConverters.asScala(errors).toList());
    }

    /** Both values of {@code key}, when both members have it and they differ; empty otherwise. */
    private static Optional<String> differs(String key, Config joining, Config cluster) {
        if (!joining.hasPath(key) || !cluster.hasPath(key)) return Optional.empty();
        String theirs = joining.getValue(key).unwrapped().toString(), ours = cluster.getValue(key).unwrapped().toString();
        if (effective(key, theirs).equals(effective(key, ours))) return Optional.empty();
        return Optional.of(key + " = " + theirs + " on the joining member, " + ours + " in the cluster");
    }

    /**
     * What {@code value} of {@code key} means between members of a cluster: the hosting {@code auto} is {@code sharded}
     * there (it is compared only at more than one partition: {@link BlobGcSettings.PartitionHosting#of}).
     */
    private static String effective(String key, String value) {
        return key.equals(HOSTING_KEY) && value.equals(BlobGcSettings.PartitionHosting.AUTO)
                ? BlobGcSettings.PartitionHosting.SHARDED.configName() : value;
    }

    private static boolean morePartitionsThanOne(Config cluster) {
        return cluster.hasPath(KEY) && !"1".equals(cluster.getValue(KEY).unwrapped().toString());
    }
}
