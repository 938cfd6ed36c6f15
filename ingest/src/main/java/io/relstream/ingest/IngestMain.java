package io.relstream.ingest;

import io.relstream.events.EventValidator;
import io.relstream.schemas.Topics;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Supplier;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the HTTP collector and the ingest Kafka Streams app in one JVM.
 *
 * <pre>
 * IngestMain --bootstrap HOST:PORT --state-dir DIR [--port 8081] [--bind 127.0.0.1] [--token T]
 *            [--application-id relstream-ingest] [--join-window-ms 1800000] [--dedupe-retention-ms 3600000]
 *            [--partitions 2] [--replication 1] [--max-body-bytes 1048576] [--max-backlog 20000]
 *            [--role all|collector|streams]
 * </pre>
 * Creates the topics it needs (events, interactions, dead-letter) when absent, starts the streams app
 * (exactly_once_v2) and the collector, and closes both from a shutdown hook. {@code --help} prints the usage;
 * a bad flag prints one line and exits with status 2.
 */
public final class IngestMain {
  private static final Logger LOG = LoggerFactory.getLogger(IngestMain.class);

  static final String USAGE = String.join("\n",
      "usage: IngestMain --bootstrap HOST:PORT --state-dir DIR [options]",
      "  --bootstrap HOST:PORT       Kafka bootstrap servers (required)",
      "  --state-dir DIR             Kafka Streams state directory (required)",
      "  --port N                    collector HTTP port (default 8081; 0 picks a free one)",
      "  --bind ADDR                 collector bind address (default 127.0.0.1; beyond loopback needs --token)",
      "  --token T                   bearer token every collector route requires (default: $RELSTREAM_TOKEN, else none)",
      "  --application-id ID         Kafka Streams application id (default relstream-ingest)",
      "  --join-window-ms N          click/impression join window W, event time (default 1800000 = 30 min)",
      "  --dedupe-retention-ms N     how long event ids are remembered, stream time (default 3600000 = 1 h)",
      "  --partitions N              partitions of topics created when absent (default 2)",
      "  --replication N             replication factor of created and internal topics (default 1)",
      "  --max-body-bytes N          largest POST /events body (default 1048576)",
      "  --max-backlog N             events the streams app may be behind before POST /events answers 503 with",
      "                              Retry-After (default 20000; 0: never)",
      "  --role all|collector|streams  what this process runs (default all): the collector alone (scale it",
      "                              apart; its backpressure reads the streams app's group, wherever it runs),",
      "                              or the streams app alone (its HTTP port then serves /health, /ready, /metrics)",
      "  --help                      this text");

  private IngestMain() {}

  /** What one ingest process runs. */
  enum Role {
    ALL, COLLECTOR, STREAMS;

    static Role parse(String v) throws UsageException {
      return switch (v.toLowerCase(java.util.Locale.ROOT)) {
        case "all" -> ALL;
        case "collector" -> COLLECTOR;
        case "streams" -> STREAMS;
        default -> throw new UsageException("--role must be all, collector or streams, got '" + v + "'");
      };
    }

    boolean streams() {
      return this != COLLECTOR;
    }

    boolean collector() {
      return this != STREAMS;
    }
  }

  /** Parsed command line. */
  record Config(String bootstrap, Path stateDir, int port, String host, String applicationId, long joinWindowMs,
      long dedupeRetentionMs, int partitions, short replication, int maxBodyBytes, String token, long maxBacklog,
      Role role) {
    Config(String bootstrap, Path stateDir, int port, String host, String applicationId, long joinWindowMs,
        long dedupeRetentionMs, int partitions, short replication, int maxBodyBytes, String token, long maxBacklog) {
      this(bootstrap, stateDir, port, host, applicationId, joinWindowMs, dedupeRetentionMs, partitions, replication,
          maxBodyBytes, token, maxBacklog, Role.ALL);
    }

    Config(String bootstrap, Path stateDir, int port, String host, String applicationId, long joinWindowMs,
        long dedupeRetentionMs, int partitions, short replication, int maxBodyBytes, String token) {
      this(bootstrap, stateDir, port, host, applicationId, joinWindowMs, dedupeRetentionMs, partitions, replication,
          maxBodyBytes, token, Backlog.DEFAULT_MAX_EVENTS);
    }

    /** Without a token (loopback only). */
    Config(String bootstrap, Path stateDir, int port, String host, String applicationId, long joinWindowMs,
        long dedupeRetentionMs, int partitions, short replication, int maxBodyBytes) {
      this(bootstrap, stateDir, port, host, applicationId, joinWindowMs, dedupeRetentionMs, partitions, replication,
          maxBodyBytes, null);
    }

    @Override
    public String toString() {
      return "Config[bootstrap=" + bootstrap + ", stateDir=" + stateDir + ", port=" + port + ", bind=" + host
          + ", applicationId=" + applicationId + ", token=" + (token == null ? "none" : "(set)") + "]";
    }
  }

  /** A bad command line; the message is one line. */
  static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  /**
   * Parses the flags.
   *
   * @return the config, or null when {@code --help} was given
   * @throws UsageException for an unknown flag, a missing or bad value, or a missing required flag
   */
  static Config parse(String[] args) throws UsageException {
    String bootstrap = null;
    Path stateDir = null;
    int port = 8081;
    String host = "127.0.0.1";
    String token = null;
    String appId = "relstream-ingest";
    long window = IngestConfig.DEFAULT_JOIN_WINDOW.toMillis();
    long retention = IngestConfig.DEFAULT_DEDUPE_RETENTION.toMillis();
    int partitions = 2;
    int replication = 1;
    int maxBody = Collector.DEFAULT_MAX_BODY_BYTES;
    long maxBacklog = Backlog.DEFAULT_MAX_EVENTS;
    Role role = Role.ALL;
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (flag.equals("--help") || flag.equals("-h")) {
        return null;
      }
      if (!Set.of("--bootstrap", "--state-dir", "--port", "--bind", "--token", "--application-id", "--join-window-ms",
          "--dedupe-retention-ms", "--partitions", "--replication", "--max-body-bytes", "--max-backlog", "--role").contains(flag)) {
        throw new UsageException("unknown flag " + flag + " (see --help)");
      }
      if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
        throw new UsageException(flag + " needs a value");
      }
      String v = args[++i];
      switch (flag) {
        case "--bootstrap" -> bootstrap = hostPort(flag, v);
        case "--state-dir" -> stateDir = Path.of(v);
        case "--port" -> port = (int) number(flag, v, 0, 65535);
        case "--bind" -> host = nonBlank(flag, v);
        case "--token" -> token = nonBlank(flag, v);
        case "--application-id" -> appId = nonBlank(flag, v);
        case "--join-window-ms" -> window = number(flag, v, 1, Long.MAX_VALUE / 4);
        case "--dedupe-retention-ms" -> retention = number(flag, v, 1, Long.MAX_VALUE / 4);
        case "--partitions" -> partitions = (int) number(flag, v, 1, 10_000);
        case "--replication" -> replication = (int) number(flag, v, 1, Short.MAX_VALUE);
        case "--max-body-bytes" -> maxBody = (int) number(flag, v, 1, Integer.MAX_VALUE - 1);
        case "--max-backlog" -> maxBacklog = number(flag, v, 0, Long.MAX_VALUE / 4);
        case "--role" -> role = Role.parse(v);
        default -> throw new AssertionError(flag);
      }
    }
    if (bootstrap == null) {
      throw new UsageException("--bootstrap HOST:PORT is required");
    }
    if (stateDir == null) {
      throw new UsageException("--state-dir DIR is required");
    }
    token = io.relstream.http.BearerToken.resolve(token);
    if (token == null && !isLoopback(host)) {
      throw new UsageException("--bind " + host + " is beyond loopback: give --token too");
    }
    return new Config(bootstrap, stateDir, port, host, appId, window, retention, partitions, (short) replication,
        maxBody, token, maxBacklog, role);
  }

  static boolean isLoopback(String address) {
    try {
      return java.net.InetAddress.getByName(address).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  private static String hostPort(String flag, String v) throws UsageException {
    for (String hp : v.split(",")) {
      int colon = hp.lastIndexOf(':');
      if (colon <= 0 || colon == hp.length() - 1) {
        throw new UsageException(flag + " expects HOST:PORT[,HOST:PORT...], got '" + v + "'");
      }
      number(flag, hp.substring(colon + 1), 1, 65535);
    }
    return v;
  }

  private static String nonBlank(String flag, String v) throws UsageException {
    if (v.isBlank()) {
      throw new UsageException(flag + " must not be blank");
    }
    return v;
  }

  private static long number(String flag, String v, long min, long max) throws UsageException {
    long n;
    try {
      n = Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new UsageException(flag + " expects an integer, got '" + v + "'");
    }
    if (n < min || n > max) {
      throw new UsageException(flag + " must be in [" + min + ", " + max + "], got " + n);
    }
    return n;
  }

  /** The running collector and streams app; {@link #close} stops both (idempotent). */
  static final class App implements AutoCloseable {
    final KafkaStreams streams;
    final Collector collector;
    final Producer<String, byte[]> producer;
    final InetSocketAddress address;
    final IngestMetrics metrics;
    /** How far the streams app is behind (null when unbounded). */
    volatile Backlog backlog;
    private final CountDownLatch closed = new CountDownLatch(1);
    private boolean closing;
    /** Set when the streams app stopped for good (ERROR): the process should exit non-zero and be restarted. */
    volatile boolean failed;

    private App(KafkaStreams streams, Collector collector, Producer<String, byte[]> producer,
        InetSocketAddress address, IngestMetrics metrics) {
      this.streams = streams;
      this.collector = collector;
      this.producer = producer;
      this.address = address;
      this.metrics = metrics;
    }

    void awaitClose() throws InterruptedException {
      closed.await();
    }

    @Override
    public void close() {
      synchronized (this) {
        if (closing) {
          return;
        }
        closing = true;
      }
      LOG.info("stopping collector and streams app");
      collector.close();
      if (backlog != null) {
        backlog.close();
      }
      producer.close(Duration.ofSeconds(10));
      // a static member stays in the group on close unless told to leave (see streamsProperties)
      if (streams != null) {
        streams.close(org.apache.kafka.streams.CloseOptions.groupMembershipOperation(
            org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
            .withTimeout(Duration.ofSeconds(30)));
      }
      closed.countDown();
      LOG.info("stopped");
    }
  }

  /** Creates the topics when absent, then starts the streams app and the collector. */
  static App start(Config c, Clock clock) throws Exception {
    ensureTopics(c);
    WriteGuard guard = brokerLimits(c);
    LOG.info("broker limits checked before every write: timestamps at most {} ms ahead{}, records up to {} bytes",
        guard.maxLeadMs(), guard.maxLagMs() == Long.MAX_VALUE ? "" : " and " + guard.maxLagMs() + " ms behind",
        guard.maxRecordBytes());
    IngestMetrics metrics = new IngestMetrics();
    IngestConfig ic = IngestConfig.defaults().withClock(clock).withMetrics(metrics).withWriteGuard(guard)
        .withJoinWindow(Duration.ofMillis(c.joinWindowMs())).withDedupeRetention(Duration.ofMillis(c.dedupeRetentionMs()))
        .withPunctuateInterval(PUNCTUATE_INTERVAL);
    KafkaStreams streams = null;
    Supplier<Collector.Health> health;
    App[] app = new App[1];
    if (c.role().streams()) {
      StreamsBuilder builder = new StreamsBuilder();
      IngestTopology.build(builder, ic);
      streams = new KafkaStreams(builder.build(), streamsProperties(c));
      StreamsHealth sh = new StreamsHealth(streams);
      health = sh::now;
      streams.setStateListener((now, before) -> {
        LOG.info("streams state {} -> {}", before, now);
        if (now == KafkaStreams.State.ERROR && app[0] != null) {
          LOG.error("the streams app stopped for good (ERROR): closing, so that the supervisor restarts this process");
          app[0].failed = true;
          new Thread(app[0]::close, "ingest-fatal").start();
        }
      });
      streams.setGlobalStateRestoreListener(sh);
    } else {
      health = () -> new Collector.Health(true, true, Map.of("role", "collector"), "");
    }
    Producer<String, byte[]> producer = new KafkaProducer<>(producerProperties(c));
    Collector collector = new Collector(producer, new EventValidator(clock), metrics, clock, c.maxBodyBytes(),
        Duration.ofSeconds(35));
    try {
      app[0] = new App(streams, collector, producer, null, metrics);
      Backlog backlog = c.maxBacklog() > 0 && c.role().collector()
          ? new Backlog(Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, c.bootstrap())),
              c.applicationId(), c.maxBacklog()) : null;
      app[0].backlog = backlog;
      collector.backpressure(backlog);
      if (streams != null) {
        streams.start();
      }
      InetSocketAddress address = collector.start(c.host(), c.port(), c.token(), health, c.role().collector());
      LOG.info("{} listening on http://{}:{} (/health, /ready, /metrics{}); role {}, streams app '{}' on '{}' from {},"
          + " state in {}", c.role().collector() ? "collector" : "streams app", address.getHostString(),
          address.getPort(), c.role().collector() ? ", POST /events, DELETE /users/{id}" : "", c.role().name().toLowerCase(java.util.Locale.ROOT),
          c.applicationId(), Topics.EVENTS, c.bootstrap(), c.stateDir());
      App started = new App(streams, collector, producer, address, metrics);
      started.backlog = backlog;
      app[0] = started;
      return started;
    } catch (Exception | Error e) {
      collector.close();
      if (app[0] != null && app[0].backlog != null) {
        app[0].backlog.close();
      }
      producer.close(Duration.ZERO);
      if (streams != null) {
        streams.close(Duration.ofSeconds(10));
      }
      throw e;
    }
  }

  /**
   * Expiry punctuation every 100 ms of stream time rather than at every advance (the topology's 1 ms
   * default): each punctuation is a store scan, and deadlines of a 30-minute window resolved up to 0.1 s
   * late change nothing a user sees.
   */
  static final Duration PUNCTUATE_INTERVAL = Duration.ofMillis(100);

  static Properties streamsProperties(Config c) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, c.applicationId());
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, c.bootstrap());
    p.put(StreamsConfig.STATE_DIR_CONFIG, c.stateDir().toAbsolutePath().toString());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    // Exactly-once commits a transaction per interval; 500 ms (instead of 100) lets the store caches
    // absorb more short-lived entries, at the price of interactions becoming visible up to 0.5 s later.
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 500);
    // A larger record cache (default 10 MiB) keeps more of the join index and pending events in memory
    // between commits, so fewer reach RocksDB and the changelog.
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 64L * 1024 * 1024);
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) c.replication());
    p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
    // Static group membership: a process restarted after a crash (kill -9, OOM) rejoins under the same
    // instance id and gets its partitions back at once. Without it the group waits for the dead member's
    // session to time out (45 s) before the restarted one may consume: measured 46 s from kill -9 of
    // ingest to the pre-kill events in the model in SupervisionIT. A clean stop leaves the group
    // explicitly (see close), so other instances take over without that wait too.
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), groupInstanceId(c));
    return p;
  }

  /**
   * One id per instance that survives its restarts: the application id, the host name and a hash of the
   * absolute state directory (two instances on one host have two state directories).
   */
  static String groupInstanceId(Config c) {
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      host = "localhost";
    }
    String dir = c.stateDir().toAbsolutePath().normalize().toString();
    return c.applicationId() + "-" + host + "-" + Integer.toHexString(dir.hashCode());
  }

  /** The collector's producer: idempotent, acks=all, records up to {@link #maxRecordBytes}. */
  static Map<String, Object> producerProperties(Config c) {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, c.bootstrap());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, maxRecordBytes(c));
    p.put(ProducerConfig.CLIENT_ID_CONFIG, c.applicationId() + "-collector");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    return p;
  }

  /** Largest record the collector produces: a dead letter holding a whole rejected body, plus room. */
  static int maxRecordBytes(Config c) {
    return (int) Math.min(Integer.MAX_VALUE, c.maxBodyBytes() + 64L * 1024);
  }

  /**
   * Creates events, interactions and dead-letter (with {@code max.message.bytes} large enough for a rejected
   * body) with the configured partitions and replication if absent. Existing topics are left as they are: a
   * dead-letter topic created elsewhere needs {@code max.message.bytes >= --max-body-bytes + 64 KiB}, or the
   * collector answers 503 for bodies whose dead letter does not fit.
   */
  static void ensureTopics(Config c) throws InterruptedException, ExecutionException,
      java.util.concurrent.TimeoutException {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, c.bootstrap()))) {
      Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
      List<NewTopic> missing = new ArrayList<>();
      for (String t : List.of(Topics.EVENTS, Topics.INTERACTIONS, Topics.DEAD_LETTER)) {
        if (!existing.contains(t)) {
          NewTopic topic = new NewTopic(t, c.partitions(), c.replication());
          if (t.equals(Topics.DEAD_LETTER)) {
            // a rejected body (up to the body limit) must fit in one dead-letter record
            topic.configs(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(maxRecordBytes(c))));
          }
          missing.add(topic);
        }
      }
      for (var e : admin.createTopics(missing).values().entrySet()) {
        try {
          e.getValue().get(60, TimeUnit.SECONDS);
          LOG.info("created topic {} ({} partitions, replication {})", e.getKey(), c.partitions(), c.replication());
        } catch (ExecutionException ex) {
          if (!(ex.getCause() instanceof TopicExistsException)) {
            throw ex;
          }
        }
      }
    }
  }

  /**
   * What the broker accepts from the streams app: the tightest timestamp window and record size of the topics
   * it writes (interactions, dead-letter) and of the broker's defaults (its changelog topics are created with
   * them), and the producer's default {@code max.request.size}.
   */
  static WriteGuard brokerLimits(Config c) throws InterruptedException, ExecutionException,
      java.util.concurrent.TimeoutException {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, c.bootstrap()))) {
      List<ConfigResource> resources = new ArrayList<>();
      for (String t : List.of(Topics.INTERACTIONS, Topics.DEAD_LETTER)) {
        resources.add(new ConfigResource(ConfigResource.Type.TOPIC, t));
      }
      for (Node n : admin.describeCluster().nodes().get(60, TimeUnit.SECONDS)) {
        resources.add(new ConfigResource(ConfigResource.Type.BROKER, n.idString()));
      }
      long lead = WriteGuard.DEFAULT_MAX_LEAD_MS;
      long lag = Long.MAX_VALUE;
      long bytes = WriteGuard.DEFAULT_MAX_RECORD_BYTES;
      boolean firstLead = true;
      for (var e : admin.describeConfigs(resources).all().get(60, TimeUnit.SECONDS).entrySet()) {
        boolean broker = e.getKey().type() == ConfigResource.Type.BROKER;
        String prefix = broker ? "log.message.timestamp." : "message.timestamp.";
        Long after = configLong(e.getValue(), prefix + "after.max.ms");
        Long before = configLong(e.getValue(), prefix + "before.max.ms");
        Long size = configLong(e.getValue(), broker ? "message.max.bytes" : TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
        if (after != null) {
          lead = firstLead ? after : Math.min(lead, after);
          firstLead = false;
        }
        if (before != null) {
          lag = Math.min(lag, before);
        }
        if (size != null) {
          bytes = Math.min(bytes, size);
        }
      }
      return new WriteGuard(lead, lag, (int) bytes, Clock.systemUTC());
    }
  }

  private static Long configLong(org.apache.kafka.clients.admin.Config config, String name) {
    ConfigEntry entry = config.get(name);
    if (entry == null || entry.value() == null) {
      return null;
    }
    try {
      return Long.parseLong(entry.value());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** Entry point; see the class comment. */
  public static void main(String[] args) throws Exception {
    Config c;
    try {
      c = parse(args);
    } catch (UsageException e) {
      System.err.println("IngestMain: " + e.getMessage());
      System.exit(2);
      return;
    }
    if (c == null) {
      System.out.println(USAGE);
      return;
    }
    App app;
    try {
      app = start(c, Clock.systemUTC());
    } catch (Exception e) {
      LOG.error("cannot start ingest (bootstrap {}): {}", c.bootstrap(), e.toString(), e);
      System.exit(1);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(app::close, "ingest-shutdown"));
    app.awaitClose();
    System.exit(app.failed ? 1 : 0);
  }
}
