package io.relstream.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.schemas.Codecs;
import io.relstream.schemas.Topics;
import io.relstream.schemas.avro.DeadLetter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code relstream dead-letter} against the demo's own broker (EmbeddedBroker in a child JVM, found
 * through the workdir like the command does): lines, escaping, --limit, --since, summary, and the
 * exit-2 paths.
 */
class DeadLetterMainIT {
  @TempDir
  Path work;

  private record Result(int code, String out, String err) {}

  private static Result run(Path home, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = DeadLetterMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), home);
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static byte[] dl(String component, String reason, byte[] payload, long ts) {
    return Codecs.DEAD_LETTER.encode(DeadLetter.newBuilder().setComponent(component).setReason(reason)
        .setPayload(ByteBuffer.wrap(payload)).setTimestamp(ts).build());
  }

  @Test
  void printsDeadLettersOfTheDemoBroker() throws Exception {
    Result none = run(work, "--workdir", work.toString());
    assertEquals(2, none.code());
    assertTrue(none.err().contains("no demo broker under"), none.err());
    assertEquals(1, none.err().strip().lines().count());
    Result bad = run(work, "--limit", "x");
    assertEquals(2, bad.code());
    assertEquals(1, bad.err().strip().lines().count(), bad.err());
    assertEquals(2, run(work, "--since", "yesterday").code());
    assertEquals(2, run(work, "--frobnicate").code());

    String cp = Files.readString(Path.of("target", "classpath.txt")).strip();
    String[] bootstrap = new String[1];
    ChildProcess broker = EmbeddedBroker.start(work, cp, bootstrap);
    try {
      EmbeddedBroker.createTopics(bootstrap[0]);
      long old = System.currentTimeMillis() - TimeUnit.HOURS.toMillis(3);
      Properties p = new Properties();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap[0]);
      p.put(ProducerConfig.ACKS_CONFIG, "all");
      byte[] big = new byte[500];
      big[0] = 'x';
      try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(),
          new ByteArraySerializer())) {
        producer.send(new ProducerRecord<>(Topics.DEAD_LETTER, 0, old, "collector",
            dl("collector", "undecodable JSON", "{\"bad\n\u0001".getBytes(StandardCharsets.UTF_8), old))).get();
        for (int i = 0; i < 3; i++) {
          producer.send(new ProducerRecord<>(Topics.DEAD_LETTER, "streams",
              dl("streams", "invalid event: no user " + i, big, System.currentTimeMillis()))).get();
        }
        producer.send(new ProducerRecord<>(Topics.DEAD_LETTER, "?", "not avro".getBytes(StandardCharsets.UTF_8)))
            .get();
      }

      Result all = run(work, "--workdir", work.toString());
      assertEquals(0, all.code(), all.err());
      List<String> lines = all.out().strip().lines().toList();
      assertEquals(6, lines.size(), all.out());
      assertTrue(lines.get(0).contains("  collector  undecodable JSON  {\"bad\\x0a\\x01"), lines.get(0));
      assertTrue(lines.get(1).contains("  streams  invalid event: no user 0  x\\x00\\x00"), lines.get(1));
      assertTrue(lines.get(1).endsWith("... (500 bytes)"), lines.get(1));
      assertTrue(lines.get(1).length() < 120 * 4 + 100, "the payload is cut at 120 bytes");
      assertTrue(lines.get(4).contains("  ?  undecodable dead letter"), lines.get(4));
      assertEquals("5 dead letters by component: ?=1 collector=1 streams=3", lines.get(5));

      Result limited = run(work, "--bootstrap", bootstrap[0], "--limit", "2");
      assertEquals(0, limited.code());
      List<String> l2 = limited.out().strip().lines().toList();
      assertEquals(3, l2.size(), limited.out());
      assertEquals("5 dead letters (2 shown, --limit 2) by component: ?=1 collector=1 streams=3", l2.get(2));

      Result recent = run(work, "--workdir", work.toString(), "--since", "1h");
      assertEquals(0, recent.code());
      assertTrue(recent.out().strip().endsWith("4 dead letters by component: ?=1 streams=3"), recent.out());
    } finally {
      broker.stop(30);
    }
    Result gone = run(work, "--workdir", work.toString());
    assertEquals(2, gone.code());
    assertTrue(gone.err().contains("no running broker at"), gone.err());
  }

  @Test
  void parsesSince() throws Exception {
    long now = 1_800_000_000_000L;
    assertEquals(now - 600_000, DeadLetterMain.since("10m", now));
    assertEquals(now - 7_200_000, DeadLetterMain.since("2h", now));
    assertEquals(1_700_000_000_000L, DeadLetterMain.since("1700000000000", now));
    assertEquals(1_700_000_000_000L, DeadLetterMain.since("2023-11-14T22:13:20Z", now));
    assertThrows(DeadLetterMain.UsageException.class, () -> DeadLetterMain.since("10 minutes", now));
    assertEquals("a\\\\b\\x00~\\xff", DeadLetterMain.escape(new byte[] {'a', '\\', 'b', 0, '~', (byte) 0xff}, 120));
  }
}
