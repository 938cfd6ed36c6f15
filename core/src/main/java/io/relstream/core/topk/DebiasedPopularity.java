package io.relstream.core.topk;

import io.relstream.core.estimator.ClippedIps;
import java.util.function.IntPredicate;

/**
 * The ranking for users without a vector: items by their inverse-propensity-weighted click count
 * <pre>
 *   score_i = clicks_i / max(&theta;_i, M)
 * </pre>
 * where clicks_i is the (decayed) number of clicks on item i, &theta;_i its exposure propensity and M
 * the clip of the clipped-IPS estimator ({@link ClippedIps}, default {@value #DEFAULT_CLIP} as in
 * Rel-MF). Each click on item i is a relevant user observed with probability &theta;_i, so the score is
 * the inverse-propensity estimate of how many users find item i relevant, rather than how many
 * happened to click it; M bounds the weight of a click at 1/M. If both &theta;_i and M are 0 the
 * divisor is floored at {@link ClippedIps#THETA_FLOOR}, as in the estimator.
 *
 * <p>Immutable and thread-safe.
 */
public final class DebiasedPopularity {

  /** The clip M used by Rel-MF's reference implementation. */
  public static final double DEFAULT_CLIP = 0.009136;

  private final double clip;

  /** With M = {@value #DEFAULT_CLIP}. */
  public DebiasedPopularity() {
    this(DEFAULT_CLIP);
  }

  /** @param clip M in [0, 1] */
  public DebiasedPopularity(double clip) {
    if (!(clip >= 0 && clip <= 1)) {
      throw new IllegalArgumentException("clip M must be in [0, 1], got " + clip);
    }
    this.clip = clip;
  }

  public double clip() {
    return clip;
  }

  /**
   * clicks / max(&theta;, M, {@link ClippedIps#THETA_FLOOR}).
   *
   * @param clicks finite, &ge; 0
   * @param theta finite, &ge; 0
   * @throws IllegalArgumentException otherwise
   */
  public double score(double clicks, double theta) {
    if (!(clicks >= 0) || Double.isInfinite(clicks)) {
      throw new IllegalArgumentException("clicks must be finite and >= 0, got " + clicks);
    }
    if (!(theta >= 0) || Double.isInfinite(theta)) {
      throw new IllegalArgumentException("propensity must be finite and >= 0, got " + theta);
    }
    return clicks / Math.max(Math.max(theta, clip), ClippedIps.THETA_FLOOR);
  }

  /** The k best items 0..count-1 by {@link #score}, with {@link TopK}'s order and exclusion rules. */
  public TopK.Result top(double[] clicks, double[] theta, int count, int k, IntPredicate excluded) {
    if (count < 0 || count > clicks.length || count > theta.length) {
      throw new IllegalArgumentException("count " + count + " exceeds the arrays");
    }
    float[] scores = new float[count];
    for (int i = 0; i < count; i++) {
      scores[i] = (float) score(clicks[i], theta[i]);
    }
    return TopK.byScore(scores, count, k, excluded);
  }
}
