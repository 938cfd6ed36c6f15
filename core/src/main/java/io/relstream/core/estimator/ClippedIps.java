package io.relstream.core.estimator;

/**
 * Weights of the clipped-IPS estimator of Rel-MF.
 *
 * <p>For a pair with click Y in {0, 1} (any non-negative value is accepted) and propensity &theta;, the
 * unbiased (M = 0) or clipped (M &gt; 0) loss is
 * <pre>
 *   L = sum over pairs of  w * l+(s)  +  c * (1 - w) * l-(s),      w = Y / max(&theta;, M)
 * </pre>
 * divided by {@code sum(Y + c (1 - Y))} over the batch, where l+ and l- are the positive and negative
 * local losses ({@link LocalLoss}) and c is the negative weight (1 except for WMF).
 *
 * <p>Sentinels: when Y = 0, w = 0 whatever &theta; and M are (so &theta; = 0 with M = 0 never gives
 * 0/0); when Y &gt; 0 the denominator is floored at {@link #THETA_FLOOR} before dividing. Naive MF and
 * WMF are the special case &theta; = 1.
 */
public final class ClippedIps {

  /** Smallest propensity used as a divisor when Y &gt; 0. */
  public static final float THETA_FLOOR = 1e-6f;

  private ClippedIps() {}

  /** Positive weight w = Y / max(&theta;, M, 1e-6) when Y &gt; 0, else exactly 0. */
  public static float positiveWeight(float label, float theta, float clip) {
    if (!(label > 0f)) {
      return 0f;
    }
    return label / Math.max(Math.max(theta, clip), THETA_FLOOR);
  }

  /** Negative weight c * (1 - w). Negative when w &gt; 1, i.e. a click on a rarely exposed item. */
  public static float negativeWeight(float label, float theta, float clip, float negativeWeight) {
    return negativeWeight * (1f - positiveWeight(label, theta, clip));
  }

  /** The batch normaliser of the reference code: sum(Y + c (1 - Y)). */
  public static double normaliser(float[] labels, int size, float negativeWeight) {
    double sum = 0;
    for (int k = 0; k < size; k++) {
      sum += labels[k] + negativeWeight * (1f - labels[k]);
    }
    return sum;
  }
}
