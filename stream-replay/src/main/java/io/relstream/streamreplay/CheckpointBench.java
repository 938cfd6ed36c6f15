package io.relstream.streamreplay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relstream.core.progress.ProgressBar;
import io.relstream.schemas.Codecs;
import io.relstream.schemas.Topics;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.InteractionSource;
import io.relstream.streamtrain.StreamTrainMain;
import io.relstream.streamtrain.TrainingJob;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.configuration.WebOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * {@code ./relstream bench checkpoint [--quick] [--json] [--users N --items N --parallelism P] [--seconds S]}:
 * the training job's checkpoints at model scale, measured by Flink itself.
 *
 * <p><b>A run</b> (users U x items I, parallelism P):
 * <ol>
 *   <li>a real single-node KRaft broker in this JVM ({@code KafkaClusterTestKit}, as the integration tests use;
 *       single-broker transaction settings), topics {@code interactions} and {@code model-updates} with two
 *       partitions each (model-updates compacted, as the demo creates it);</li>
 *   <li>pre-produced Avro {@link Interaction}s through {@link Codecs#INTERACTION}, keyed by user (as ingest
 *       writes them): first the <i>population</i>, max(U, I) events where event k has user k mod U and item
 *       k mod I, so every user row and every item row exists once it is drained (at 1M users x 100k items,
 *       d = 32, today's trainer checkpoints ~510 MB); then the <i>measured stream</i>,
 *       {@value #TAIL_EVENTS_PER_SECOND} events per second of {@code --seconds} (more than the job drains in that
 *       time at model scale), users uniform,
 *       items skewed (rank = I u^2.5), one event in seven clicked, as {@code bench pipeline --component train}
 *       makes them. Event time advances 20,000 events/s (also as there), so the trainer's reservoir steps
 *       take their shipped event-time budget;</li>
 *   <li>the training job as {@link StreamTrainMain} wires it: its {@link StreamTrainMain.Args} (shipped trainer
 *       defaults, d = 32, idle flush 500 ms), {@link StreamTrainMain#configuration} (RocksDB backend,
 *       exactly-once checkpoints every 2 s retained on cancellation, resume from the newest retained one),
 *       its read_committed Kafka source and transactional Kafka sink, and {@link TrainingJob#build}, on a local
 *       MiniCluster at default parallelism P (the trainer itself runs at whatever TrainingJob gives it). It
 *       does not call {@code StreamTrainMain.launch} because launch prints to stdout (this command's stdout is
 *       its JSON) and because three settings that only change what the REST API reports are added: metrics
 *       fetched every 50 ms instead of 10 s ({@code metrics.fetcher.update-interval}), a checkpoint history
 *       of 10,000 instead of 10 ({@code web.checkpoints.history}) and checkpoint statistics cached 100 ms;</li>
 *   <li>drain: until the trainer has taken in the population (progress bar);</li>
 *   <li>measured phase: {@code --seconds} more while the job goes on draining the measured stream and
 *       checkpointing. eventsPerSecond = the trainer operator's {@code numRecordsIn} (REST, summed over its
 *       subtasks) gained over the phase / its length: every interaction passes the Kafka source and reaches
 *       the trainer, whose output goes through the transactional sink, so backpressure from either end
 *       shows. Should the job come within {@value #TOP_UP_LEAD} events of the end of the pre-produced stream
 *       (small models do), this thread produces that many more while it runs ({@code toppedUp} counts them:
 *       0 means the load generator took no CPU from the job in the phase); it ends early only if the job still
 *       catches up ({@code measuredSeconds} says so);</li>
 *   <li>checkpoint statistics from Flink's REST API ({@code GET /jobs/<id>/checkpoints}), over the completed
 *       checkpoints whose completion ({@code latest_ack_timestamp}) lies in the measured phase:
 *       {@code end_to_end_duration} (p50, max), {@code checkpointed_size} (what the checkpoint wrote: the
 *       incremental size; p50) and {@code state_size} (the full state) of the last one;</li>
 *   <li>restore: cancel (the retained checkpoint stays), produce one more event, submit the job again with
 *       the same wiring, which resumes from the newest retained checkpoint, and time from just before
 *       {@code executeAsync} (which starts the new MiniCluster and submits, as a restart of StreamTrainMain
 *       does) to the first poll that sees the restored trainer's {@code numRecordsIn} &gt; 0: the model
 *       state is read back and the first event after the checkpoint has reached the trainer. Polls are 50 ms
 *       apart on metrics fetched every 50 ms, so restoreMs is late by at most ~100 ms.
 *       {@code GET /jobs/<id>/checkpoints}'s {@code latest.restored} confirms the restore
 *       ({@code restoredCheckpointId}). (Operator state such as today's whole-model {@code ListState<byte[]>}
 *       is read back by Flink 2.2 through {@code CompressibleFSDataInputStream}, which has no
 *       {@code read(byte[], int, int)}: one file read a byte, a few MB/s here.)</li>
 * </ol>
 *
 * <p><b>Output</b>: one JSON line per run: users, items, d, parallelism, eventsPerSecond, checkpointMsP50,
 * checkpointMsMax, checkpointBytesP50, stateBytes, restoreMs; and startMs (a fresh start's submission to the
 * trainer's first record, the same signal as restoreMs: what of restoreMs is not the state), checkpoints
 * (completed in the measured phase), measuredSeconds, toppedUp, restoredCheckpointId, capped (phase to the cap
 * in seconds that cut it, {} when none). Medians are the lower median; checkpoint figures are null when no checkpoint
 * completed in the measured phase. Without {@code --json} a table follows. Progress goes to stderr.
 *
 * <p><b>Bounds</b>: the drain and the restore each stop at a wall-clock cap ({@code --cap-seconds}, 600 s). With
 * a budget ({@code --budget-seconds}; {@code --quick}: {@value #QUICK_BUDGET_SECONDS} s, so the whole command
 * stays within ten minutes) a run may use what is left of it less {@value #RESERVE_PER_RUN_SECONDS} s for each
 * run after it, and its drain also leaves the measured phase and {@value #RESTORE_RESERVE_SECONDS} s for the
 * restore. A capped drain goes on to the measured phase with the rows drained so far (the rest of the
 * population arrives during it); a capped restore reports restoreMs null: it took longer than the cap.
 *
 * <p><b>Runs</b>: by default 100,000 and 1,000,000 users x 100,000 items at parallelism 1 and 2 (60 s
 * measured each); {@code --quick}: only 1,000,000 users at parallelism 1 and 2 (30 s); {@code --users},
 * {@code --items}, {@code --parallelism} pick one run (defaults 1,000,000, 100,000, 1).
 *
 * <p>Why here: stream-replay already runs stream-train's job in-process on a local MiniCluster with Kafka
 * clients beside it, and it is the one Flink module that is not the job itself; the broker library
 * (kafka-test-common-runtime) is a runtime dependency of this module for it. The bench uses only the job's
 * public entry points, so it measures the trainer as it is today (whole-model operator state) and a
 * keyed-state trainer alike without a change.
 */
public final class CheckpointBench {
  private CheckpointBench() {}

  static final int DEFAULT_USERS = 1_000_000;
  static final int DEFAULT_ITEMS = 100_000;
  static final long CHECKPOINT_INTERVAL_MS = 2000;
  /** Events of the measured stream per second of {@code --seconds}: above what the job drains here. */
  static final int TAIL_EVENTS_PER_SECOND = 60_000;
  /** Topped up by this many events whenever fewer are left unread during the measured phase. */
  static final int TOP_UP_LEAD = 200_000;
  /** Event time: 20 events per millisecond (20,000/s), as bench pipeline's train component. */
  static final int EVENTS_PER_MS = 20;
  static final int PARTITIONS = 2;
  private static final long POLL_MS = 50;
  /** --quick's whole budget: ten minutes less the launcher's and the JVM's start. */
  static final long QUICK_BUDGET_SECONDS = 570;
  /** Kept for each later run when a budget is set: its broker, events, drain and measured phase at 1M users. */
  static final long RESERVE_PER_RUN_SECONDS = 150;
  /** Kept for the restore when the drain is capped by a deadline. */
  static final long RESTORE_RESERVE_SECONDS = 60;
  private static final Pattern TRAINER_RECORDS_IN =
      Pattern.compile("\\d+\\.[^.]*trainer[^.]*\\.numRecordsIn", Pattern.CASE_INSENSITIVE);
  private static final ObjectMapper JSON = new ObjectMapper();

  static final String USAGE = "usage: relstream bench checkpoint [--quick] [--json] [--users N] [--items N]"
      + " [--parallelism P] [--seconds S] [--cap-seconds C] [--budget-seconds B]";

  /** One run's shape. */
  record Shape(int users, int items, int parallelism) {}

  /** Parsed flags. */
  record Options(List<Shape> runs, int seconds, long capSeconds, long budgetSeconds, boolean json, boolean help) {
    static Options parse(String[] args) {
      boolean quick = false;
      boolean json = false;
      Integer users = null;
      Integer items = null;
      Integer parallelism = null;
      Integer seconds = null;
      Long cap = null;
      Long budget = null;
      for (int k = 0; k < args.length; k++) {
        String a = args[k];
        switch (a) {
          case "--help", "-h" -> {
            return new Options(List.of(), 0, 0, 0, false, true);
          }
          case "--quick" -> quick = true;
          case "--json" -> json = true;
          case "--users" -> users = (int) positive(a, value(args, k++), 100_000_000);
          case "--items" -> items = (int) positive(a, value(args, k++), 100_000_000);
          case "--parallelism" -> parallelism = (int) positive(a, value(args, k++), 64);
          case "--seconds" -> seconds = (int) positive(a, value(args, k++), 86_400);
          case "--cap-seconds" -> cap = positive(a, value(args, k++), 86_400);
          case "--budget-seconds" -> budget = positive(a, value(args, k++), 86_400);
          default -> throw new IllegalArgumentException("unknown argument '" + a + "'");
        }
      }
      List<Shape> runs;
      if (users != null || items != null || parallelism != null) {
        runs = List.of(new Shape(users != null ? users : DEFAULT_USERS, items != null ? items : DEFAULT_ITEMS,
            parallelism != null ? parallelism : 1));
      } else if (quick) {
        runs = List.of(new Shape(1_000_000, DEFAULT_ITEMS, 1), new Shape(1_000_000, DEFAULT_ITEMS, 2));
      } else {
        runs = List.of(new Shape(100_000, DEFAULT_ITEMS, 1), new Shape(100_000, DEFAULT_ITEMS, 2),
            new Shape(1_000_000, DEFAULT_ITEMS, 1), new Shape(1_000_000, DEFAULT_ITEMS, 2));
      }
      return new Options(runs, seconds != null ? seconds : quick ? 30 : 60, cap != null ? cap : 600,
          budget != null ? budget : quick ? QUICK_BUDGET_SECONDS : 0, json, false);
    }

    private static String value(String[] args, int k) {
      if (k + 1 >= args.length) {
        throw new IllegalArgumentException("missing value for " + args[k]);
      }
      return args[k + 1];
    }

    private static long positive(String flag, String v, long max) {
      try {
        long x = Long.parseLong(v.replace("_", ""));
        if (x > 0 && x <= max) {
          return x;
        }
      } catch (NumberFormatException e) {
        // below
      }
      throw new IllegalArgumentException(flag + " must be an integer in 1.." + max + ", got '" + v + "'");
    }
  }

  public static void main(String[] args) {
    // stdout carries the JSON lines only: what libraries print there (the broker's storage format does) goes
    // to stderr with the progress
    PrintStream stdout = System.out;
    System.setOut(System.err);
    System.exit(run(args, stdout, System.err));
  }

  /** Exit codes: 0 done, 2 bad flags (one line on {@code err}), 1 failure. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    Options o;
    try {
      o = Options.parse(args);
    } catch (IllegalArgumentException e) {
      err.println("bench checkpoint: " + e.getMessage() + " (--help for usage)");
      return 2;
    }
    if (o.help()) {
      out.println(USAGE);
      return 0;
    }
    List<Map<String, Object>> rows = new ArrayList<>();
    Path work = null;
    try {
      work = Files.createTempDirectory("relstream-bench-checkpoint");
      long t0 = System.nanoTime();
      List<Shape> runs = o.runs();
      for (int k = 0; k < runs.size(); k++) {
        // with a budget, each run may use what is left of it but a reserve for each run after it
        long deadline = o.budgetSeconds() == 0 ? Long.MAX_VALUE : t0 + TimeUnit.SECONDS.toNanos(o.budgetSeconds()
            - (runs.size() - 1 - k) * RESERVE_PER_RUN_SECONDS);
        Map<String, Object> r = measure(runs.get(k), o.seconds(), o.capSeconds(), deadline, work, err);
        rows.add(r);
        out.println(JSON.writeValueAsString(r));
        out.flush();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("bench checkpoint: interrupted");
      return 1;
    } catch (Exception e) {
      err.println("bench checkpoint: failed: " + e);
      e.printStackTrace(err);
      return 1;
    } finally {
      if (work != null) {
        deleteTree(work);
      }
    }
    if (!o.json()) {
      table(rows, out);
    }
    return 0;
  }

  static void table(List<Map<String, Object>> rows, PrintStream out) {
    out.println();
    out.printf(Locale.ROOT, "%-9s %-7s %-3s %-3s %9s %5s %11s %11s %11s %11s %10s %s%n", "users", "items", "d", "P",
        "events/s", "ckpts", "ckpt p50 ms", "ckpt max ms", "ckpt p50 MB", "state MB", "restore ms", "capped");
    for (Map<String, Object> r : rows) {
      out.printf(Locale.ROOT, "%-9s %-7s %-3s %-3s %9s %5s %11s %11s %11s %11s %10s %s%n", r.get("users"),
          r.get("items"), r.get("d"), r.get("parallelism"), r.get("eventsPerSecond"), r.get("checkpoints"),
          r.get("checkpointMsP50"), r.get("checkpointMsMax"), mb(r.get("checkpointBytesP50")), mb(r.get("stateBytes")),
          r.get("restoreMs"), r.get("capped"));
    }
  }

  private static String mb(Object bytes) {
    return bytes instanceof Number n ? String.format(Locale.ROOT, "%.1f", n.doubleValue() / (1 << 20)) : "-";
  }

  /** One run; the figures as the JSON line names them. */
  static Map<String, Object> measure(Shape s, int seconds, long capSeconds, long deadline, Path work,
      PrintStream log) throws Exception {
    Path dir = Files.createTempDirectory(work, "run-");
    String name = s.users() + " users x " + s.items() + " items, parallelism " + s.parallelism();
    log.println("bench checkpoint: " + name);
    Map<String, Long> capped = new LinkedHashMap<>();
    long population = Math.max(s.users(), s.items());
    long total = population + (long) seconds * TAIL_EVENTS_PER_SECOND;
    try (KafkaClusterTestKit kafka = broker(dir.resolve("kafka"));
        Events events = new Events(kafka.bootstrapServers(), s, population, total)) {
      String bootstrap = kafka.bootstrapServers();
      createTopics(bootstrap);
      produceAll(events, population, total, log);
      Path checkpoints = dir.resolve("checkpoints");

      Job job = Job.start(bootstrap, checkpoints, s.parallelism());
      Map<String, Object> out = new LinkedHashMap<>();
      Window w;
      JsonNode stats;
      Drain d;
      try {
        // the drain leaves room for the measured phase and a restore before the deadline
        long drainCap = Math.max(10, Math.min(capSeconds, secondsLeft(deadline) - seconds - RESTORE_RESERVE_SECONDS));
        d = drain(job, population, drainCap, log);
        if (!d.complete()) {
          capped.put("drain", drainCap);
        }
        w = measured(job, events, seconds, log);
        Thread.sleep(300); // past the checkpoint statistics' cache
        stats = job.rest.get("/jobs/" + job.id() + "/checkpoints");
      } finally {
        job.cancel(log);
      }
      List<JsonNode> done = completedIn(stats, w.startEpochMs(), w.endEpochMs());
      out.put("users", s.users());
      out.put("items", s.items());
      out.put("d", job.dim());
      out.put("parallelism", s.parallelism());
      out.put("eventsPerSecond", Math.round(w.events() / w.seconds()));
      List<Long> ms = done.stream().map(c -> c.get("end_to_end_duration").asLong()).sorted().toList();
      List<Long> bytes = done.stream().map(c -> c.get("checkpointed_size").asLong()).sorted().toList();
      out.put("checkpointMsP50", ms.isEmpty() ? null : ms.get((ms.size() - 1) / 2));
      out.put("checkpointMsMax", ms.isEmpty() ? null : ms.get(ms.size() - 1));
      out.put("checkpointBytesP50", bytes.isEmpty() ? null : bytes.get((bytes.size() - 1) / 2));
      out.put("stateBytes", done.isEmpty() ? null : done.get(done.size() - 1).get("state_size").asLong());

      // restore from the retained checkpoint
      events.produce(1, null);
      events.flush();
      System.gc(); // the cancelled job's model goes before the restored one is read
      long restoreCap = Math.max(10, Math.min(capSeconds, secondsLeft(deadline) - 5));
      Restore r = restore(bootstrap, checkpoints, s.parallelism(), restoreCap, log);
      if (r.ms() == null) {
        capped.put("restore", restoreCap);
      }
      out.put("restoreMs", r.ms());
      out.put("startMs", d.firstRecordMs());
      out.put("checkpoints", done.size());
      out.put("measuredSeconds", Math.round(w.seconds() * 10) / 10.0);
      out.put("toppedUp", w.toppedUp());
      out.put("restoredCheckpointId", r.checkpointId());
      out.put("capped", capped);
      log.printf(Locale.ROOT, "bench checkpoint: %s: %d events/s, %d checkpoints in %.1f s, restore %s ms%n", name,
          out.get("eventsPerSecond"), done.size(), w.seconds(), r.ms());
      return out;
    } finally {
      deleteTree(dir);
    }
  }

  private static long secondsLeft(long deadline) {
    return deadline == Long.MAX_VALUE ? Long.MAX_VALUE / 2 : (deadline - System.nanoTime()) / 1_000_000_000L;
  }

  // ---- broker and events ----

  static KafkaClusterTestKit broker(Path dir) throws Exception {
    Files.createDirectories(dir);
    KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
        .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).setBaseDirectory(dir).build())
        .setConfigProp("offsets.topic.replication.factor", "1")
        .setConfigProp("transaction.state.log.replication.factor", "1")
        .setConfigProp("transaction.state.log.min.isr", "1")
        .setConfigProp("transaction.max.timeout.ms", "900000")
        .setConfigProp("group.initial.rebalance.delay.ms", "0")
        .build();
    try {
      cluster.format();
      cluster.startup();
      cluster.waitForReadyBrokers();
      return cluster;
    } catch (Exception e) {
      cluster.close();
      throw e;
    }
  }

  static void createTopics(String bootstrap) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin.createTopics(List.of(new NewTopic(Topics.INTERACTIONS, PARTITIONS, (short) 1),
          new NewTopic(Topics.MODEL_UPDATES, PARTITIONS, (short) 1)
              .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT))))
          .all().get(60, TimeUnit.SECONDS);
    }
  }

  /**
   * Event k of the stream: the population (k &lt; {@code population}) has user k mod U and item k mod I;
   * after it, users are uniform and items skewed, from {@code rng}.
   */
  static Interaction event(long k, Shape s, long population, SplittableRandom rng, long timestamp) {
    int u;
    int i;
    if (k < population) {
      u = (int) (k % s.users());
      i = (int) (k % s.items());
    } else {
      u = rng.nextInt(s.users());
      i = Math.min(s.items() - 1, (int) Math.floor(Math.pow(rng.nextDouble(), 2.5) * s.items()));
    }
    boolean click = (u + i) % 7 == 0;
    return Interaction.newBuilder().setEventId("e" + k).setUser("u" + u).setItem("i" + i).setTimestamp(timestamp)
        .setLabel(click ? 1 : 0)
        .setSource(click ? InteractionSource.CLICKED_IMPRESSION : InteractionSource.UNCLICKED_IMPRESSION)
        .setRequestId("r" + k).setPosition(1).setPropensity(null).build();
  }

  /**
   * A run's interaction stream into the interactions topic: event k is {@link #event}, timestamped
   * {@value #EVENTS_PER_MS} events a millisecond from a base set so that the planned last event is now.
   */
  static final class Events implements AutoCloseable {
    private final KafkaProducer<String, byte[]> producer;
    private final Shape shape;
    private final long population;
    private final long base;
    private final SplittableRandom rng = new SplittableRandom(7);
    private long next;

    Events(String bootstrap, Shape shape, long population, long planned) {
      this.producer = producer(bootstrap);
      this.shape = shape;
      this.population = population;
      this.base = System.currentTimeMillis() - planned / EVENTS_PER_MS;
    }

    /** Events produced so far. */
    long produced() {
      return next;
    }

    /** Produces {@code n} more events (sent, not yet flushed), advancing {@code bar} if given. */
    void produce(long n, ProgressBar bar) {
      long step = 0;
      for (long end = next + n; next < end; next++) {
        long ts = base + next / EVENTS_PER_MS;
        Interaction x = event(next, shape, population, rng, ts);
        producer.send(new ProducerRecord<>(Topics.INTERACTIONS, null, ts, x.getUser(), Codecs.INTERACTION.encode(x)));
        if (bar != null && ++step == 20_000) {
          bar.advance(step, next < population ? "population" : "measured stream");
          step = 0;
        }
      }
      if (bar != null) {
        bar.advance(step, "");
      }
    }

    void flush() {
      producer.flush();
    }

    @Override
    public void close() {
      producer.close();
    }
  }

  /** Produces the population and the measured stream, {@code total} events in all. */
  static void produceAll(Events events, long population, long total, PrintStream log) {
    ProgressBar bar = new ProgressBar(log, "producing", total);
    long t0 = System.nanoTime();
    events.produce(total, bar);
    events.flush();
    bar.finish(String.format(Locale.ROOT, "produced %d interactions (%d population, %d measured stream) in %.1f s",
        total, population, total - population, (System.nanoTime() - t0) / 1e9));
  }

  private static KafkaProducer<String, byte[]> producer(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
  }

  // ---- the job ----

  /** A submitted job with its REST endpoint. */
  record Job(JobClient client, Rest rest, String id, int dim, long submittedNanos) {
    static Job start(String bootstrap, Path checkpoints, int parallelism) throws Exception {
      int port = freePort();
      StreamTrainMain.Args args = StreamTrainMain.Args.parse(new String[] {"--bootstrap", bootstrap,
          "--checkpoint-dir", checkpoints.toString(), "--checkpoint-interval-ms", Long.toString(CHECKPOINT_INTERVAL_MS),
          "--parallelism", Integer.toString(parallelism), "--rest-port", Integer.toString(port)});
      Configuration conf = StreamTrainMain.configuration(args);
      monitoring(conf);
      StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
      TrainingJob.build(env, StreamTrainMain.source(bootstrap),
          StreamTrainMain.sink(bootstrap, StreamTrainMain.TRANSACTIONAL_ID_PREFIX), args.trainConfig());
      long t = System.nanoTime();
      JobClient client = env.executeAsync("relstream-stream-train");
      return new Job(client, new Rest(port), client.getJobID().toHexString(), args.trainConfig().trainer().dim(), t);
    }

    /** Where the job resumes from (empty: a fresh state), as StreamTrainMain's configuration finds it. */
    static Optional<String> resumesFrom(String bootstrap, Path checkpoints) {
      StreamTrainMain.Args args = StreamTrainMain.Args.parse(new String[] {"--bootstrap", bootstrap,
          "--checkpoint-dir", checkpoints.toString()});
      return StreamTrainMain.configuration(args).getOptional(StateRecoveryOptions.SAVEPOINT_PATH);
    }

    /** The trainer's records in, summed over its subtasks; -1 before the metrics are there. */
    long trainerRecordsIn() throws InterruptedException {
      return rest.trainerRecordsIn(id);
    }

    /** Cancels, waits for the job to end and the MiniCluster to close. */
    void cancel(PrintStream log) throws InterruptedException {
      try {
        client.cancel().get(60, TimeUnit.SECONDS);
      } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
        log.println("bench checkpoint: cancel: " + e.getMessage());
      }
      try {
        client.getJobExecutionResult().get(120, TimeUnit.SECONDS);
      } catch (ExecutionException expected) {
        // cancelled
      } catch (java.util.concurrent.TimeoutException e) {
        log.println("bench checkpoint: the job did not end within 120 s of its cancellation");
      }
      rest.awaitClosed(60_000);
    }
  }

  /** REST settings that change only what Flink reports (see the class comment). */
  static void monitoring(Configuration conf) {
    conf.set(MetricOptions.METRIC_FETCHER_UPDATE_INTERVAL, Duration.ofMillis(POLL_MS));
    conf.set(WebOptions.CHECKPOINTS_HISTORY_SIZE, 10_000);
    conf.set(RestOptions.CACHE_CHECKPOINT_STATISTICS_TIMEOUT, Duration.ofMillis(100));
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /**
   * A drain: from submission to the trainer's first record (ms; null: none within the cap) and whether the
   * whole population was drained within the cap.
   */
  record Drain(Long firstRecordMs, boolean complete) {}

  /** Waits until the trainer has taken in {@code population} records (at most {@code capSeconds}). */
  static Drain drain(Job job, long population, long capSeconds, PrintStream log) throws InterruptedException {
    long t0 = System.nanoTime();
    long deadline0 = job.submittedNanos() + TimeUnit.SECONDS.toNanos(capSeconds);
    while (job.trainerRecordsIn() <= 0 && System.nanoTime() < deadline0) {
      Thread.sleep(POLL_MS);
    }
    Long first = job.trainerRecordsIn() > 0 ? (System.nanoTime() - job.submittedNanos()) / 1_000_000 : null;
    log.println("started: the trainer's first record " + first + " ms after submission");
    ProgressBar bar = new ProgressBar(log, "draining", population);
    long deadline = t0 + TimeUnit.SECONDS.toNanos(capSeconds);
    long shown = 0;
    long seen = 0;
    long prevN = 0;
    long prevAt = t0;
    String rate = "";
    while (System.nanoTime() < deadline) {
      seen = Math.max(seen, job.trainerRecordsIn());
      long now = System.nanoTime();
      if (seen > shown) {
        if (now - prevAt > 2_000_000_000L) {
          rate = Math.round((seen - prevN) / ((now - prevAt) / 1e9)) + " ev/s";
          prevN = seen;
          prevAt = now;
        }
        long add = Math.min(seen, population) - shown;
        bar.advance(add, rate);
        shown += add;
      }
      if (seen >= population) {
        bar.finish(String.format(Locale.ROOT, "drained the population in %.1f s", (now - t0) / 1e9));
        return new Drain(first, true);
      }
      Thread.sleep(250);
    }
    bar.finish(String.format(Locale.ROOT, "drain capped at %d s: %d of %d population events in the trainer",
        capSeconds, seen, population));
    return new Drain(first, false);
  }

  /** The measured phase: its wall-clock bounds and the trainer's records in during it. */
  record Window(long startEpochMs, long endEpochMs, double seconds, long events, long toppedUp) {}

  static Window measured(Job job, Events stream, int seconds, PrintStream log) throws InterruptedException {
    long c0 = job.trainerRecordsIn();
    long t0 = System.nanoTime();
    long e0 = System.currentTimeMillis();
    long end = t0 + TimeUnit.SECONDS.toNanos(seconds);
    ProgressBar bar = new ProgressBar(log, "measuring", seconds);
    long endN = c0;
    long endT = t0;
    long shown = 0;
    long toppedUp = 0;
    long total = stream.produced();
    while (endT < end) {
      Thread.sleep(250);
      long n = job.trainerRecordsIn();
      long t = System.nanoTime();
      if (total - n < TOP_UP_LEAD) {
        // the job outruns the pre-produced stream (small models): produce more while it runs
        stream.produce(TOP_UP_LEAD, null);
        toppedUp += TOP_UP_LEAD;
        total = stream.produced();
      }
      if (n >= total) {
        // the measured stream ran out: end at the last poll that had not seen it all (if any)
        if (endT == t0) {
          endN = n;
          endT = t;
        }
        break;
      }
      endN = n;
      endT = t;
      long s = Math.min(seconds, (t - t0) / 1_000_000_000L);
      if (s > shown) {
        bar.advance(s - shown, Math.round((n - c0) / ((t - t0) / 1e9)) + " ev/s");
        shown = s;
      }
    }
    double secs = (endT - t0) / 1e9;
    Window w = new Window(e0, e0 + Math.round(secs * 1000), secs, endN - c0, toppedUp);
    bar.finish(String.format(Locale.ROOT, "measured %d events in %.1f s%s%s", w.events(), secs,
        endN >= total || endT < end ? " (the measured stream ran out)" : "",
        toppedUp > 0 ? ", " + toppedUp + " more events produced meanwhile" : ""));
    return w;
  }

  /** The completed checkpoints of {@code stats} whose completion lies in [from, to] (epoch ms), by id. */
  static List<JsonNode> completedIn(JsonNode stats, long from, long to) {
    List<JsonNode> out = new ArrayList<>();
    if (stats == null || !stats.has("history")) {
      return out;
    }
    for (JsonNode c : stats.get("history")) {
      if (!"COMPLETED".equals(c.path("status").asText())) {
        continue;
      }
      long at = c.path("latest_ack_timestamp").asLong();
      if (at >= from && at <= to) {
        out.add(c);
      }
    }
    out.sort(Comparator.comparingLong(c -> c.get("id").asLong()));
    return out;
  }

  /** A restore's time (null: capped) and the checkpoint it restored. */
  record Restore(Long ms, Long checkpointId) {}

  static Restore restore(String bootstrap, Path checkpoints, int parallelism, long capSeconds, PrintStream log)
      throws Exception {
    Optional<String> from = Job.resumesFrom(bootstrap, checkpoints);
    if (from.isEmpty()) {
      throw new IllegalStateException("no retained checkpoint under " + checkpoints + " to restore from");
    }
    log.println("restoring from " + from.get());
    Job job = Job.start(bootstrap, checkpoints, parallelism);
    try {
      long deadline = job.submittedNanos() + TimeUnit.SECONDS.toNanos(capSeconds);
      Long ms = null;
      while (System.nanoTime() < deadline) {
        if (job.trainerRecordsIn() > 0) {
          ms = (System.nanoTime() - job.submittedNanos()) / 1_000_000;
          break;
        }
        Thread.sleep(POLL_MS);
      }
      if (ms == null) {
        log.println("restore capped at " + capSeconds + " s: the restored trainer took in no record");
      } else {
        log.println("restored: the trainer's first record " + ms + " ms after submission");
      }
      Long id = null;
      JsonNode stats = job.rest.get("/jobs/" + job.id() + "/checkpoints");
      JsonNode restored = stats == null ? null : stats.path("latest").path("restored");
      if (restored != null && restored.has("id")) {
        id = restored.get("id").asLong();
      }
      return new Restore(ms, id);
    } finally {
      job.cancel(log);
    }
  }

  // ---- Flink's REST API ----

  /** GETs on the MiniCluster's REST endpoint (127.0.0.1). */
  static final class Rest {
    private final int port;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private String trainerVertex;
    private List<String> trainerMetrics;

    Rest(int port) {
      this.port = port;
    }

    /** The parsed body of a 200 answer, else null (not up yet, not found). */
    JsonNode get(String path) throws InterruptedException {
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
      } catch (IOException e) {
        return null;
      }
    }

    /** The trainer operator's numRecordsIn summed over its subtasks; -1 while not reported yet. */
    long trainerRecordsIn(String jobId) throws InterruptedException {
      if (trainerMetrics == null && !findTrainer(jobId)) {
        return -1;
      }
      JsonNode values = get("/jobs/" + jobId + "/vertices/" + trainerVertex + "/metrics?get="
          + String.join(",", trainerMetrics));
      if (values == null || values.size() == 0) {
        return -1;
      }
      long sum = 0;
      for (JsonNode v : values) {
        sum += (long) Double.parseDouble(v.get("value").asText());
      }
      return sum;
    }

    private boolean findTrainer(String jobId) throws InterruptedException {
      JsonNode job = get("/jobs/" + jobId);
      if (job == null || !job.has("vertices")) {
        return false;
      }
      for (JsonNode v : job.get("vertices")) {
        String vid = v.get("id").asText();
        JsonNode list = get("/jobs/" + jobId + "/vertices/" + vid + "/metrics");
        if (list == null) {
          continue;
        }
        List<String> ids = new ArrayList<>();
        for (JsonNode m : list) {
          String id = m.get("id").asText();
          if (TRAINER_RECORDS_IN.matcher(id).matches()) {
            ids.add(id);
          }
        }
        if (!ids.isEmpty()) {
          trainerVertex = vid;
          trainerMetrics = ids;
          return true;
        }
      }
      return false;
    }

    /** Waits until nothing listens on the port any more (the MiniCluster closed), at most {@code ms}. */
    void awaitClosed(long ms) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
      while (System.nanoTime() < deadline) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
          Thread.sleep(100);
        } catch (IOException closed) {
          return;
        }
      }
    }
  }

  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException | UncheckedIOException e) {
      System.err.println("bench checkpoint: could not remove " + dir + ": " + e.getMessage());
    }
  }
}
