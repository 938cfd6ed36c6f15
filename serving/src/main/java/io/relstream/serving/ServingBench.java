package io.relstream.serving;

import io.relstream.core.topk.DebiasedPopularity;
import io.relstream.http.DiskFloor;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.apache.kafka.common.TopicPartition;

/**
 * {@code ./relstream bench serving [--quick] [--json] [--seconds S]}: serving's HTTP API on loopback under
 * an open-loop load, with model updates streaming in.
 *
 * <p>Per scenario (items x d, k, arrival rate, p99 target): a real RocksDB store filled with seeded random
 * factors (10,000 users, the items), serving's HTTP API ({@link HttpApi}, the scan path chosen at start-up
 * by {@link Scorer#selected}), and an updater that applies a batch of 200 item and 50 user rows every 200 ms
 * through the store's own apply path (synced RocksDB write, copy-on-write snapshot). The load generator sends
 * {@code GET /recommend/u?k=10} for seeded random users at fixed intended times t<sub>i</sub> = t<sub>0</sub> +
 * i / rate, whatever the answers do (open loop), and measures each latency from t<sub>i</sub>, not from the
 * actual send: a stall delays every request scheduled during it and shows in the tail (no coordinated
 * omission). Then the breaking-rate search: short runs at rate x 1.5, 2, 3, 4, 6, 8 until p99 passes the
 * target; {@code breakingRate} is the first rate that did (null: none up to the last tried).
 *
 * <p>One JSON object per scenario ({@code --json}) or a table row: items, d, rate (configured, requests/s),
 * k, p50Ms, p99Ms, p999Ms, errors, breakingRate, and targetP99Ms, achievedRate, path, device, meanBatch.
 */
public final class ServingBench {
  private static final int USERS = 10_000;
  private static final java.util.Set<String> REPORTED = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private ServingBench() {}

  record Scenario(int items, int dim, int rate, int k, double targetP99Ms) {}

  record Run(Histogram latency, long errors, double achieved) {
    double q(double p) {
      return latency.getTotalCount() == 0 ? Double.NaN : latency.getValueAtPercentile(p) / 1e6;
    }
  }

  public static void main(String[] args) throws Exception {
    boolean quick = false;
    boolean json = false;
    int seconds = -1;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> quick = true;
        case "--json" -> json = true;
        case "--seconds" -> seconds = Integer.parseInt(args[++i]);
        case "--help", "-h" -> {
          System.out.println("usage: relstream bench serving [--quick] [--json] [--seconds S]");
          return;
        }
        default -> {
          System.err.println("bench serving: unknown argument " + args[i]);
          System.exit(2);
        }
      }
    }
    int main = seconds > 0 ? seconds : quick ? 10 : 30;
    int probe = quick ? 3 : 6;
    List<Scenario> scenarios = List.of(new Scenario(100_000, 64, 1000, 10, 2.0),
        new Scenario(1_000_000, 64, 100, 10, 15.0));
    if (!json) {
      System.out.println("items      d  rate/s  k   p50 ms  p99 ms  p99.9 ms  errors  breakingRate  target  path");
    }
    for (Scenario s : scenarios) {
      Map<String, Object> r = run(s, main, probe);
      if (json) {
        System.out.println(new String(io.relstream.http.ApiResponse.json(200, r).body(),
            java.nio.charset.StandardCharsets.UTF_8));
      } else {
        System.out.printf(Locale.ROOT, "%-10d %-2d %-7d %-3d %-7.3f %-7.3f %-9.3f %-7d %-13s %-7s %s%n", s.items(),
            s.dim(), s.rate(), s.k(), r.get("p50Ms"), r.get("p99Ms"), r.get("p999Ms"), r.get("errors"),
            r.get("breakingRate"), s.targetP99Ms(), r.get("device"));
      }
      System.out.flush();
    }
    System.exit(0);
  }

  static Map<String, Object> run(Scenario s, int seconds, int probeSeconds) throws Exception {
    Path dir = Files.createTempDirectory("relstream-bench-serving");
    SplittableRandom rng = new SplittableRandom(42);
    try (ModelStore store = ModelStore.open(dir, new DebiasedPopularity(),
        t -> Scorer.selected(s.items(), s.dim(), 150))) {
      fill(store, s, rng);
      HttpApi api = new HttpApi(store, new Metrics(), new InetSocketAddress("127.0.0.1", 0), 64,
          () -> new UpdateConsumer.Snapshot("running", true, null, -1, 0, 0, System.currentTimeMillis(), -1, true,
              "caught up"), new DiskFloor(dir, 0));
      api.start();
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong updates = new AtomicLong();
      Thread updater = new Thread(() -> update(store, s, stop, updates), "bench-updater");
      updater.setDaemon(true);
      updater.start();
      ExecutorService exec = Executors.newFixedThreadPool(8);
      HttpClient client = HttpClient.newBuilder().executor(exec).version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5)).build();
      try {
        String base = "http://127.0.0.1:" + api.port() + "/recommend/u";
        load(client, base, s.k(), s.rate(), 2, 1); // warm-up (JIT, connections)
        long before = updates.get();
        long t0 = System.nanoTime();
        Run main = load(client, base, s.k(), s.rate(), seconds, 2);
        double updatesPerS = (updates.get() - before) / ((System.nanoTime() - t0) / 1e9);
        Integer breaking = null;
        double tried = 0;
        for (double f : new double[] {1.5, 2, 3, 4, 6, 8}) {
          int rate = (int) Math.round(s.rate() * f);
          tried = rate;
          Run r = load(client, base, s.k(), rate, probeSeconds, 3 + (long) f);
          if (r.q(99) > s.targetP99Ms() || r.errors() > 0) {
            breaking = rate;
            break;
          }
        }
        if (main.q(99) > s.targetP99Ms()) {
          breaking = s.rate(); // the configured rate already passes the target
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("items", s.items());
        out.put("d", s.dim());
        out.put("rate", s.rate());
        out.put("k", s.k());
        out.put("p50Ms", round(main.q(50)));
        out.put("p99Ms", round(main.q(99)));
        out.put("p999Ms", round(main.q(99.9)));
        out.put("errors", main.errors());
        out.put("breakingRate", breaking);
        out.put("breakingRateSearchedTo", (int) tried);
        out.put("targetP99Ms", s.targetP99Ms());
        out.put("achievedRate", round(main.achieved()));
        out.put("seconds", seconds);
        out.put("requests", main.latency().getTotalCount());
        out.put("updatedRowsPerSecond", Math.round(updatesPerS));
        out.put("path", store.scan().path());
        out.put("device", store.scan().device());
        out.put("meanBatch", store.scorer().scans() == 0 ? 0
            : round((double) store.scorer().scannedQueries() / store.scorer().scans()));
        out.put("selection", store.scorer().reason());
        return out;
      } finally {
        stop.set(true);
        updater.join(5000);
        api.close();
        exec.shutdownNow();
      }
    } finally {
      deleteTree(dir);
    }
  }

  private static double round(double v) {
    return Double.isNaN(v) ? v : Math.round(v * 1000) / 1000.0;
  }

  /** Seeded random factors: items and USERS users, a few clicks per user. */
  private static void fill(ModelStore store, Scenario s, SplittableRandom rng) throws Exception {
    TopicPartition tp = new TopicPartition("model-updates", 0);
    long offset = 0;
    for (int first = 0; first < s.items(); first += 20_000) {
      ModelStore.Batch b = store.newBatch();
      for (int i = first; i < Math.min(s.items(), first + 20_000); i++) {
        b.putItem("i" + i, vector(rng, s.dim()), 0.01 + 0.99 * rng.nextDouble(), (double) rng.nextInt(100), 1,
            System.currentTimeMillis());
      }
      b.consumed(tp, offset++);
      store.apply(b);
    }
    ModelStore.Batch b = store.newBatch();
    for (int u = 0; u < USERS; u++) {
      b.putUser("u" + u, vector(rng, s.dim()), 1, System.currentTimeMillis());
      for (int c = 0; c < 5; c++) {
        b.addClick("u" + u, "i" + rng.nextInt(s.items()), 1);
      }
    }
    b.consumed(tp, offset);
    store.apply(b);
  }

  private static float[] vector(SplittableRandom rng, int dim) {
    float[] v = new float[dim];
    for (int d = 0; d < dim; d++) {
      v[d] = (float) (rng.nextGaussian() * 0.3);
    }
    return v;
  }

  /** Every 200 ms a batch of 200 item rows and 50 user rows at the next model version, until stopped. */
  private static void update(ModelStore store, Scenario s, AtomicBoolean stop, AtomicLong rows) {
    SplittableRandom rng = new SplittableRandom(7);
    TopicPartition tp = new TopicPartition("model-updates", 1);
    long version = 2;
    while (!stop.get()) {
      try {
        ModelStore.Batch b = store.newBatch();
        for (int j = 0; j < 200; j++) {
          b.putItem("i" + rng.nextInt(s.items()), vector(rng, s.dim()), 0.01 + 0.99 * rng.nextDouble(),
              (double) rng.nextInt(100), version, System.currentTimeMillis());
        }
        for (int j = 0; j < 50; j++) {
          b.putUser("u" + rng.nextInt(USERS), vector(rng, s.dim()), version, System.currentTimeMillis());
        }
        b.consumed(tp, version);
        store.apply(b);
        rows.addAndGet(250);
        version++;
        Thread.sleep(200);
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        if (!stop.get()) {
          System.err.println("bench serving: update failed: " + e);
        }
        return;
      }
    }
  }

  /**
   * Open-loop load: request i is due at t0 + i / rate and sent then whatever earlier answers did; its
   * latency counts from that due time.
   */
  static Run load(HttpClient client, String base, int k, int rate, int seconds, long seed) throws Exception {
    Histogram h = new Histogram(3_600_000_000_000L, 3);
    AtomicLong errors = new AtomicLong();
    SplittableRandom rng = new SplittableRandom(seed);
    long period = 1_000_000_000L / rate;
    int n = rate * seconds;
    java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(n);
    long t0 = System.nanoTime() + 10_000_000;
    for (int i = 0; i < n; i++) {
      long due = t0 + i * period;
      long wait;
      while ((wait = due - System.nanoTime()) > 0) {
        LockSupport.parkNanos(Math.min(wait, 200_000));
      }
      HttpRequest req = HttpRequest.newBuilder(URI.create(base + rng.nextInt(USERS) + "?k=" + k))
          .timeout(Duration.ofSeconds(30)).build();
      client.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray()).whenComplete((r, e) -> {
        long latency = System.nanoTime() - due;
        synchronized (h) {
          h.recordValue(Math.max(1, Math.min(latency, h.getHighestTrackableValue())));
        }
        if (e != null || r.statusCode() != 200) {
          errors.incrementAndGet();
          String kind = e != null ? e.getClass().getSimpleName() : "HTTP " + r.statusCode();
          if (REPORTED.add(kind)) {
            System.err.println("bench serving: first error of kind " + kind + (e != null ? ": " + e.getMessage()
                : ": " + new String(r.body(), java.nio.charset.StandardCharsets.UTF_8)));
          }
        }
        done.countDown();
      });
    }
    done.await(seconds + 60L, TimeUnit.SECONDS);
    double elapsed = (System.nanoTime() - t0) / 1e9;
    synchronized (h) {
      return new Run(h.copy(), errors.get() + done.getCount(), n / elapsed);
    }
  }

  private static void deleteTree(Path dir) {
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException e) {
      // a temp dir left behind is harmless
    }
  }
}
