package io.relstream.bench;

import io.relstream.core.accel.Accel;
import io.relstream.core.accel.Conflicts;
import io.relstream.core.accel.KernelSelector;
import io.relstream.core.accel.PairTrainer;
import io.relstream.core.accel.RowAdamState;
import io.relstream.core.accel.StepRule;
import io.relstream.core.accel.TopKScorer;
import io.relstream.core.kernel.Batch;
import io.relstream.core.model.FactorModel;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The kernel benchmark behind {@code ./relstream bench kernels [--quick] [--json]}: training (SGD and
 * Adam) and top-k scoring on every path present (fast plain Java, each OpenCL device), side by side,
 * each also as a fraction of the copy bandwidth measured in the same run (host copy loop for Java, a
 * device copy kernel for OpenCL).
 *
 * <p>Training: tables of 1,000,000 users x 100,000 items, uniformly random pairs, batches of 65,536,
 * d = 32, 64, 128, 200 (--quick: 64); an SGD update moves 16 d + 16 bytes, an Adam update 48 d + 32.
 * Scoring: 1e5, 1e6, 1e7 items (--quick: 1e6) at d = 64, batches of 1 and 256 users, top-100.
 * Each figure is the median of timed segments after a warm-up. With both paths, the notes end with what
 * {@link KernelSelector} would pick at a service's start-up on this machine, and its metric.
 *
 * <p>With --json, stdout carries one JSON object per result and nothing else; notes go to stderr.
 * Options: --paths java,opencl  --dims 64,128  --items 1000000  --user-batches 1,256  --seconds 2
 * --no-hogwild.
 */
public final class KernelBench {

  /** Parsed options. */
  record Config(boolean quick, boolean json, Set<String> paths, int[] dims, int[] items, int[] userBatches,
      double seconds, boolean hogwild, int trainUsers, int trainItems, int batch, int k) {}

  private final Config config;
  private final PrintStream out = System.out;
  private final PrintStream note = System.err;
  private double hostBandwidth;
  private final List<Double> deviceBandwidth = new ArrayList<>();
  private List<String> devices = List.of();

  KernelBench(Config config) {
    this.config = config;
  }

  public static void main(String[] args) {
    new KernelBench(config(args)).run();
  }

  static Config config(String[] args) {
    boolean quick = false;
    boolean json = false;
    boolean hogwild = true;
    Set<String> paths = new LinkedHashSet<>(List.of("java", "opencl"));
    int[] dims = null;
    int[] items = null;
    int[] userBatches = {1, 256};
    double seconds = -1;
    for (int a = 0; a < args.length; a++) {
      switch (args[a]) {
        case "--quick": quick = true; break;
        case "--json": json = true; break;
        case "--no-hogwild": hogwild = false; break;
        case "--paths": paths = new LinkedHashSet<>(Arrays.asList(args[++a].split(","))); break;
        case "--dims": dims = ints(args[++a]); break;
        case "--items": items = ints(args[++a]); break;
        case "--user-batches": userBatches = ints(args[++a]); break;
        case "--seconds": seconds = Double.parseDouble(args[++a]); break;
        case "-h":
        case "--help":
          System.out.println("usage: KernelBench [--quick] [--json] [--paths java,opencl] [--dims 32,64]"
              + " [--items 100000,1000000] [--user-batches 1,256] [--seconds S] [--no-hogwild]");
          System.exit(0);
          break;
        default:
          throw new IllegalArgumentException("unknown option " + args[a]);
      }
    }
    if (dims == null) dims = quick ? new int[] {64} : new int[] {32, 64, 128, 200};
    if (items == null) items = quick ? new int[] {1_000_000} : new int[] {100_000, 1_000_000, 10_000_000};
    if (seconds < 0) seconds = quick ? 1.5 : 4;
    return new Config(quick, json, paths, dims, items, userBatches, seconds, hogwild, 1_000_000, 100_000,
        65_536, 100);
  }

  private static int[] ints(String csv) {
    return Arrays.stream(csv.split(",")).mapToInt(s -> (int) Double.parseDouble(s)).toArray();
  }

  void run() {
    long t0 = System.nanoTime();
    if (config.paths().contains("opencl")) {
      String why = Accel.openClUnavailable();
      if (why != null) {
        note.println("note: OpenCL path skipped: " + why);
      } else {
        devices = Accel.openClDevices();
      }
    }
    int copyFloats = config.quick() ? 1 << 25 : 1 << 26;
    hostBandwidth = Workloads.hostCopyBandwidth(copyFloats, 5);
    note.printf(Locale.ROOT, "host copy bandwidth: %.1f GB/s (copy loop, %d MiB per array, read + write)%n",
        hostBandwidth / 1e9, copyFloats / (1 << 18));
    for (int d = 0; d < devices.size(); d++) {
      double bw = Accel.deviceCopyBandwidth(d, copyFloats, 5);
      deviceBandwidth.add(bw);
      note.printf(Locale.ROOT, "device %d copy bandwidth: %.1f GB/s (%s)%n", d, bw / 1e9, devices.get(d));
    }
    for (int dim : config.dims()) {
      train(dim);
    }
    for (int n : config.items()) {
      score(n, 64);
    }
    if (config.hogwild() && !devices.isEmpty()) {
      hogwildTradeOff();
    }
    if (config.paths().contains("java") && config.paths().contains("opencl")) {
      startUpSelection();
    }
    note.printf(Locale.ROOT, "kernel benchmark done in %.0f s%n", (System.nanoTime() - t0) / 1e9);
  }

  // ------------------------------------------------------------------------- training

  private void train(int dim) {
    FactorModel model = Workloads.model(config.trainUsers(), config.trainItems(), dim, 1);
    Batch[] batches = Workloads.batches(config.quick() ? 8 : 16, config.batch(), config.trainUsers(),
        config.trainItems(), 2);
    Accel.BatchConflicts conflicts = Accel.conflicts(batches[0], model);
    note.printf(Locale.ROOT, "d=%d: a batch of %d has %.1f%% pairs sharing a row with an earlier pair, %d"
        + " conflict-free rounds%n", dim, config.batch(), 100 * conflicts.conflictingFraction(), conflicts.rounds());
    for (StepRule rule : List.of(StepRule.sgd(0.01f, 1e-4f), StepRule.adam(0.001f, 1e-4f))) {
      boolean adam = rule.optimizer() == StepRule.Optimizer.ADAM;
      RowAdamState state = adam ? new RowAdamState(model) : null;
      if (config.paths().contains("java")) {
        // side by side: the reference's float order (bit-identical), the Vector API, then all cores (pipelined blocks)
        try (PairTrainer t = Accel.exactJavaTrainer(model, state, rule, Workloads.OBJECTIVE)) {
          trainLine(t, rule, dim, batches, -1, "sequential");
        }
        try (PairTrainer t = Accel.javaTrainer(model, state, rule, Workloads.OBJECTIVE)) {
          trainLine(t, rule, dim, batches, -1, "sequential");
        }
        int threads = Runtime.getRuntime().availableProcessors();
        if (threads > 1) {
          try (PairTrainer t = Accel.parallelJavaTrainer(model, state, rule, Workloads.OBJECTIVE, threads)) {
            trainLine(t, rule, dim, batches, -1, "pipelined");
          }
        }
      }
      for (int d = 0; d < devices.size(); d++) {
        for (Conflicts mode : adam || !config.hogwild() ? List.of(Conflicts.ROUNDS)
            : List.of(Conflicts.ROUNDS, Conflicts.HOGWILD)) {
          try (PairTrainer t = Accel.openClTrainer(model, state, rule, Workloads.OBJECTIVE, d, mode,
              config.batch())) {
            trainLine(t, rule, dim, batches, d, mode == Conflicts.ROUNDS ? "rounds" : "hogwild");
          } catch (IllegalStateException e) {
            note.println("note: OpenCL training on " + devices.get(d) + " failed: " + e.getMessage());
          }
        }
      }
    }
  }

  private void trainLine(PairTrainer t, StepRule rule, int dim, Batch[] batches, int device, String mode) {
    int[] next = {0};
    Rate r = Rate.measure(() -> t.train(batches[next[0]++ % batches.length]), batches[0].size(),
        config.seconds());
    boolean adam = rule.optimizer() == StepRule.Optimizer.ADAM;
    double bytes = r.perSecond() * Workloads.bytesPerUpdate(adam, dim);
    double bw = device < 0 ? hostBandwidth : deviceBandwidth.get(device);
    String dev = device < 0 ? t.device() : Accel.openClDeviceName(device);
    emit("train", rule.optimizer().label(), t.path(), dev, t.ranOnOpenCL(), dim, config.trainItems(),
        config.batch(), r, bytes, bw, ",\"users\":" + config.trainUsers() + ",\"conflicts\":\"" + mode + "\"");
  }

  // ------------------------------------------------------------------------- scoring

  private void score(int numItems, int dim) {
    FactorModel model;
    try {
      model = Workloads.model(10_000, numItems, dim, 3);
    } catch (OutOfMemoryError e) {
      note.println("note: scoring over " + numItems + " items skipped: not enough heap (-Xmx)");
      return;
    }
    int[] largest = Workloads.users(Arrays.stream(config.userBatches()).max().orElse(1), 10_000, 4);
    if (config.paths().contains("java")) {
      try (TopKScorer s = Accel.javaScorer(model, Runtime.getRuntime().availableProcessors())) {
        scoreLines(s, model, largest, -1);
      } catch (OutOfMemoryError e) {
        note.println("note: Java scoring over " + numItems + " items skipped: not enough heap for the tiles");
      }
    }
    for (int d = 0; d < devices.size(); d++) {
      try (TopKScorer s = Accel.openClScorer(model, d)) {
        scoreLines(s, model, largest, d);
      } catch (IllegalStateException e) {
        note.println("note: OpenCL scoring on " + devices.get(d) + " failed: " + e.getMessage());
      }
    }
  }

  private void scoreLines(TopKScorer s, FactorModel model, int[] largest, int device) {
    int k = config.k();
    double msPerUser = -1;
    for (int b : config.userBatches()) {
      int[] users = Arrays.copyOf(largest, b);
      int[] items = new int[b * k];
      float[] scores = new float[b * k];
      if (msPerUser > 0 && msPerUser * b > 6000) {
        note.printf(Locale.ROOT, "note: scoring %d users on %s skipped: one call would take ~%.0f s%n", b,
            s.device(), msPerUser * b / 1000);
        continue;
      }
      Rate r = Rate.measure(() -> s.topK(users, k, null, items, scores), b, config.seconds());
      if (b == 1) {
        msPerUser = r.msPerCall();
      }
      double tableBytes = (double) model.numItems * model.dim * 4;
      double bytes = tableBytes / (r.msPerCall() / 1e3); // the item table streams once per call
      double bw = device < 0 ? hostBandwidth : deviceBandwidth.get(device);
      String dev = device < 0 ? s.device() : Accel.openClDeviceName(device);
      emit("score", null, s.path(), dev, s.ranOnOpenCL(), model.dim, model.numItems, b, r, bytes, bw,
          ",\"k\":" + k);
    }
  }

  // ------------------------------------------------------------------------- Hogwild trade-off

  /**
   * Hogwild against the sequential result on a small, heavily conflicting problem (20,000 users x
   * 2,000 items, d = 32, 10 batches of 65,536): relative table distance and held-out loss.
   */
  private void hogwildTradeOff() {
    FactorModel base = Workloads.model(20_000, 2_000, 32, 5);
    Batch[] batches = Workloads.batches(10, 65_536, 20_000, 2_000, 6);
    Batch heldOut = Workloads.batches(1, 65_536, 20_000, 2_000, 7)[0];
    StepRule rule = StepRule.sgd(0.05f, 1e-4f);
    FactorModel seq = base.copy();
    FactorModel rounds = base.copy();
    FactorModel hog = base.copy();
    try (PairTrainer a = Accel.javaTrainer(seq, null, rule, Workloads.OBJECTIVE);
        PairTrainer b = Accel.openClTrainer(rounds, null, rule, Workloads.OBJECTIVE, 0, Conflicts.ROUNDS, 65_536);
        PairTrainer c = Accel.openClTrainer(hog, null, rule, Workloads.OBJECTIVE, 0, Conflicts.HOGWILD, 65_536)) {
      for (Batch batch : batches) {
        a.train(batch);
        b.train(batch);
        c.train(batch);
      }
      b.syncToModel();
      c.syncToModel();
    } catch (IllegalStateException e) {
      note.println("note: Hogwild trade-off not measured: " + e.getMessage());
      return;
    }
    Accel.BatchConflicts conf = Accel.conflicts(batches[0], base);
    note.printf(Locale.ROOT, "hogwild trade-off on %s (20000 x 2000, d=32, 10 batches of 65536, %.0f%% of pairs"
        + " conflicting, %d rounds): table distance to sequential: rounds %.2e, hogwild %.2e; held-out loss:"
        + " start %.5f, sequential %.5f, rounds %.5f, hogwild %.5f%n", devices.get(0),
        100 * conf.conflictingFraction(), conf.rounds(), Workloads.relativeDistance(rounds, seq),
        Workloads.relativeDistance(hog, seq), Workloads.meanLoss(base, heldOut, Workloads.OBJECTIVE),
        Workloads.meanLoss(seq, heldOut, Workloads.OBJECTIVE), Workloads.meanLoss(rounds, heldOut, Workloads.OBJECTIVE),
        Workloads.meanLoss(hog, heldOut, Workloads.OBJECTIVE));
  }

  // ------------------------------------------------------------------------- start-up selection

  /**
   * What {@link KernelSelector} picks on this machine for the benchmark's shape (d = 64, SGD), as a
   * service would at start-up: the choice, the measured rates and any dropped candidate, and the metric.
   */
  private void startUpSelection() {
    KernelSelector.Selection s = KernelSelector.select(config.trainUsers(), config.trainItems(), 64,
        StepRule.sgd(0.01f, 1e-4f), Workloads.OBJECTIVE, 200);
    for (KernelSelector.Choice c : List.of(s.train(), s.score())) {
      note.println("start-up selection, " + c.kernel() + ": " + c.path() + " on " + c.device() + " ("
          + c.reason() + ")");
    }
    note.print(s.prometheus());
  }

  // ------------------------------------------------------------------------- output

  private void emit(String kernel, String optimizer, String path, String device, boolean ranOnOpenCl, int dim,
      int items, int batch, Rate r, double bytes, double bandwidth, String extra) {
    if (config.json()) {
      out.printf(Locale.ROOT, "{\"kernel\":\"%s\",\"optimizer\":%s,\"path\":\"%s\",\"device\":\"%s\","
          + "\"ranOnOpenCL\":%b,\"d\":%d,\"items\":%d,\"batch\":%d,\"perSecond\":%.1f,\"bytesPerSecond\":%.1f,"
          + "\"bandwidthFraction\":%.4f,\"msPerCall\":%.3f,\"copyBytesPerSecond\":%.1f%s}%n", kernel,
          optimizer == null ? "null" : "\"" + optimizer + "\"", path, jsonEscape(device), ranOnOpenCl, dim, items,
          batch, r.perSecond(), bytes, bytes / bandwidth, r.msPerCall(), bandwidth, extra);
    } else {
      out.printf(Locale.ROOT, "%-5s %-4s %-6s %-40s d=%-3d items=%-8d batch=%-6d %12.3e /s  %6.2f GB/s  %5.1f%%"
          + " of copy bw  %9.3f ms/call%n", kernel, optimizer == null ? "-" : optimizer, path, device, dim, items,
          batch, r.perSecond(), bytes / 1e9, 100 * bytes / bandwidth, r.msPerCall());
    }
    out.flush();
  }

  private static String jsonEscape(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  /** A measured rate: median of timed segments. */
  record Rate(double perSecond, double msPerCall) {
    /**
     * Runs {@code op} (worth {@code units}) for a warm-up of about a fifth of {@code seconds} (at least
     * one call), then in 5 segments of about a fifth each (at least one call each); returns the median.
     */
    static Rate measure(Runnable op, long units, double seconds) {
      long segment = (long) (seconds / 6 * 1e9);
      long end = System.nanoTime() + segment;
      do {
        op.run();
      } while (System.nanoTime() < end);
      double[] rates = new double[5];
      double[] ms = new double[5];
      for (int s = 0; s < rates.length; s++) {
        long t0 = System.nanoTime();
        long calls = 0;
        long now;
        do {
          op.run();
          calls++;
          now = System.nanoTime();
        } while (now - t0 < segment);
        rates[s] = calls * units / ((now - t0) / 1e9);
        ms[s] = (now - t0) / 1e6 / calls;
      }
      Arrays.sort(rates);
      Arrays.sort(ms);
      return new Rate(rates[2], ms[2]);
    }
  }
}
