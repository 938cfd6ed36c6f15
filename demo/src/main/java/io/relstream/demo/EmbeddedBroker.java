package io.relstream.demo;

import io.relstream.schemas.Topics;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.TopicConfig;

/**
 * A real single-node KRaft broker (no ZooKeeper) in a child JVM, started through Kafka's public entry
 * points: {@code kafka.tools.StorageTool format} once (the storage keeps its cluster id, so a second
 * start reuses the data), then {@code kafka.Kafka server.properties}.
 */
final class EmbeddedBroker {
  static final int PARTITIONS = 2;
  static final int DEAD_LETTER_MAX_BYTES = (1 << 20) + (64 << 10);
  /**
   * Size-based retention, per partition: 256 MiB on events, interactions and dead-letter (the broker's
   * {@code log.retention.bytes} default too), so a long demo cannot fill the disk: at most
   * 2 x 256 + 2 x 256 + 1 x 256 MiB plus one open segment per partition. Time retention stays at the
   * broker's 7 days. model-updates is compacted ({@code cleanup.policy=compact}), which ignores
   * retention.bytes; it is bounded by its key count (one row per user and item) instead. Adding
   * {@code delete} there would drop the rows of quiet keys and a fresh serving store could no
   * longer rebuild the whole model from the topic, so it gets no retention.bytes.
   */
  static final long RETENTION_BYTES = 256L << 20;
  /** Segments of 64 MiB: retention deletes whole closed segments, so they must be well below it. */
  static final long SEGMENT_BYTES = 64L << 20;

  private EmbeddedBroker() {}

  /**
   * Ports this JVM has handed out or been told are taken: a port is probed free and released, and the
   * process meant to bind it may do so seconds later, so the kernel can offer the same port to the next
   * probe. Never handing one out twice keeps two of our own listeners from being given one port (the CI
   * failure this fixes: the front's port, chosen by the caller, given to serving as well).
   */
  private static final java.util.Set<Integer> TAKEN = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** Marks {@code port} (one chosen elsewhere, the front's) as taken for {@link #freePort()}. */
  static void reserve(int port) {
    if (port > 0) TAKEN.add(port);
  }

  /** A port free now that this JVM has not handed out before. */
  static int freePort() throws IOException {
    for (int attempt = 0; attempt < 100; attempt++) {
      try (ServerSocket s = new ServerSocket(0)) {
        s.setReuseAddress(true);
        int port = s.getLocalPort();
        if (TAKEN.add(port)) return port;
      }
    }
    throw new IOException("no free port found that was not handed out before");
  }

  /** Starts the broker and returns its child process; {@code bootstrap[0]} receives host:port. */
  static ChildProcess start(Path workdir, String classpath, String[] bootstrap) throws IOException, InterruptedException {
    Path dir = workdir.resolve("kafka");
    Path data = dir.resolve("data");
    Files.createDirectories(data);
    int port = freePort();
    int controller = freePort();
    Path props = dir.resolve("server.properties");
    Files.writeString(props, String.join("\n",
        "process.roles=broker,controller",
        "node.id=1",
        "controller.quorum.voters=1@localhost:" + controller,
        "listeners=PLAINTEXT://localhost:" + port + ",CONTROLLER://localhost:" + controller,
        "advertised.listeners=PLAINTEXT://localhost:" + port,
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs=" + data,
        "offsets.topic.replication.factor=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "transaction.max.timeout.ms=900000",
        "group.initial.rebalance.delay.ms=0",
        "num.partitions=" + PARTITIONS,
        "auto.create.topics.enable=false",
        "log.retention.bytes=" + RETENTION_BYTES,
        "log.segment.bytes=" + SEGMENT_BYTES,
        ""));
    Path logs = workdir.resolve("logs");
    if (!Files.exists(data.resolve("meta.properties"))) {
      ChildProcess format = ChildProcess.start("kafka-format", "256m", classpath, List.of(),
          "kafka.tools.StorageTool",
          List.of("format", "-t", Uuid.randomUuid().toString(), "-c", props.toString(), "--ignore-formatted"),
          logs);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (format.alive() && System.nanoTime() < deadline) Thread.sleep(100);
      if (format.alive() || format.exitCode() != 0) {
        format.stop(1);
        throw new IOException("formatting the broker's storage failed:\n" + format.tail(20));
      }
      format.stop(0); // exited: removes its pid file
    }
    ChildProcess broker = ChildProcess.start("kafka", "512m", classpath,
        List.of("-Dlog4j2.level=WARN"), "kafka.Kafka", List.of(props.toString()), logs);
    bootstrap[0] = "localhost:" + port;
    awaitReady(bootstrap[0], broker);
    return broker;
  }

  private static Admin admin(String bootstrap) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10000);
    return Admin.create(p);
  }

  static void awaitReady(String bootstrap, ChildProcess broker) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    try (Admin admin = admin(bootstrap)) {
      while (System.nanoTime() < deadline) {
        if (!broker.alive()) {
          throw new IOException("the broker exited:\n" + broker.tail(30));
        }
        try {
          admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
          return;
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
          Thread.sleep(250);
        }
      }
    }
    throw new IOException("the broker did not become ready within 90 s:\n" + broker.tail(30));
  }

  /**
   * Creates the project's topics if absent; model-updates is compacted, the others have
   * {@link #RETENTION_BYTES} (set on existing ones too, for a workdir from before).
   */
  static void createTopics(String bootstrap) throws IOException, InterruptedException {
    String retention = String.valueOf(RETENTION_BYTES);
    try (Admin admin = admin(bootstrap)) {
      Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      List<NewTopic> wanted = List.of(
          new NewTopic(Topics.EVENTS, PARTITIONS, (short) 1)
              .configs(Map.of(TopicConfig.RETENTION_BYTES_CONFIG, retention)),
          new NewTopic(Topics.INTERACTIONS, PARTITIONS, (short) 1)
              .configs(Map.of(TopicConfig.RETENTION_BYTES_CONFIG, retention)),
          new NewTopic(Topics.MODEL_UPDATES, PARTITIONS, (short) 1)
              .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)),
          // room for a whole rejected request body (the collector's 1 MiB limit) plus its envelope
          new NewTopic(Topics.DEAD_LETTER, 1, (short) 1)
              .configs(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(DEAD_LETTER_MAX_BYTES),
                  TopicConfig.RETENTION_BYTES_CONFIG, retention)));
      List<NewTopic> missing = wanted.stream().filter(t -> !existing.contains(t.name())).toList();
      if (!missing.isEmpty()) {
        admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
      }
      Map<ConfigResource, java.util.Collection<AlterConfigOp>> alter = new java.util.HashMap<>();
      for (String t : List.of(Topics.EVENTS, Topics.INTERACTIONS, Topics.DEAD_LETTER)) {
        if (existing.contains(t)) {
          alter.put(new ConfigResource(ConfigResource.Type.TOPIC, t), List.of(new AlterConfigOp(
              new ConfigEntry(TopicConfig.RETENTION_BYTES_CONFIG, retention), AlterConfigOp.OpType.SET)));
        }
      }
      if (!alter.isEmpty()) {
        admin.incrementalAlterConfigs(alter).all().get(30, TimeUnit.SECONDS);
      }
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IOException("cannot create topics: " + e.getMessage(), e);
    }
  }
}
