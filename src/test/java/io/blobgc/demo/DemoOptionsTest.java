package io.blobgc.demo;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The demo's partition options, parsed as its command line parses them, and what they write into the nodes' config. */
class DemoOptionsTest {

    private static Demo parsed(String... args) {
        Demo demo = new Demo();
        new CommandLine(demo).parseArgs(args);
        demo.checkOptions();
        return demo;
    }

    @Test
    void partitionHostingIsWrittenIntoTheNodesConfigOnlyWhenGiven() {
        Config given = ConfigFactory.parseString(parsed("--partitions", "4", "--partition-hosting", "sharded")
                .partitionSettings());
        assertEquals(4, given.getInt("blob-gc.partitions"));
        assertEquals("sharded", given.getString("blob-gc.partition-hosting"));
        for (String h : new String[]{"coordinator", "auto"}) {
            assertEquals(h, ConfigFactory.parseString(parsed("--partition-hosting", h).partitionSettings())
                    .getString("blob-gc.partition-hosting"));
        }
        Config unset = ConfigFactory.parseString(parsed("--partitions", "4").partitionSettings());
        assertEquals(4, unset.getInt("blob-gc.partitions"));
        assertFalse(unset.hasPath("blob-gc.partition-hosting"), "left to the configuration's default");
    }

    @Test
    void aBadPartitionHostingIsRefusedNamingTheAllowedValues() {
        CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class,
                () -> parsed("--partitions", "4", "--partition-hosting", "shardd"));
        assertTrue(e.getMessage().startsWith("--partition-hosting shardd: "), e.getMessage());
        for (String allowed : new String[]{"'auto'", "'coordinator'", "'sharded'"}) {
            assertTrue(e.getMessage().contains(allowed), e.getMessage());
        }
    }

    @Test
    void aBadPartitionsIsRefusedAsBefore() {
        CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class,
                () -> parsed("--partitions", "0"));
        assertTrue(e.getMessage().startsWith("--partitions 0: "), e.getMessage());
    }
}
