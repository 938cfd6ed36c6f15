package io.relstream.core.accel;

import io.relstream.core.estimator.ClippedIps;
import io.relstream.core.estimator.LocalLoss;
import io.relstream.core.kernel.Batch;
import io.relstream.core.kernel.Objective;
import io.relstream.core.model.FactorModel;

/**
 * The math of one training update, shared by every path. For a pair (u, i, Y, &theta;) with
 * s = p<sub>u</sub>&middot;q<sub>i</sub>:
 * <pre>
 *   w  = Y / max(&theta;, M, 1e-6)  if Y &gt; 0, else 0                 ({@link ClippedIps#positiveWeight})
 *   w- = c (1 - w)                                                   ({@link ClippedIps#negativeWeight})
 *   g  = d/ds [ w l+(s) + w- l-(s) ]                                  ({@link LocalLoss#pairGradient})
 *   gp = g q_i + &lambda; p_u ,  gq = g p_u + &lambda; q_i                 (both with the rows before the update)
 *   SGD:  p_u -= &eta; gp ,  q_i -= &eta; gq
 *   Adam: t_r += 1 (saturating), m_r = &beta;1 m_r + (1-&beta;1) g_r, v_r = &beta;2 v_r + (1-&beta;2) g_r&sup2;,
 *         row_r -= lr_t(t_r) m_r / (sqrt(v_r) + &epsilon;)     for r = u (with gp) and r = i (with gq)
 * </pre>
 * There is no batch normaliser: each pair is one stochastic step (&eta; absorbs the scale).
 *
 * <p><b>Guards.</b> A pair is skipped (no update, counted) when Y is NaN, infinite or negative, when
 * Y &gt; 0 and &theta; is NaN, or when s or g is not finite (e.g. a table that has already overflowed).
 * &theta; = 0 and M = 0 are legal: the weight is then Y / 1e-6. Indices outside the model make the
 * whole batch fail before any update.
 */
final class PairRule {
  private PairRule() {}

  /** g of the pair, in double as {@link LocalLoss} computes it, rounded to float; NaN means "skip". */
  static float coefficient(LocalLoss loss, float s, float label, float theta, float clip, float c) {
    if (!(label >= 0f) || label == Float.POSITIVE_INFINITY) {
      return Float.NaN;
    }
    if (label > 0f && Float.isNaN(theta)) {
      return Float.NaN;
    }
    if (!Float.isFinite(s)) {
      return Float.NaN;
    }
    float wPos = ClippedIps.positiveWeight(label, theta, clip);
    float wNeg = ClippedIps.negativeWeight(label, theta, clip, c);
    float g = (float) loss.pairGradient(s, wPos, wNeg);
    return Float.isFinite(g) ? g : Float.NaN;
  }

  /** Throws if any pair of the batch lies outside the model; nothing has been updated then. */
  static void checkIndices(Batch batch, FactorModel model) {
    int n = batch.size();
    int[] users = batch.users;
    int[] items = batch.items;
    int numUsers = model.numUsers;
    int numItems = model.numItems;
    for (int k = 0; k < n; k++) {
      int u = users[k];
      int i = items[k];
      if (u < 0 || u >= numUsers || i < 0 || i >= numItems) {
        throw new IndexOutOfBoundsException("pair " + k + " (user " + u + ", item " + i
            + ") outside the model (" + numUsers + " users, " + numItems + " items)");
      }
    }
  }

  /** Kernel code of the local loss. */
  static int lossCode(Objective objective) {
    return objective.loss() == LocalLoss.SQUARED ? 0 : 1;
  }
}
