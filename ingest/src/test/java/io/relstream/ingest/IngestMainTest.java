package io.relstream.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class IngestMainTest {
  @Test
  void parsesFlagsWithDefaults() throws Exception {
    IngestMain.Config c = IngestMain.parse(new String[] {"--bootstrap", "localhost:9092", "--state-dir", "/tmp/s"});
    assertEquals(new IngestMain.Config("localhost:9092", Path.of("/tmp/s"), 8081, "127.0.0.1", "relstream-ingest",
        1_800_000L, 3_600_000L, 2, (short) 1, 1 << 20), c);
    c = IngestMain.parse(new String[] {"--port", "0", "--bootstrap", "a:1,b:2", "--state-dir", "d",
        "--application-id", "x", "--join-window-ms", "60000", "--partitions", "3", "--max-body-bytes", "10"});
    assertEquals(0, c.port());
    assertEquals("x", c.applicationId());
    assertEquals(60_000L, c.joinWindowMs());
    assertEquals(3, c.partitions());
    assertEquals(10, c.maxBodyBytes());
    assertEquals(StreamsConfig.EXACTLY_ONCE_V2,
        IngestMain.streamsProperties(c).get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
  }

  @Test
  void staticGroupMembershipWithOneIdPerStateDirectory() throws Exception {
    String key = StreamsConfig.consumerPrefix(org.apache.kafka.clients.consumer.ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    IngestMain.Config a = IngestMain.parse(new String[] {"--bootstrap", "h:1", "--state-dir", "/tmp/a"});
    IngestMain.Config again = IngestMain.parse(new String[] {"--bootstrap", "h:1", "--state-dir", "/tmp/../tmp/a"});
    IngestMain.Config b = IngestMain.parse(new String[] {"--bootstrap", "h:1", "--state-dir", "/tmp/b"});
    Object id = IngestMain.streamsProperties(a).get(key);
    assertEquals(id, IngestMain.streamsProperties(again).get(key), "a restart on the same state dir keeps its id");
    assertNotEquals(id, IngestMain.streamsProperties(b).get(key), "a second instance gets its own id");
    assertTrue(id.toString().startsWith("relstream-ingest-"), id.toString());
  }

  @Test
  void roles() throws Exception {
    assertEquals(IngestMain.Role.ALL, IngestMain.parse(new String[] {"--bootstrap", "h:1", "--state-dir", "d"}).role());
    IngestMain.Config c = IngestMain.parse(new String[] {"--bootstrap", "h:1", "--state-dir", "d", "--role", "collector"});
    assertTrue(c.role().collector() && !c.role().streams());
    c = IngestMain.parse(new String[] {"--bootstrap", "h:1", "--state-dir", "d", "--role", "STREAMS"});
    assertTrue(c.role().streams() && !c.role().collector());
    assertEquals("--role must be all, collector or streams, got 'both'", msg("--role", "both"));
  }

  @Test
  void helpReturnsNull() throws Exception {
    assertNull(IngestMain.parse(new String[] {"--bootstrap", "a:1", "--help"}));
  }

  @Test
  void badFlagsAreOneLineErrors() {
    assertEquals("unknown flag --nope (see --help)", msg("--nope", "1"));
    assertEquals("--port needs a value", msg("--bootstrap", "a:1", "--state-dir", "d", "--port"));
    assertEquals("--port expects an integer, got 'x'", msg("--port", "x"));
    assertEquals("--port must be in [0, 65535], got 70000", msg("--port", "70000"));
    assertEquals("--join-window-ms must be in [1, 2305843009213693951], got 0", msg("--join-window-ms", "0"));
    assertEquals("--bootstrap expects HOST:PORT[,HOST:PORT...], got 'localhost'", msg("--bootstrap", "localhost"));
    assertEquals("--bootstrap HOST:PORT is required", msg("--state-dir", "d"));
    assertEquals("--state-dir DIR is required", msg("--bootstrap", "a:1"));
    assertEquals("--bind 0.0.0.0 is beyond loopback: give --token too",
        msg("--bootstrap", "a:1", "--state-dir", "d", "--bind", "0.0.0.0"));
  }

  @Test
  void aTokenAllowsANonLoopbackBindAndIsNotPrinted() throws Exception {
    IngestMain.Config c = IngestMain.parse(new String[] {"--bootstrap", "a:1", "--state-dir", "d", "--bind", "0.0.0.0",
        "--token", "s3cret"});
    assertEquals("0.0.0.0", c.host());
    assertEquals("s3cret", c.token());
    assertFalse(c.toString().contains("s3cret"), c.toString());
  }

  private static String msg(String... args) {
    return assertThrows(IngestMain.UsageException.class, () -> IngestMain.parse(args)).getMessage();
  }
}
