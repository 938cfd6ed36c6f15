package io.relstream.core.kernel;

import io.relstream.core.kernel.opencl.AparapiBatchMath;
import io.relstream.core.kernel.opencl.OpenCl;
import io.relstream.core.model.Adam;
import io.relstream.core.model.FactorModel;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
    List<String> dropped = new ArrayList<>();
    Batch batch = Measured.randomBatch(PROBE_USERS, PROBE_ITEMS, batchSize, 17);
    measure("java", ScalarBatchMath::new, dim, batch, objective, adam, budgetMillis, rates, devices);
    if (openClUnavailable != null) {
      dropped.add("opencl: " + openClUnavailable);
    } else {
      try {
        measure("opencl", openCl, dim, batch, objective, adam, budgetMillis, rates, devices);
      } catch (RuntimeException e) {
        dropped.add("opencl: " + e.getMessage());
        LOG.log(Level.WARNING, "batch math: OpenCL dropped: {0}", e.getMessage());
      }
    }
    String best = Measured.fastest(rates);
    Choice c = new Choice(best.equals("opencl") ? Path.OPENCL : Path.JAVA, devices.get(best),
        Measured.reason(rates, dropped, "pairs/s"), Map.copyOf(rates));
    LOG.log(Level.INFO, "batch math: {0} on {1} ({2})", best, c.device(), c.reason());
    return c;
  }

  /** What a streaming trainer does per batch, timed; an "opencl" path must really have run there. */
  private static void measure(String name, Function<FactorModel, BatchMath> create, int dim, Batch batch,
      Objective objective, Adam adam, long budgetMillis, Map<String, Double> rates, Map<String, String> devices) {
    FactorModel model = FactorModel.xavier(PROBE_USERS, PROBE_ITEMS, dim, 5);
    try (BatchMath math = create.apply(model)) {
      double rate = Measured.rate(() -> {
        math.gradients(batch, objective);
        math.sparseAdamStep(adam);
        math.syncToModel();
      }, batch.size(), budgetMillis);
      if (name.equals("opencl") && !"opencl".equals(math.path())) {
        throw new IllegalStateException("the OpenCL batch math ran on " + math.device());
      }
      rates.put(name, rate);
      devices.put(name, math.device());
    }
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
