package io.relstream.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relstream.schemas.Codecs;
import io.relstream.schemas.Topics;
import io.relstream.schemas.avro.ModelUpdate;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * {@code relstream bench pipeline}: starts the embedded stack on a fresh work directory and, for a
 * fixed time, posts synthetic impressions and clicks over HTTP as fast as the collector takes them.
 * It reports
 * <ul>
 *   <li>the HTTP ingest rate (events the collector acknowledged per second);
 *   <li>the end-to-end rate: events whose timestamp the published model has reached
 *       ({@code ModelUpdate.timestamp}, read committed from {@code model-updates}) per second of the
 *       run;
 *   <li>freshness: for probe users that did not exist before, the time from posting their first
 *       click until {@code /recommend} answers with {@code "fallback": false}, i.e. until the model
 *       version that includes the click is served; p50 and p99.
 * </ul>
 */
public final class BenchPipeline {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int USERS = 20_000;
  private static final int ITEMS = 1_000;
  private static final int PER_POST = 1_000;
  /** POSTs answered 503 (backpressure) during a run. */
  private static final AtomicLong REFUSED_503 = new AtomicLong();

  private BenchPipeline() {}

  public static void main(String[] args) throws Exception {
    int seconds = 60;
    long checkpointMs = 2_000;
    int senders = 2;
    int rate = 0;
    String component = "all";
    boolean json = false;
    long events = 300_000;
    long joinWindowMs = 1_800_000;
    try {
      for (int k = 0; k < args.length; k++) {
        switch (args[k]) {
          case "--seconds" -> seconds = Integer.parseInt(args[++k]);
          case "--checkpoint-interval-ms" -> checkpointMs = Long.parseLong(args[++k]);
          case "--senders" -> senders = Integer.parseInt(args[++k]);
          case "--rate" -> rate = Integer.parseInt(args[++k]);
          case "--component" -> component = args[++k];
          case "--json" -> json = true;
          case "--events" -> events = Long.parseLong(args[++k]);
          case "--join-window-ms" -> joinWindowMs = Long.parseLong(args[++k]);
          default -> throw new IllegalArgumentException("unknown option " + args[k]);
        }
      }
      if (!List.of("all", "collector", "ingest", "train").contains(component)) {
        throw new IllegalArgumentException("--component must be all, collector, ingest or train, got '" + component + "'");
      }
      if (seconds < 1 || seconds > 3600 || events < 1000 || joinWindowMs < 1) {
        throw new IllegalArgumentException("--seconds in 1..3600, --events >= 1000, --join-window-ms >= 1");
      }
    } catch (ArrayIndexOutOfBoundsException | IllegalArgumentException e) {
      System.err.println("relstream bench pipeline: error: " + (e instanceof ArrayIndexOutOfBoundsException
          ? "an option needs a value" : e.getMessage()) + " (options: --component all|collector|ingest|train"
          + " --seconds N --events N --join-window-ms N --checkpoint-interval-ms N --senders N --rate EVENTS_PER_S"
          + " --json)");
      System.exit(2);
    }
    Path home = Path.of(System.getProperty("relstream.home", ".")).toAbsolutePath().normalize();
    Recovery.deleteAbandonedTempDirs("relstream-bench-");
    Path work = Files.createTempDirectory("relstream-bench-");
    Recovery.claimTempDir(work);
    // the work directory goes on any exit but kill -9 (then the children still die with this JVM, and
    // the next bench removes the directory: see Recovery.deleteAbandonedTempDirs)
    Stack[] running = new Stack[1];
    Thread cleanup = new Thread(() -> {
      Stack s = running[0];
      if (s != null) s.close();
      Recovery.deleteTree(work);
    }, "bench-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    System.out.printf(Locale.ROOT, "bench pipeline: %d s of load, %d sender threads, rate %s, checkpoint interval"
            + " %d ms, %d cores; work dir %s%n", seconds, senders, rate > 0 ? rate + " events/s" : "unlimited",
        checkpointMs, Runtime.getRuntime().availableProcessors(), work);
    if (!component.equals("all")) {
      try {
        Map<String, Object> r = BenchComponent.run(component, home, work, seconds, events, joinWindowMs, checkpointMs,
            System.out);
        printFigures(r, json);
      } finally {
        Recovery.deleteTree(work);
      }
      return;
    }
    try (Stack stack = Stack.start(home, work, 0, List.of("--join-window-ms", String.valueOf(joinWindowMs)),
        List.of("--checkpoint-interval-ms", String.valueOf(checkpointMs)), System.out)) {
      running[0] = stack;
      Map<String, Object> r = run(stack, seconds, senders, checkpointMs, rate);
      r.put("joinWindowMs", joinWindowMs);
      if (json) {
        printFigures(r, true);
      }
    } finally {
      running[0] = null;
      Recovery.deleteTree(work);
    }
  }

  /** CPU ticks of every child of the stack (broker, ingest, stream-train, serving). */
  private static long cpuTicks(Stack stack) {
    long t = 0;
    for (String name : List.of("kafka", "ingest", "stream-train", "serving")) {
      t += BenchComponent.ticks(stack.child(name));
    }
    return t;
  }

  /** One run's figures as one JSON line ({@code --json}), else as aligned text. */
  static void printFigures(Map<String, Object> r, boolean json) throws IOException {
    if (json) {
      System.out.println(JSON.writeValueAsString(r));
      return;
    }
    r.forEach((k, v) -> System.out.printf(Locale.ROOT, "%-28s %s%n", k, v == null ? "-" : v));
  }

  static Map<String, Object> run(Stack stack, int seconds, int senders, long checkpointMs, int rate) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    String base = stack.baseUrl();
    AtomicBoolean go = new AtomicBoolean(true);
    AtomicLong accepted = new AtomicLong();
    // (send time -> cumulative events) samples, to count how many events the model has reached
    ConcurrentLinkedQueue<long[]> sent = new ConcurrentLinkedQueue<>();
    AtomicLong modelTimestamp = new AtomicLong(Long.MIN_VALUE);
    AtomicLong modelVersion = new AtomicLong(-1);
    Thread watcher = new Thread(() -> watchModel(stack.bootstrap, go, modelTimestamp, modelVersion), "model-watch");
    watcher.setDaemon(true);
    watcher.start();
    AtomicLong interactions = new AtomicLong();
    AtomicLong interactionsTimestamp = new AtomicLong(Long.MIN_VALUE);
    Thread ingestWatcher = new Thread(() -> watchInteractions(stack.bootstrap, go, interactions,
        interactionsTimestamp), "interactions-watch");
    ingestWatcher.setDaemon(true);
    ingestWatcher.start();

    List<Thread> threads = new ArrayList<>();
    long cpu0 = cpuTicks(stack);
    long start = System.currentTimeMillis();
    long end = start + seconds * 1000L;
    for (int s = 0; s < senders; s++) {
      final int id = s;
      final double perSender = rate > 0 ? (double) rate / senders : 0;
      Thread t = new Thread(() -> send(http, base, id, end, accepted, sent, perSender), "sender-" + s);
      t.start();
      threads.add(t);
    }
    List<Long> freshness = new ArrayList<>();
    int probes = 0;
    while (System.currentTimeMillis() < end - 5_000) {
      long f = probe(http, base, "probe-" + probes++, end + 60_000);
      if (f >= 0) freshness.add(f);
      System.err.printf(Locale.ROOT, "\r%3.0f%% accepted %d events, model version %d, %d probes  ",
          100.0 * (System.currentTimeMillis() - start) / (end - start), accepted.get(), modelVersion.get(), probes);
    }
    for (Thread t : threads) t.join();
    long loadEnd = System.currentTimeMillis();
    long cpu = cpuTicks(stack) - cpu0;
    long reachedAtEnd = countReached(sent, modelTimestamp.get());
    long joinedAtEnd = countReached(sent, interactionsTimestamp.get());
    long interactionsAtEnd = interactions.get();
    // let the pipeline drain for up to 60 s to report the lag
    long drainDeadline = System.currentTimeMillis() + 60_000;
    while (countReached(sent, modelTimestamp.get()) < accepted.get() && System.currentTimeMillis() < drainDeadline) {
      Thread.sleep(200);
    }
    long drained = System.currentTimeMillis() - loadEnd;
    go.set(false);
    System.err.println();
    double window = (loadEnd - start) / 1000.0;
    long[] f = freshness.stream().mapToLong(Long::longValue).sorted().toArray();
    System.out.printf(Locale.ROOT, "%-40s %12.0f%n", "HTTP ingest (events/s)", accepted.get() / window);
    System.out.printf(Locale.ROOT, "%-40s %12.0f%n", "through ingest by load end (events/s)", joinedAtEnd / window);
    System.out.printf(Locale.ROOT, "%-40s %12.0f%n", "interactions emitted (records/s)", interactionsAtEnd / window);
    System.out.printf(Locale.ROOT, "%-40s %12.0f%n", "end to end, in the model by load end (events/s)",
        reachedAtEnd / window);
    System.out.printf(Locale.ROOT, "%-40s %12d ms%n", "drain after load (all events in the model)", drained);
    System.out.printf(Locale.ROOT, "%-40s %12s%n", "freshness p50 / p99 (" + f.length + " probes)",
        f.length == 0 ? "-" : pct(f, 0.50) + " / " + pct(f, 0.99) + " ms");
    System.out.printf(Locale.ROOT, "%-40s %12d ms%n", "checkpoint interval", checkpointMs);
    System.out.printf(Locale.ROOT, "%-40s %12d%n", "model versions published", modelVersion.get());
    System.out.printf(Locale.ROOT, "%-40s %12d%n", "POSTs answered 503 (backpressure)", REFUSED_503.get());
    Map<String, Object> m = BenchComponent.figures("all", window, Math.max(1, reachedAtEnd), null, cpu, null);
    m.put("rate", rate > 0 ? rate : "unlimited");
    m.put("eventsPerSecond", Math.round(reachedAtEnd / window));
    m.put("httpEventsPerSecond", Math.round(accepted.get() / window));
    m.put("ingestEventsPerSecond", Math.round(joinedAtEnd / window));
    m.put("endToEndEventsPerSecond", Math.round(reachedAtEnd / window));
    m.put("freshnessP50Ms", f.length == 0 ? null : Long.parseLong(pct(f, 0.50)));
    m.put("freshnessP99Ms", f.length == 0 ? null : Long.parseLong(pct(f, 0.99)));
    m.put("checkpointIntervalMs", checkpointMs);
    m.put("rejected503", REFUSED_503.get());
    return m;
  }

  private static String pct(long[] sorted, double q) {
    return String.valueOf(sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)]);
  }

  private static long countReached(ConcurrentLinkedQueue<long[]> sent, long modelTs) {
    long n = 0;
    for (long[] s : sent) {
      if (s[0] <= modelTs) n = Math.max(n, s[1]);
    }
    return n;
  }

  private static void send(HttpClient http, String base, int id, long end, AtomicLong accepted,
      ConcurrentLinkedQueue<long[]> sent, double perSecond) {
    SplittableRandom rng = new SplittableRandom(id);
    long seq = 0;
    long started = System.currentTimeMillis();
    long posted = 0;
    int perPost = perSecond > 0 ? (int) Math.max(1, Math.min(PER_POST, perSecond / 10)) : PER_POST;
    while (System.currentTimeMillis() < end) {
      if (perSecond > 0) {
        long due = started + (long) (posted * 1000 / perSecond);
        long wait = due - System.currentTimeMillis();
        if (wait > 0) {
          try {
            Thread.sleep(wait);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
      StringBuilder body = new StringBuilder();
      long now = System.currentTimeMillis();
      int n = 0;
      while (n < perPost) {
        int u = rng.nextInt(USERS);
        int i = (int) Math.min(ITEMS - 1, Math.floor(Math.pow(rng.nextDouble(), 2.5) * ITEMS));
        String e = "s" + id + "-" + seq++;
        body.append(DatasetEvents.impression(e + "i", "u" + u, "i" + i, now, e, 1 + rng.nextInt(3), null)).append('\n');
        n++;
        if ((u + i) % 7 == 0) {
          body.append(DatasetEvents.click(e + "c", "u" + u, "i" + i, now, e)).append('\n');
          n++;
        }
      }
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/events"))
            .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
            HttpResponse.BodyHandlers.ofString());
        posted += n;
        if (r.statusCode() == 202) {
          long total = accepted.addAndGet(JSON.readTree(r.body()).path("accepted").asLong());
          sent.add(new long[] {now, total});
        } else if (r.statusCode() == 503) {
          // backpressure (or a restarting collector): wait as asked, capped at what is left of the run
          REFUSED_503.incrementAndGet();
          Thread.sleep(Math.max(0, Math.min(RetryAfter.millis(r, 10), end - System.currentTimeMillis())));
        }
      } catch (IOException e) {
        // counted as not accepted
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Posts a first click for a new user and waits until /recommend serves a model row for it. */
  private static long probe(HttpClient http, String base, String user, long deadline) throws Exception {
    long now = System.currentTimeMillis();
    String body = DatasetEvents.impression(user + "-i", user, "i1", now, user, 1, null) + "\n"
        + DatasetEvents.click(user + "-c", user, "i1", now, user) + "\n";
    long t0 = System.nanoTime();
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/events"))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() == 503) {
      Thread.sleep(RetryAfter.millis(r, 10));
      return -1;
    }
    if (r.statusCode() != 202) return -1;
    while (System.currentTimeMillis() < deadline) {
      HttpResponse<String> q = http.send(HttpRequest.newBuilder(URI.create(base + "/recommend/" + user + "?k=1"))
          .build(), HttpResponse.BodyHandlers.ofString());
      if (q.statusCode() == 200) {
        JsonNode a = JSON.readTree(q.body());
        if (!a.path("fallback").asBoolean(true)) {
          return (System.nanoTime() - t0) / 1_000_000;
        }
      }
      Thread.sleep(25);
    }
    return -1;
  }

  private static void watchInteractions(String bootstrap, AtomicBoolean go, AtomicLong count, AtomicLong ts) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(Topics.INTERACTIONS).stream()
          .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      while (go.get()) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          count.incrementAndGet();
          ts.accumulateAndGet(Codecs.INTERACTION.decode(r.value()).getTimestamp(), Math::max);
        }
      }
    }
  }

  private static void watchModel(String bootstrap, AtomicBoolean go, AtomicLong modelTs, AtomicLong version) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(Topics.MODEL_UPDATES).stream()
          .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      while (go.get()) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          if (r.value() == null) {
            continue; // an erased user's tombstone
          }
          ModelUpdate u = Codecs.MODEL_UPDATE.decode(r.value());
          modelTs.accumulateAndGet(u.getTimestamp(), Math::max);
          version.accumulateAndGet(u.getModelVersion(), Math::max);
        }
      }
    }
  }
}
