package io.relstream.core.online;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * The distribution of the clicks' propensities &theta; seen so far, as counts over log-spaced bins, and
 * the clip M it gives.
 *
 * <p>Bin k (k = 0 .. {@value #BINS} - 1) holds &theta; with 10^(-6 + k / 20) &lt; &theta; &le;
 * 10^(-6 + (k + 1) / 20): 20 bins per decade (each about 12% wide) over [1e-6, 1]; &theta; &le; 1e-6 (the
 * estimator's floor) falls in bin 0. {@link #quantile} answers the upper edge of the bin that holds the
 * q-quantile, so the clip it gives is within 12% of the exact quantile and clips at least a fraction q of
 * the clicks. Counts are integers, so the answer is a pure function of the multiset of &theta; added:
 * a replay of the same events gives the same M at every batch.
 *
 * <p>Bounded: {@value #BINS} longs, whatever the stream's length. Not thread-safe.
 */
final class ClipQuantile {
  static final int BINS = 120;
  static final int PER_DECADE = 20;
  static final double FLOOR_EXPONENT = -6;

  private final long[] counts = new long[BINS];
  private long total;

  /** The bin of &theta; in [0, 1]. */
  static int bin(float theta) {
    if (!(theta > 1e-6f)) {
      return 0;
    }
    // 1e-6 of a bin absorbs float rounding at the edges (0.1f is a hair above 10^-1)
    int k = (int) Math.ceil((Math.log10(theta) - FLOOR_EXPONENT) * PER_DECADE - 1e-6) - 1;
    return Math.max(0, Math.min(BINS - 1, k));
  }

  /** The upper edge of bin k, 10^(-6 + (k + 1) / 20). */
  static float upperEdge(int k) {
    return (float) Math.pow(10, FLOOR_EXPONENT + (k + 1) / (double) PER_DECADE);
  }

  void add(float theta) {
    counts[bin(theta)]++;
    total++;
  }

  long total() {
    return total;
  }

  /**
   * The upper edge of the bin where the cumulative count first reaches q &middot; total, q in (0, 1);
   * {@code orElse} before any &theta; was added.
   */
  float quantile(double q, float orElse) {
    if (total == 0) {
      return orElse;
    }
    double need = q * total;
    long cum = 0;
    for (int k = 0; k < BINS; k++) {
      cum += counts[k];
      if (cum >= need && cum > 0) {
        return upperEdge(k);
      }
    }
    return upperEdge(BINS - 1);
  }

  /** int BINS, then BINS longs. */
  void write(DataOutputStream out) throws IOException {
    out.writeInt(BINS);
    for (long c : counts) {
      out.writeLong(c);
    }
  }

  static ClipQuantile read(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n != BINS) {
      throw new IllegalArgumentException("clip histogram has " + n + " bins, this build has " + BINS);
    }
    ClipQuantile h = new ClipQuantile();
    for (int k = 0; k < BINS; k++) {
      long c = in.readLong();
      if (c < 0) {
        throw new IllegalArgumentException("negative count in the clip histogram");
      }
      h.counts[k] = c;
      h.total += c;
    }
    return h;
  }
}
