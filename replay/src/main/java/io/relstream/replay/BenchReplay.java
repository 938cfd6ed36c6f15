package io.relstream.replay;

import io.relstream.core.progress.ProgressBar;
import io.relstream.core.data.Dataset;
import io.relstream.core.data.ImplicitFeedback;
import io.relstream.core.data.Ratings;
import io.relstream.core.kernel.BatchMaths;
import io.relstream.core.model.ModelConfig;
import io.relstream.core.train.TrainResult;
import io.relstream.core.train.Trainer;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * {@code relstream bench replay}: one Rel-MF training at the Yahoo! R3 shape (15,400 users x 1,000
 * items, 311,700 training ratings, dim 200, 301 steps of 32,768 pairs) on each kernel path, side by
 * side. The data is synthetic with Yahoo's shape: each user rates about 20 items drawn with a
 * power-law popularity, about a fifth of the ratings are &gt;= 4. Prints the median over repeats.
 */
public final class BenchReplay {
  private BenchReplay() {}

  public static void main(String[] args) {
    try {
      Args a = Args.parse(args, Set.of("steps", "repeats", "kernel", "dim"), Set.of("help"));
      if (a.has("help")) {
        System.out.println("usage: relstream bench replay [--steps 301] [--repeats 3] [--dim 200] "
            + "[--kernel java,opencl]");
        return;
      }
      int steps = a.getInt("steps", 301, 1, 100_000);
      int repeats = a.getInt("repeats", 3, 1, 100);
      int dim = a.getInt("dim", 200, 1, 4096);
      Set<BatchMaths.Path> paths = new LinkedHashSet<>();
      for (String p : a.get("kernel", "java,opencl").split(",")) {
        paths.add(BatchMaths.Path.parse(p.strip()));
      }
      run(steps, repeats, dim, paths);
    } catch (UsageException | IllegalArgumentException e) {
      System.err.println("relstream bench: error: " + e.getMessage());
      System.exit(2);
    }
  }

  static Dataset yahooShaped(long seed) {
    int users = 15_400;
    int items = 1_000;
    int ratings = 311_700;
    SplittableRandom rng = new SplittableRandom(seed);
    double[] cdf = new double[items];
    double sum = 0;
    for (int i = 0; i < items; i++) {
      sum += Math.pow(i + 1, -0.8);
      cdf[i] = sum;
    }
    int[] u = new int[ratings];
    int[] it = new int[ratings];
    byte[] r = new byte[ratings];
    for (int k = 0; k < ratings; k++) {
      u[k] = (int) ((long) k * users / ratings);
      int pos = Arrays.binarySearch(cdf, rng.nextDouble() * sum);
      it[k] = pos >= 0 ? pos : -pos - 1;
      r[k] = (byte) (rng.nextDouble() < 0.2 ? 4 + rng.nextInt(2) : 1 + rng.nextInt(3));
    }
    int testN = 54_000;
    int[] tu = new int[testN];
    int[] ti = new int[testN];
    byte[] tr = new byte[testN];
    for (int k = 0; k < testN; k++) {
      tu[k] = k / 10;
      ti[k] = rng.nextInt(items);
      tr[k] = (byte) (1 + rng.nextInt(5));
    }
    return new Dataset("yahoo-r3-shaped", users, items, new Ratings(u, it, r), new Ratings(tu, ti, tr));
  }

  static void run(int steps, int repeats, int dim, Set<BatchMaths.Path> paths) {
    ImplicitFeedback data = ImplicitFeedback.prepare(yahooShaped(7), 0.1, 12345);
    ModelConfig config = ModelConfig.preset("relmf").withSteps(steps).withDim(dim);
    System.out.printf(Locale.ROOT, "bench replay: Rel-MF at the Yahoo! R3 shape: %d users x %d items, "
            + "%d training ratings (%d clicks), dim %d, %d steps of %d pairs, %d repeats, max heap %d MiB, %d cores%n",
        data.numUsers, data.numItems, data.train.size(), data.positiveCount(), dim, steps,
        config.batchSize(), repeats, Runtime.getRuntime().maxMemory() >> 20,
        Runtime.getRuntime().availableProcessors());
    List<String[]> rows = new ArrayList<>();
    double javaMedian = Double.NaN;
    for (BatchMaths.Path path : paths) {
      double[] seconds = new double[repeats];
      String device = "?";
      boolean cl = false;
      try {
        Trainer.train(data, config.withSteps(Math.min(steps, 5)), 99, path, (s, n, l) -> {}); // warm-up
        for (int r = 0; r < repeats; r++) {
          ProgressBar bar = new ProgressBar(path.name().toLowerCase(Locale.ROOT) + " run " + (r + 1), steps);
          TrainResult t = Trainer.train(data, config, r, path, (s, n, l) -> bar.advance(1, ""));
          bar.finish(null);
          seconds[r] = t.seconds();
          device = t.device();
          cl = t.ranOnOpenCL();
        }
      } catch (RuntimeException e) {
        rows.add(new String[] {path.name().toLowerCase(Locale.ROOT), "-", "-", "-", "-",
            "unavailable: " + e.getMessage()});
        continue;
      }
      Arrays.sort(seconds);
      double median = seconds[repeats / 2];
      if (path == BatchMaths.Path.JAVA) javaMedian = median;
      rows.add(new String[] {path.name().toLowerCase(Locale.ROOT),
          String.format(Locale.ROOT, "%.2f", median),
          String.format(Locale.ROOT, "%.2f-%.2f", seconds[0], seconds[repeats - 1]),
          String.format(Locale.ROOT, "%.1f", (double) steps * config.batchSize() / median / 1e6),
          Double.isNaN(javaMedian) ? "-" : String.format(Locale.ROOT, "%.2fx", javaMedian / median),
          device + (cl ? " (OpenCL ran)" : "")});
    }
    System.out.printf(Locale.ROOT, "%-8s %10s %14s %14s %10s  %s%n", "path", "median s", "min-max s",
        "M pairs/s", "vs java", "device");
    for (String[] row : rows) {
      System.out.printf(Locale.ROOT, "%-8s %10s %14s %14s %10s  %s%n", (Object[]) row);
    }
    System.out.printf(Locale.ROOT, "peak heap used: %d MiB%n", peakHeapMiB());
  }

  private static long peakHeapMiB() {
    long sum = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
        sum += pool.getPeakUsage().getUsed();
      }
    }
    return sum >> 20;
  }
}
