package io.blobgc.coordinator;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;

/** The configuration of a coordinator under Pekko's persistence test kit, for the actor-level tests. */
final class CoordinatorTestKit {

    private CoordinatorTestKit() {
    }

    /**
     * The test kit's journal and snapshot store, a local actor system, cycles and staleness on command only (grace 0 s),
     * and {@code blobGc}: more settings inside {@code blob-gc { }} (they win).
     */
    static Config config(String blobGc) {
        return ConfigFactory.parseString("""
                pekko.actor.provider = local
                pekko.loglevel = INFO
                blob-gc {
                  grace-period = 0s
                  cycle-interval = 1h       # cycles run on command only
                  heartbeat-interval = 1h
                  stale-report-threshold = 3h
                  journal.journal-plugin = ""    # the test kit's journal and snapshot store
                  journal.snapshot-plugin = ""
                }
                blob-gc {
                %s
                }
                """.formatted(blobGc)).withFallback(EventSourcedBehaviorTestKit.config())
                .withFallback(PersistenceTestKitSnapshotPlugin.config())
                .withFallback(ConfigFactory.load()).resolve();
    }
}
