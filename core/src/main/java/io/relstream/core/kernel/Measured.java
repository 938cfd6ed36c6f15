package io.relstream.core.kernel;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The start-up measurements shared by the path selectors ({@link BatchMaths#choose} and
 * {@code io.relstream.core.accel.KernelSelector}): a bounded rate, the fastest candidate, the logged
 * reason, and the synthetic batch they measure on.
 */
public final class Measured {
  private Measured() {}

  /**
   * Units per second of {@code call}, each call worth {@code unitsPerCall}: one warm-up call (JIT, kernel
   * compilation, first copies), then calls until about {@code budgetMillis} have passed (at least one).
   */
  public static double rate(Runnable call, long unitsPerCall, long budgetMillis) {
    call.run();
    long start = System.nanoTime();
    long end = start + budgetMillis * 1_000_000L;
    long units = 0;
    do {
      call.run();
      units += unitsPerCall;
    } while (System.nanoTime() < end);
    return units / ((System.nanoTime() - start) / 1e9);
  }

  /** The key with the highest rate; on a tie the earlier one (measurement order). */
  public static String fastest(Map<String, Double> rates) {
    String best = null;
    for (Map.Entry<String, Double> e : rates.entrySet()) {
      if (best == null || e.getValue() > rates.get(best)) {
        best = e.getKey();
      }
    }
    if (best == null) {
      throw new IllegalArgumentException("no rate measured");
    }
    return best;
  }

  /** "fastest measured: a=1.23e+06 unit b=...; dropped x: why; ...", the reason a choice logs. */
  public static String reason(Map<String, Double> rates, List<String> dropped, String unit) {
    StringBuilder why = new StringBuilder("fastest measured:");
    for (Map.Entry<String, Double> e : rates.entrySet()) {
      why.append(' ').append(e.getKey()).append('=')
          .append(String.format(Locale.ROOT, "%.3g", e.getValue())).append(' ').append(unit);
    }
    for (String d : dropped) {
      why.append("; dropped ").append(d);
    }
    return why.toString();
  }

  /** Uniformly random pairs over users x items, 10% clicks, &theta; uniform in [0.05, 1]. */
  public static Batch randomBatch(int users, int items, int size, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    Batch b = new Batch(Math.max(1, size));
    for (int k = 0; k < size; k++) {
      b.add(rng.nextInt(users), rng.nextInt(items), rng.nextDouble() < 0.1 ? 1f : 0f,
          (float) (0.05 + 0.95 * rng.nextDouble()));
    }
    return b;
  }
}
