package io.relstream.streamtrain;

import io.relstream.core.online.StateLayout;
import io.relstream.schemas.Topics;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.ModelUpdate;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.WebOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Runs the training job on a local MiniCluster between Kafka topics: {@code interactions} in,
 * {@code model-updates} out with an exactly-once (transactional) sink. On start it resumes from the newest
 * completed checkpoint under {@code --checkpoint-dir}; on SIGTERM it cancels the job, and the retained
 * checkpoints let the next start continue.
 *
 * <pre>
 *   StreamTrainMain --bootstrap HOST:PORT --checkpoint-dir DIR [--checkpoint-interval-ms 2000]
 *                   [--parallelism 1] [--flush-idle-ms 500]
 *                   [--rest-port 0] [--health-port 0] [--bind 127.0.0.1] [--token T] [--min-free-disk-mb 1024]
 *                   [trainer settings: --dim --lr --l2 --clip --loss --eta --batch-size
 *                    --negatives-per-positive --kernel --propensity, see {@link TrainFlags}]
 * </pre>
 *
 * <p>Flink's REST endpoint binds 127.0.0.1 only, on {@code --rest-port} (0: a free port, printed),
 * with job cancel and jar submit disabled ({@code web.cancel.enable=false},
 * {@code web.submit.enable=false}). The job's own health ({@link TrainHealth}: {@code /health},
 * {@code /metrics}) is served on {@code --health-port} (0: a free port, printed) at {@code --bind}
 * by the hardened relstream-http server.
 */
public final class StreamTrainMain {
  private StreamTrainMain() {}

  /** Transactional id prefix of the sink (one per deployment; Flink appends subtask and checkpoint ids). */
  public static final String TRANSACTIONAL_ID_PREFIX = "relstream-stream-train";
  /**
   * 10 min: below the broker's transaction.max.timeout.ms (15 min default) and far above a checkpoint
   * interval plus a restart, so open transactions survive a restart and are committed or aborted then.
   */
  static final Duration TRANSACTION_TIMEOUT = Duration.ofMinutes(10);

  static final String USAGE = "usage: StreamTrainMain --bootstrap HOST:PORT --checkpoint-dir DIR"
      + " [--checkpoint-interval-ms 2000] [--parallelism 1]"
      + " [--flush-idle-ms 500] [--rest-port 0] [--health-port 0] [--bind 127.0.0.1] [--token T]"
      + " [--min-free-disk-mb 1024] " + TrainFlags.USAGE + "   (no --token: $RELSTREAM_TOKEN, else none)";

  /**
   * Parsed arguments.
   *
   * @param bootstrap Kafka bootstrap servers
   * @param checkpointDir where checkpoints go and are resumed from
   * @param checkpointIntervalMs checkpoint interval; also how often model updates become visible
   *     (read_committed consumers see a checkpoint's rows when it completes)
   * @param parallelism of sources and sinks (the propensity and trainer operators run at 1)
   * @param train the trainer's settings ({@link TrainFlags}), idle flush aside
   * @param flushIdleMs train a partial batch after this much idle time (0: only full batches)
   * @param restPort Flink's REST port on 127.0.0.1 (0: any free port)
   * @param healthPort the health server's port (0: any free port)
   * @param bind the health server's bind address (beyond loopback a token is required)
   * @param token bearer token of the health server, or null
   * @param minFreeDiskMb /health is degraded below this many MiB free under the checkpoint dir
   */
  public record Args(String bootstrap, Path checkpointDir, long checkpointIntervalMs, int parallelism,
      TrainConfig train, long flushIdleMs, int restPort, int healthPort, String bind, String token,
      long minFreeDiskMb) {

    /** Never prints the token. */
    @Override
    public String toString() {
      return "Args[bootstrap=" + bootstrap + ", checkpointDir=" + checkpointDir + ", restPort=" + restPort
          + ", healthPort=" + healthPort + ", bind=" + bind + ", token=" + (token == null ? "none" : "(set)") + "]";
    }

    /** Parses {@code argv}; throws IllegalArgumentException with a one-line message on bad input. */
    public static Args parse(String[] argv) {
      String bootstrap = null;
      Path dir = null;
      long interval = 2000;
      int parallelism = 1;
      TrainConfig train = TrainConfig.defaults();
      long flushIdle = 500;
      int restPort = 0;
      int healthPort = 0;
      String bind = "127.0.0.1";
      String token = null;
      long minFree = io.relstream.http.DiskFloor.DEFAULT_FLOOR_MB;
      for (int k = 0; k < argv.length; k++) {
        String flag = argv[k];
        if (k + 1 >= argv.length) {
          throw new IllegalArgumentException(flag.startsWith("--") ? "missing value for " + flag
              : "unexpected argument '" + flag + "'");
        }
        String v = argv[++k];
        if (flag.startsWith("--") && TrainFlags.NAMES.contains(flag.substring(2))) {
          train = TrainFlags.apply(train, flag.substring(2), v);
          continue;
        }
        switch (flag) {
          case "--bootstrap" -> bootstrap = v;
          case "--checkpoint-dir" -> dir = Paths.get(v);
          case "--checkpoint-interval-ms" -> interval = positiveLong(flag, v);
          case "--parallelism" -> parallelism = (int) positiveLong(flag, v);
          case "--flush-idle-ms" -> flushIdle = nonNegativeLong(flag, v);
          case "--rest-port" -> restPort = port(flag, v);
          case "--health-port" -> healthPort = port(flag, v);
          case "--bind" -> bind = v;
          case "--token" -> token = v.isBlank() ? null : v;
          case "--min-free-disk-mb" -> minFree = nonNegativeLong(flag, v);
          default -> throw new IllegalArgumentException("unknown flag '" + flag + "'");
        }
      }
      token = io.relstream.http.BearerToken.resolve(token);
      if (bootstrap == null || bootstrap.isBlank()) {
        throw new IllegalArgumentException("--bootstrap HOST:PORT is required");
      }
      if (dir == null) {
        throw new IllegalArgumentException("--checkpoint-dir DIR is required");
      }
      boolean loopback;
      try {
        loopback = java.net.InetAddress.getByName(bind).isLoopbackAddress();
      } catch (java.net.UnknownHostException e) {
        throw new IllegalArgumentException("--bind: cannot resolve '" + bind + "'");
      }
      if (!loopback && token == null) {
        throw new IllegalArgumentException("--bind " + bind + " is beyond loopback: give --token too");
      }
      return new Args(bootstrap, dir, interval, parallelism, train, flushIdle, restPort, healthPort, bind,
          token, minFree);
    }

    private static int port(String flag, String v) {
      try {
        int p = Integer.parseInt(v);
        if (p >= 0 && p <= 65535) {
          return p;
        }
      } catch (NumberFormatException e) {
        // fall through
      }
      throw new IllegalArgumentException(flag + " must be a port in 0..65535, got '" + v + "'");
    }

    private static long nonNegativeLong(String flag, String v) {
      return v.equals("0") ? 0 : positiveLong(flag, v);
    }

    private static long positiveLong(String flag, String v) {
      try {
        long x = Long.parseLong(v);
        if (x > 0 && x <= Integer.MAX_VALUE) {
          return x;
        }
      } catch (NumberFormatException e) {
        // fall through
      }
      throw new IllegalArgumentException(flag + " must be a positive integer, got '" + v + "'");
    }

    /** Events per mini-batch. */
    int batchSize() {
      return train.trainer().batchSize();
    }

    public TrainConfig trainConfig() {
      return train.withFlushIdleMs(flushIdleMs);
    }
  }

  public static void main(String[] argv) throws Exception {
    if (argv.length == 1 && (argv[0].equals("--help") || argv[0].equals("-h"))) {
      System.out.println(USAGE);
      System.out.println("Trains Rel-MF (clipped IPS) online from topic " + Topics.INTERACTIONS
          + " and publishes factor rows to " + Topics.MODEL_UPDATES + " exactly once.");
      return;
    }
    Args args;
    try {
      args = Args.parse(argv);
    } catch (IllegalArgumentException e) {
      System.err.println("stream-train: " + e.getMessage() + " (--help for usage)");
      System.exit(2);
      return;
    }
    Started started;
    try {
      started = launch(args);
    } catch (StateLayoutException e) {
      System.err.println("stream-train: " + e.getMessage());
      System.exit(2);
      return;
    }
    JobClient job = started.job();
    TrainHealth health;
    try {
      health = TrainHealth.start(args, started);
    } catch (Exception e) {
      System.err.println("stream-train: cannot start the health server: " + e.getMessage());
      job.cancel().get(30, TimeUnit.SECONDS);
      System.exit(1);
      return;
    }
    System.out.println("stream-train: Flink REST on 127.0.0.1:" + started.restPort()
        + " (cancel and submit disabled)");
    System.out.println("stream-train: health on http://" + args.bind() + ":" + health.port() + "/health");
    System.out.flush();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        job.cancel().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("stream-train: cancel on shutdown failed: " + e);
      } finally {
        health.close();
      }
    }, "stream-train-shutdown"));
    job.getJobExecutionResult().get();
  }

  /**
   * Refuses a checkpoint directory of another state layout ({@link StateLayoutException}, whose message
   * names {@code ./relstream demo --reset}), else records the current one in it.
   */
  static void claimLayout(Path checkpointDir) throws IOException {
    Optional<String> refused = StateLayout.problem(checkpointDir);
    if (refused.isPresent()) {
      throw new StateLayoutException(refused.get());
    }
    StateLayout.claim(checkpointDir);
  }

  /** The checkpoint directory holds state of a layout this build does not read (the message says what to do). */
  static final class StateLayoutException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    StateLayoutException(String message) {
      super(message);
    }
  }

  /** A started job and the port of Flink's REST endpoint. */
  record Started(JobClient job, int restPort) {}

  /** Builds the Flink configuration (with the checkpoint to resume from, if any). */
  public static Configuration configuration(Args args) {
    Configuration conf = TrainingJob.flinkConfiguration(args.checkpointDir(),
        Duration.ofMillis(args.checkpointIntervalMs()));
    Optional<Path> resume = Checkpoints.latest(args.checkpointDir());
    resume.ifPresent(p -> conf.set(StateRecoveryOptions.SAVEPOINT_PATH, p.toUri().toString()));
    restOnLoopback(conf, args.restPort());
    return conf;
  }

  /**
   * Flink's REST endpoint on 127.0.0.1 only, on {@code port} (0 here stays 0: {@link #launch} picks
   * the free port), with job cancel and jar submit refused: {@code web.cancel.enable} and
   * {@code web.submit.enable} false (the dashboard's buttons and jar handlers) and, since Flink still
   * registers the cancel handler, {@link ReadOnlyRest} refusing every non-GET request with 403.
   */
  static void restOnLoopback(Configuration conf, int port) {
    conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
    conf.set(RestOptions.ADDRESS, "127.0.0.1");
    conf.set(RestOptions.BIND_PORT, Integer.toString(port));
    conf.set(RestOptions.PORT, port);
    conf.set(WebOptions.CANCEL_ENABLE, false);
    conf.set(WebOptions.SUBMIT_ENABLE, false);
    conf.setString(ReadOnlyRest.KEY, "true");
  }

  /** A port free on 127.0.0.1 now (Flink binds it a moment later). */
  static int freeLoopbackPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  public static KafkaSource<Interaction> source(String bootstrap) {
    return KafkaSource.<Interaction>builder()
        .setBootstrapServers(bootstrap)
        .setTopics(Topics.INTERACTIONS)
        .setGroupId("relstream-stream-train")
        // on a restore the offsets come from the checkpoint; this applies to the first start only
        .setStartingOffsets(OffsetsInitializer.earliest())
        .setDeserializer(new KafkaSerdes.InteractionDeserializer())
        .setProperty("isolation.level", "read_committed")
        .build();
  }

  public static KafkaSink<ModelUpdate> sink(String bootstrap, String transactionalIdPrefix) {
    Properties p = new Properties();
    p.setProperty("transaction.timeout.ms", Long.toString(TRANSACTION_TIMEOUT.toMillis()));
    return KafkaSink.<ModelUpdate>builder()
        .setBootstrapServers(bootstrap)
        .setRecordSerializer(new KafkaSerdes.ModelUpdateSerializer(Topics.MODEL_UPDATES))
        .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
        .setTransactionalIdPrefix(transactionalIdPrefix)
        .setKafkaProducerConfig(p)
        .build();
  }

  /** Starts the job on a local MiniCluster and returns its client. */
  static JobClient start(Args args) throws Exception {
    return launch(args).job();
  }

  /**
   * Starts the job on a local MiniCluster whose REST endpoint listens on 127.0.0.1 at
   * {@code --rest-port} (0: a port found free just before).
   */
  static Started launch(Args args) throws Exception {
    claimLayout(args.checkpointDir());
    Configuration conf = configuration(args);
    int restPort = args.restPort() == 0 ? freeLoopbackPort() : args.restPort();
    restOnLoopback(conf, restPort);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(args.parallelism(), conf);
    TrainingJob.build(env, source(args.bootstrap()), sink(args.bootstrap(), TRANSACTIONAL_ID_PREFIX),
        args.trainConfig());
    String from = conf.getOptional(StateRecoveryOptions.SAVEPOINT_PATH).orElse("an empty state");
    System.out.println("stream-train: starting from " + from + ", checkpoints every "
        + args.checkpointIntervalMs() + " ms under " + args.checkpointDir());
    return new Started(env.executeAsync("relstream-stream-train"), restPort);
  }
}
