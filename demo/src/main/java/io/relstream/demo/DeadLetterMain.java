package io.relstream.demo;

import io.relstream.schemas.Codecs;
import io.relstream.schemas.Topics;
import io.relstream.schemas.avro.DeadLetter;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * {@code relstream dead-letter [--since T] [--limit N] [--bootstrap HOST:PORT] [--workdir DIR]}: prints
 * the {@code dead-letter} topic, one line per dead letter ({@code time  component  reason  payload}:
 * the first {@value #PREFIX_BYTES} payload bytes, printable ASCII as is, anything else escaped as
 * {@code \xNN}), then a count by component; stops at the end offsets seen at start (no follow). Reads
 * committed records only, from the beginning or from {@code --since} (an ISO-8601 instant, epoch
 * milliseconds, or a duration back from now: 30s, 10m, 2h, 1d). {@code --limit} (default 100) caps
 * the lines, not the count. Without {@code --bootstrap} the broker is the demo's: its address is read
 * from {@code DIR/kafka/server.properties} (written by {@link EmbeddedBroker}; DIR defaults to
 * target/demo-state). Bad flags, or no broker answering: one line on stderr, exit 2.
 */
public final class DeadLetterMain {
  static final int PREFIX_BYTES = 120;
  static final int DEFAULT_LIMIT = 100;
  static final String USAGE = "usage: relstream dead-letter [--since T] [--limit N] [--bootstrap HOST:PORT]"
      + " [--workdir DIR]\n  T: ISO-8601 instant (2026-11-02T10:00:00Z), epoch ms, or a duration back from now"
      + " (30s, 10m, 2h, 1d)";

  private DeadLetterMain() {}

  /** Parsed flags; {@code sinceMs} -1 for the beginning. */
  record Args(long sinceMs, int limit, String bootstrap, Path workdir) {}

  public static void main(String[] argv) {
    System.exit(run(argv, System.out, System.err, Path.of(System.getProperty("relstream.home", "."))));
  }

  /** Runs the command; returns the exit code (0, or 2 for bad flags or no broker). */
  static int run(String[] argv, PrintStream out, PrintStream err, Path home) {
    Args args;
    try {
      if (argv.length == 1 && (argv[0].equals("--help") || argv[0].equals("-h"))) {
        out.println(USAGE);
        return 0;
      }
      args = parse(argv, home, System.currentTimeMillis());
    } catch (UsageException e) {
      err.println("relstream dead-letter: " + e.getMessage());
      return 2;
    }
    String bootstrap;
    try {
      bootstrap = args.bootstrap() != null ? args.bootstrap() : bootstrapOf(args.workdir());
      checkBroker(bootstrap);
    } catch (UsageException e) {
      err.println("relstream dead-letter: " + e.getMessage());
      return 2;
    }
    read(bootstrap, args, out);
    return 0;
  }

  static Args parse(String[] argv, Path home, long nowMs) throws UsageException {
    long since = -1;
    int limit = DEFAULT_LIMIT;
    String bootstrap = null;
    Path workdir = home.resolve("target").resolve("demo-state");
    for (int k = 0; k < argv.length; k++) {
      String flag = argv[k];
      if (!List.of("--since", "--limit", "--bootstrap", "--workdir").contains(flag)) {
        throw new UsageException("unknown argument '" + flag + "' (--help for usage)");
      }
      if (k + 1 >= argv.length) {
        throw new UsageException(flag + " needs a value");
      }
      String v = argv[++k];
      switch (flag) {
        case "--since" -> since = since(v, nowMs);
        case "--limit" -> {
          try {
            limit = Integer.parseInt(v);
          } catch (NumberFormatException e) {
            limit = -1;
          }
          if (limit < 0) {
            throw new UsageException("--limit must be an integer >= 0, got '" + v + "'");
          }
        }
        case "--bootstrap" -> {
          if (!v.matches("[^\\s:,]+:\\d{1,5}(,[^\\s:,]+:\\d{1,5})*")) {
            throw new UsageException("--bootstrap must be HOST:PORT, got '" + v + "'");
          }
          bootstrap = v;
        }
        default -> workdir = Path.of(v);
      }
    }
    return new Args(since, limit, bootstrap, workdir.toAbsolutePath().normalize());
  }

  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h|d)");

  /** An ISO-8601 instant, epoch milliseconds, or a duration back from {@code nowMs}. */
  static long since(String v, long nowMs) throws UsageException {
    Matcher m = DURATION.matcher(v);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      long ms = switch (m.group(2)) {
        case "ms" -> n;
        case "s" -> TimeUnit.SECONDS.toMillis(n);
        case "m" -> TimeUnit.MINUTES.toMillis(n);
        case "h" -> TimeUnit.HOURS.toMillis(n);
        default -> TimeUnit.DAYS.toMillis(n);
      };
      return Math.max(0, nowMs - ms);
    }
    if (v.matches("\\d{1,15}")) {
      return Long.parseLong(v);
    }
    try {
      return Instant.parse(v).toEpochMilli();
    } catch (DateTimeParseException e) {
      throw new UsageException("--since must be an ISO-8601 instant, epoch ms or a duration like 10m, got '"
          + v + "'");
    }
  }

  /** The demo broker's address from {@code workdir/kafka/server.properties}. */
  static String bootstrapOf(Path workdir) throws UsageException {
    Path props = workdir.resolve("kafka").resolve("server.properties");
    if (!Files.isRegularFile(props)) {
      throw new UsageException("no demo broker under " + workdir + " (start ./relstream demo, or give --bootstrap)");
    }
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(props)) {
      p.load(in);
    } catch (IOException e) {
      throw new UsageException("cannot read " + props + ": " + e.getMessage());
    }
    String listeners = p.getProperty("advertised.listeners", "");
    Matcher m = Pattern.compile("PLAINTEXT://([^,\\s]+)").matcher(listeners);
    if (!m.find()) {
      throw new UsageException("no PLAINTEXT listener in " + props);
    }
    return m.group(1);
  }

  private static void checkBroker(String bootstrap) throws UsageException {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000);
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000);
    try (Admin admin = Admin.create(p)) {
      admin.describeCluster().nodes().get(6, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new UsageException("no running broker at " + bootstrap);
    }
  }

  private static void read(String bootstrap, Args args, PrintStream out) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "relstream-dead-letter");
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 2 * EmbeddedBroker.DEAD_LETTER_MAX_BYTES);
    Map<String, Long> byComponent = new TreeMap<>();
    long total = 0;
    int shown = 0;
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<PartitionInfo> parts = c.partitionsFor(Topics.DEAD_LETTER, Duration.ofSeconds(10));
      if (parts == null || parts.isEmpty()) {
        out.println("no topic " + Topics.DEAD_LETTER + " on " + bootstrap);
        return;
      }
      List<TopicPartition> tps = parts.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
      c.assign(tps);
      Map<TopicPartition, Long> end = new HashMap<>(c.endOffsets(tps, Duration.ofSeconds(10)));
      if (args.sinceMs() < 0) {
        c.seekToBeginning(tps);
      } else {
        Map<TopicPartition, Long> query = new HashMap<>();
        tps.forEach(tp -> query.put(tp, args.sinceMs()));
        Map<TopicPartition, OffsetAndTimestamp> at = c.offsetsForTimes(query, Duration.ofSeconds(10));
        for (TopicPartition tp : tps) {
          OffsetAndTimestamp o = at.get(tp);
          c.seek(tp, o == null ? end.get(tp) : o.offset());
        }
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!done(c, end) && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
          if (r.offset() >= end.get(new TopicPartition(r.topic(), r.partition()))) {
            continue;
          }
          Line line = line(r);
          total++;
          byComponent.merge(line.component(), 1L, Long::sum);
          if (shown < args.limit()) {
            out.println(line.text());
            shown++;
          }
        }
      }
    }
    StringBuilder summary = new StringBuilder();
    summary.append(total).append(total == 1 ? " dead letter" : " dead letters");
    if (shown < total) {
      summary.append(" (").append(shown).append(" shown, --limit ").append(args.limit()).append(')');
    }
    if (!byComponent.isEmpty()) {
      summary.append(" by component:");
      byComponent.forEach((k, v) -> summary.append(' ').append(k).append('=').append(v));
    }
    out.println(summary);
  }

  private static boolean done(KafkaConsumer<byte[], byte[]> c, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (c.position(e.getKey(), Duration.ofSeconds(10)) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  record Line(String component, String text) {}

  /** One output line: time, component, reason, payload prefix (tab-free, one line). */
  static Line line(ConsumerRecord<byte[], byte[]> r) {
    String component;
    String reason;
    byte[] payload;
    long time = r.timestamp();
    try {
      DeadLetter d = Codecs.DEAD_LETTER.decode(r.value());
      component = d.getComponent();
      reason = d.getReason();
      ByteBuffer b = d.getPayload().duplicate();
      payload = new byte[b.remaining()];
      b.get(payload);
      if (d.getTimestamp() > 0) {
        time = d.getTimestamp();
      }
    } catch (RuntimeException e) {
      component = "?";
      reason = "undecodable dead letter: " + e.getMessage();
      payload = r.value() == null ? new byte[0] : r.value();
    }
    String text = Instant.ofEpochMilli(time) + "  " + oneLine(component) + "  " + oneLine(reason) + "  "
        + escape(payload, PREFIX_BYTES) + (payload.length > PREFIX_BYTES ? "... (" + payload.length + " bytes)" : "");
    return new Line(component, text);
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.replace('\n', ' ').replace('\r', ' ').replace('\t', ' ');
  }

  /** The first {@code max} bytes: printable ASCII as is (backslash doubled), others as \xNN. */
  static String escape(byte[] b, int max) {
    StringBuilder out = new StringBuilder(Math.min(b.length, max) + 8);
    for (int i = 0; i < Math.min(b.length, max); i++) {
      int c = b[i] & 0xff;
      if (c == '\\') {
        out.append("\\\\");
      } else if (c >= 0x20 && c < 0x7f) {
        out.append((char) c);
      } else {
        out.append(String.format("\\x%02x", c));
      }
    }
    return out.toString();
  }

  /** A command line that cannot be used. */
  static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }
}
