package io.relstream.bench;

import io.relstream.core.estimator.ClippedIps;
import io.relstream.core.estimator.LocalLoss;
import io.relstream.core.kernel.Batch;
import io.relstream.core.kernel.Objective;
import io.relstream.core.model.FactorModel;
import java.util.SplittableRandom;

/** Synthetic workloads of the benchmarks; every one is a pure function of its seed. */
final class Workloads {
  /** The objective of every training benchmark: squared local loss, M = 0.1, c = 1. */
  static final Objective OBJECTIVE = new Objective(LocalLoss.SQUARED, 0.1f, 1f);

  private Workloads() {}

  /** A model with entries uniform in [-a, a], a = sqrt(6 / (rows + dim)) per table (Xavier). */
  static FactorModel model(int users, int items, int dim, long seed) {
    FactorModel m = new FactorModel(users, items, dim);
    fill(m.userFactors, (float) Math.sqrt(6.0 / (users + dim)), seed);
    fill(m.itemFactors, (float) Math.sqrt(6.0 / (items + dim)), seed + 1);
    return m;
  }

  private static void fill(float[] a, float limit, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    for (int k = 0; k < a.length; k++) {
      a[k] = (rng.nextInt() * (1f / Integer.MAX_VALUE)) * limit;
    }
  }

  /** Uniformly random (user, item) pairs, 10% clicks, &theta; uniform in [0.05, 1]. */
  static Batch[] batches(int count, int size, int users, int items, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    Batch[] out = new Batch[count];
    for (int b = 0; b < count; b++) {
      Batch batch = new Batch(size);
      for (int k = 0; k < size; k++) {
        batch.add(rng.nextInt(users), rng.nextInt(items), rng.nextInt(10) == 0 ? 1f : 0f,
            0.05f + 0.95f * rng.nextFloat());
      }
      out[b] = batch;
    }
    return out;
  }

  /** Random distinct-enough user ids for scoring. */
  static int[] users(int count, int users, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    int[] out = new int[count];
    for (int j = 0; j < count; j++) {
      out[j] = rng.nextInt(users);
    }
    return out;
  }

  /** Bytes one update moves: SGD reads and writes p_u and q_i plus the 16-byte tuple (16 d + 16);
   * Adam also reads and writes both rows' two moments and step counts (48 d + 32). */
  static long bytesPerUpdate(boolean adam, int dim) {
    return adam ? 48L * dim + 32 : 16L * dim + 16;
  }

  /**
   * Host copy bandwidth in bytes per second (read + write counted): the best of {@code reps} passes of
   * a plain copy loop over two arrays of {@code floats} floats, much larger than the caches.
   */
  static double hostCopyBandwidth(int floats, int reps) {
    float[] a = new float[floats];
    float[] b = new float[floats];
    for (int k = 0; k < floats; k += 1024) {
      a[k] = k;
    }
    double best = 0;
    for (int r = 0; r < reps + 1; r++) {
      long t0 = System.nanoTime();
      copy(a, b);
      double rate = 8.0 * floats / ((System.nanoTime() - t0) / 1e9);
      if (r > 0) {
        best = Math.max(best, rate); // pass 0 warms up the JIT and the pages
      }
    }
    if (b[floats - 1] != a[floats - 1]) {
      throw new AssertionError("copy loop");
    }
    return best;
  }

  static void copy(float[] a, float[] b) {
    for (int k = 0; k < a.length; k++) {
      b[k] = a[k];
    }
  }

  /** Mean clipped-IPS pair loss of the model on a batch (no normaliser), for the Hogwild trade-off. */
  static double meanLoss(FactorModel m, Batch b, Objective obj) {
    double sum = 0;
    for (int k = 0; k < b.size(); k++) {
      float s = m.score(b.users[k], b.items[k]);
      float w = ClippedIps.positiveWeight(b.labels[k], b.theta[k], obj.clip());
      float wn = ClippedIps.negativeWeight(b.labels[k], b.theta[k], obj.clip(), obj.negativeWeight());
      sum += obj.loss().pairLoss(s, w, wn);
    }
    return sum / b.size();
  }

  /** ||a - b|| / ||b|| over both tables. */
  static double relativeDistance(FactorModel a, FactorModel b) {
    double num = 0;
    double den = 0;
    for (int pass = 0; pass < 2; pass++) {
      float[] x = pass == 0 ? a.userFactors : a.itemFactors;
      float[] y = pass == 0 ? b.userFactors : b.itemFactors;
      for (int k = 0; k < x.length; k++) {
        double d = (double) x[k] - y[k];
        num += d * d;
        den += (double) y[k] * y[k];
      }
    }
    return Math.sqrt(num / den);
  }
}
