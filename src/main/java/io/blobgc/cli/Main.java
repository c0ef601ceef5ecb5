package io.blobgc.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.blobgc.BlobGc;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

import java.io.File;
import java.util.Arrays;

/**
 * {@code java -jar blob-gc.jar node [--config FILE]}: one cluster node (reporter and coordinator candidate).
 * Settings come from FILE over reference.conf; {@code -Dkey=value} JVM options override both. SIGTERM runs
 * Pekko's coordinated shutdown (the node leaves the cluster, the coordinator hands over).
 */
public final class Main {

    private static final String USAGE = """
            usage: java [-Dkey=value ...] -jar blob-gc.jar node [--config FILE]

              node      run one blob-gc cluster node (reporter + coordinator candidate)
              --config  a HOCON file over blob-gc's defaults, e.g. config/embedded.conf
                        or config/local-3-nodes/node1.conf
            """;

    public static void main(String[] args) {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "blob-gc-logback.xml");
        }
        if (args.length == 0 || !args[0].equals("node")) {
            System.err.print(USAGE);
            System.exit(args.length > 0 && (args[0].equals("--help") || args[0].equals("help")) ? 0 : 2);
        }
        Config config;
        try {
            config = load(Arrays.copyOfRange(args, 1, args.length));
        } catch (IllegalArgumentException e) {
            System.err.println("blob-gc: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(2);
            return;
        }
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "blobgc", config);
        try {
            BlobGc.get(system);
        } catch (RuntimeException e) {
            System.err.println("blob-gc: cannot start: " + e.getMessage());
            system.terminate();
            System.exit(1);
        }
    }

    static Config load(String[] args) {
        Config file = ConfigFactory.empty();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                File f = new File(args[++i]);
                if (!f.isFile()) throw new IllegalArgumentException("no such config file: " + f);
                file = ConfigFactory.parseFile(f);
            } else {
                throw new IllegalArgumentException("unknown argument: " + args[i]);
            }
        }
        return ConfigFactory.defaultOverrides().withFallback(file).withFallback(ConfigFactory.defaultApplication())
                .withFallback(ConfigFactory.defaultReferenceUnresolved()).resolve();
    }
}
