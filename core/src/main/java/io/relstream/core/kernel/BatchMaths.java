package io.relstream.core.kernel;

import io.relstream.core.kernel.opencl.AparapiBatchMath;
import io.relstream.core.kernel.opencl.OpenCl;
import io.relstream.core.model.Adam;
import io.relstream.core.model.FactorModel;
import java.lang.System.Logger.Level;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Creates the batch-math implementation a user asked for, or picks the faster one by measurement
 * ({@link #choose}).
 */
public final class BatchMaths {
  private static final System.Logger LOG = System.getLogger("io.relstream.core.kernel");
  /** Rows of the tables {@link #choose} measures on: beyond the caches at d = 64 (about 21 MB). */
  static final int PROBE_USERS = 65_536;
  static final int PROBE_ITEMS = 16_384;

  private BatchMaths() {}

  /**
   * The measured choice of a path.
   *
   * @param path the faster path that ran
   * @param device the device it ran on
   * @param reason the measured rates and every path that was dropped, and why
   * @param rates pairs per second of each path measured, in measurement order
   */
  public record Choice(Path path, String device, String reason, Map<String, Double> rates) {}

  /**
   * Measures the plain-Java reference and, when OpenCL is usable, the Aparapi implementation on what a
   * streaming trainer does per batch (gradients of a batch of {@code batchSize} random pairs, a lazy
   * Adam step, the tables synced back to the model) on tables of 65,536 x 16,384 rows of {@code dim},
   * for about {@code budgetMillis} each, and returns the faster. A path that fails (no device, a kernel
   * that does not compile or did not run on OpenCL) is dropped with its reason, logged as a warning;
   * the choice is logged once per call.
   */
  public static Choice choose(int dim, int batchSize, Objective objective, Adam adam, long budgetMillis) {
    return choose(dim, batchSize, objective, adam, budgetMillis, OpenCl.available(), AparapiBatchMath::new);
  }

  /** {@link #choose} with the OpenCL probe and constructor given (tests). */
  static Choice choose(int dim, int batchSize, Objective objective, Adam adam, long budgetMillis,
      String openClUnavailable, Function<FactorModel, BatchMath> openCl) {
    Map<String, Double> rates = new LinkedHashMap<>();
    Map<String, String> devices = new LinkedHashMap<>();
    StringBuilder dropped = new StringBuilder();
    Batch batch = probeBatch(batchSize);
    measure("java", ScalarBatchMath::new, dim, batch, objective, adam, budgetMillis, rates, devices);
    if (openClUnavailable != null) {
      dropped.append("; dropped opencl: ").append(openClUnavailable);
    } else {
      try {
        measure("opencl", openCl, dim, batch, objective, adam, budgetMillis, rates, devices);
      } catch (RuntimeException e) {
        dropped.append("; dropped opencl: ").append(e.getMessage());
        LOG.log(Level.WARNING, "batch math: OpenCL dropped: {0}", e.getMessage());
      }
    }
    String best = "java";
    StringBuilder why = new StringBuilder("fastest measured:");
    for (Map.Entry<String, Double> e : rates.entrySet()) {
      if (e.getValue() > rates.get(best)) {
        best = e.getKey();
      }
      why.append(' ').append(e.getKey()).append('=')
          .append(String.format(Locale.ROOT, "%.3g", e.getValue())).append(" pairs/s");
    }
    why.append(dropped);
    Choice c = new Choice(best.equals("opencl") ? Path.OPENCL : Path.JAVA, devices.get(best), why.toString(),
        Map.copyOf(rates));
    LOG.log(Level.INFO, "batch math: {0} on {1} ({2})", best, c.device(), c.reason());
    return c;
  }

  private static void measure(String name, Function<FactorModel, BatchMath> create, int dim, Batch batch,
      Objective objective, Adam adam, long budgetMillis, Map<String, Double> rates, Map<String, String> devices) {
    FactorModel model = FactorModel.xavier(PROBE_USERS, PROBE_ITEMS, dim, 5);
    try (BatchMath math = create.apply(model)) {
      step(math, batch, objective, adam); // warm-up: JIT, kernel compilation, first copies
      if (name.equals("opencl") && !"opencl".equals(math.path())) {
        throw new IllegalStateException("the OpenCL batch math ran on " + math.device());
      }
      long pairs = 0;
      long t0 = System.nanoTime();
      long end = t0 + budgetMillis * 1_000_000L;
      do {
        step(math, batch, objective, adam);
        pairs += batch.size();
      } while (System.nanoTime() < end);
      rates.put(name, pairs / ((System.nanoTime() - t0) / 1e9));
      devices.put(name, math.device());
    }
  }

  private static void step(BatchMath math, Batch batch, Objective objective, Adam adam) {
    math.gradients(batch, objective);
    math.sparseAdamStep(adam);
    math.syncToModel();
  }

  private static Batch probeBatch(int size) {
    SplittableRandom rng = new SplittableRandom(17);
    Batch b = new Batch(Math.max(1, size));
    for (int k = 0; k < size; k++) {
      b.add(rng.nextInt(PROBE_USERS), rng.nextInt(PROBE_ITEMS), rng.nextInt(10) == 0 ? 1f : 0f,
          0.05f + 0.95f * rng.nextFloat());
    }
    return b;
  }

  /** Which implementation to use. */
  public enum Path {
    /** The plain-Java reference. */
    JAVA,
    /** Aparapi on the best OpenCL device; fails if there is none (never a silent Java fallback). */
    OPENCL;

    public static Path parse(String s) {
      switch (s.toLowerCase(Locale.ROOT)) {
        case "java":
        case "scalar":
          return JAVA;
        case "opencl":
        case "aparapi":
          return OPENCL;
        default:
          throw new IllegalArgumentException("unknown kernel path '" + s + "' (expected java or opencl)");
      }
    }
  }

  public static BatchMath create(Path path, FactorModel model) {
    return path == Path.OPENCL ? new AparapiBatchMath(model) : new ScalarBatchMath(model);
  }
}
