package io.relstream.core.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Tolerance checks: element k passes when |x_k - ref_k| &lt;= rel |ref_k| + scale max_j |ref_j| + abs.
 * The middle term absorbs rounding in sums whose terms are larger than their result (cancellation).
 */
final class Close {
  final double rel;
  final double scale;
  final double abs;

  Close(double rel, double scale, double abs) {
    this.rel = rel;
    this.scale = scale;
    this.abs = abs;
  }

  void scalar(String what, double x, double ref) {
    assertTrue(Double.isFinite(x), what + " is not finite: " + x);
    double tol = rel * Math.abs(ref) + abs;
    if (!(Math.abs(x - ref) <= tol)) {
      fail(what + ": " + x + " vs reference " + ref + " (|diff| " + Math.abs(x - ref) + " > " + tol + ")");
    }
  }

  void arrays(String what, float[] x, float[] ref) {
    arrays(what, x, DoubleOracle.toDouble(ref));
  }

  void arrays(String what, float[] x, double[] ref) {
    if (x.length != ref.length) {
      fail(what + ": length " + x.length + " vs " + ref.length);
    }
    double max = 0;
    for (double r : ref) {
      max = Math.max(max, Math.abs(r));
    }
    for (int k = 0; k < x.length; k++) {
      if (!Float.isFinite(x[k])) {
        fail(what + "[" + k + "] is not finite: " + x[k]);
      }
      double tol = rel * Math.abs(ref[k]) + scale * max + abs;
      if (!(Math.abs(x[k] - ref[k]) <= tol)) {
        fail(what + "[" + k + "]: " + x[k] + " vs reference " + ref[k] + " (|diff| "
            + Math.abs(x[k] - ref[k]) + " > " + tol + ", max |ref| " + max + ")");
      }
    }
  }
}
