package io.blobgc;

import com.typesafe.config.Config;
import org.apache.pekko.cluster.ConfigValidation;
import org.apache.pekko.cluster.Invalid;
import org.apache.pekko.cluster.JoinConfigCompatChecker;
import org.apache.pekko.cluster.Valid$;
import scala.jdk.javaapi.CollectionConverters;

import java.util.List;

/**
 * Keeps a member whose {@code blob-gc.partitions} differs from the cluster's out of it, at join (Pekko's configuration
 * compatibility check, registered in reference.conf). The number is fixed for a journal's life: a member with another
 * one would refuse the journal when the singleton moved to it, and would split reports and route blobs by another
 * prefix. A member without blob-gc on its classpath sends no such key and is let in: this check is about blob-gc's
 * members only.
 */
public final class PartitionsJoinCheck extends JoinConfigCompatChecker {
    static final String KEY = "blob-gc.partitions";

    @Override
    public scala.collection.immutable.Seq<String> requiredKeys() {
        return CollectionConverters.asScala(List.of(KEY)).toList();
    }

    @Override
    public ConfigValidation check(Config joining, Config cluster) {
        if (!joining.hasPath(KEY) || !cluster.hasPath(KEY)) return Valid$.MODULE$;
        String theirs = joining.getValue(KEY).unwrapped().toString(), ours = cluster.getValue(KEY).unwrapped().toString();
        if (theirs.equals(ours)) return Valid$.MODULE$;
        return Invalid.apply(CollectionConverters.asScala(List.of(KEY + " = " + theirs + " on the joining member, "
                + ours + " in the cluster: every member of a blob-gc cluster must have the same number of partitions "
                + "(it is fixed for the journal's life)")).toList());
    }
}
