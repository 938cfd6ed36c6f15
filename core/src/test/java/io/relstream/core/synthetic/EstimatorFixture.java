package io.relstream.core.synthetic;

import io.relstream.core.estimator.ClippedIps;
import io.relstream.core.estimator.LocalLoss;
import java.util.SplittableRandom;

/**
 * Shared math of the estimator tests on {@link SemiSyntheticLog}: for a fixed score matrix s, local
 * losses l+ = l+(s_{u,i}), l- = l-(s_{u,i}) and N = numUsers * numItems pairs (c = 1),
 * <pre>
 *   L_ideal     = (1/N) sum  &gamma; l+ + (1 - &gamma;) l-
 *   L_M(Y)      = (1/N) sum  w l+ + (1 - w) l-,        w = Y / max(&theta;, M)  (ClippedIps)
 *   E[L_M]      = (1/N) sum  P1 pairLoss(s, w1, 1 - w1) + (1 - P1) pairLoss(s, 0, 1),
 *                 P1 = P(Y = 1) = &theta; &gamma;,  w1 = 1 / max(&theta;, M)
 *   Var[L_M]    = (1/N^2) sum  P1 (1 - P1) w1^2 (l+ - l-)^2        (pairs independent)
 * </pre>
 * The estimator is linear in w, so E[L_M] follows from E[w] = P1 w1; for M = 0 and the true &theta;,
 * E[w] = &theta; &gamma; / &theta; = &gamma; and E[L_0] = L_ideal (the unbiasedness of Rel-MF).
 */
final class EstimatorFixture {
  final SemiSyntheticLog log;
  final int n;
  final float[] theta;
  final float[] gamma;
  final double[] pos;
  final double[] neg;
  final double[] score;
  final LocalLoss loss;

  EstimatorFixture(SemiSyntheticLog log, double[] score, LocalLoss loss) {
    this.log = log;
    this.n = log.numPairs();
    this.score = score;
    this.loss = loss;
    theta = new float[n];
    gamma = new float[n];
    pos = new double[n];
    neg = new double[n];
    int items = log.numItems();
    for (int k = 0; k < n; k++) {
      theta[k] = log.theta(k / items, k % items);
      gamma[k] = log.gamma(k / items, k % items);
      pos[k] = loss.positive(score[k]);
      neg[k] = loss.negative(score[k]);
    }
  }

  /** Scores logit(&gamma;) + N(0, noise^2): a plausible imperfect model. */
  static double[] noisyLogits(SemiSyntheticLog log, double noise, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    int items = log.numItems();
    double[] s = new double[log.numPairs()];
    for (int k = 0; k < s.length; k++) {
      double g = log.gamma(k / items, k % items);
      s[k] = Math.log(g / (1 - g)) + noise * gaussian(rng);
    }
    return s;
  }

  /** Scores uniform in [lo, hi). */
  static double[] uniformScores(int n, double lo, double hi, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] s = new double[n];
    for (int k = 0; k < n; k++) {
      s[k] = lo + (hi - lo) * rng.nextDouble();
    }
    return s;
  }

  private static double gaussian(SplittableRandom rng) {
    return Math.sqrt(-2 * Math.log(1 - rng.nextDouble())) * Math.cos(2 * Math.PI * rng.nextDouble());
  }

  /** L_ideal. */
  double idealLoss() {
    double sum = 0;
    for (int k = 0; k < n; k++) {
      sum += gamma[k] * pos[k] + (1 - gamma[k]) * neg[k];
    }
    return sum / n;
  }

  /** E_{O,R}[L_M] in closed form; {@code naive} uses &theta; = 1 in the weights instead of the truth. */
  double expectedLoss(float clip, boolean naive) {
    double sum = 0;
    for (int k = 0; k < n; k++) {
      float th = naive ? 1f : theta[k];
      double p1 = (double) theta[k] * gamma[k]; // P(Y = 1) always uses the true exposure
      double y1 = loss.pairLoss(score[k], ClippedIps.positiveWeight(1f, th, clip),
          ClippedIps.negativeWeight(1f, th, clip, 1f));
      double y0 = loss.pairLoss(score[k], ClippedIps.positiveWeight(0f, th, clip),
          ClippedIps.negativeWeight(0f, th, clip, 1f));
      sum += p1 * y1 + (1 - p1) * y0;
    }
    return sum / n;
  }

  /** Var_{O,R}[L_M] in closed form (true &theta;). */
  double lossVariance(float clip) {
    double sum = 0;
    for (int k = 0; k < n; k++) {
      double p1 = (double) theta[k] * gamma[k];
      double w1 = ClippedIps.positiveWeight(1f, theta[k], clip);
      double d = pos[k] - neg[k];
      sum += p1 * (1 - p1) * w1 * w1 * d * d;
    }
    return sum / ((double) n * n);
  }

  /** Row-major indices u * numItems + i of the clicked pairs of a sample. */
  static int[] clickIndices(SemiSyntheticLog sample) {
    int[] users = sample.clickUsers();
    int[] items = sample.clickItems();
    int[] out = new int[users.length];
    for (int c = 0; c < out.length; c++) {
      out[c] = users[c] * sample.numItems() + items[c];
    }
    return out;
  }

  /**
   * {@link #realisedLoss} in O(clicks): with Y = 0 a pair contributes pairLoss(s, 0, 1) = l- whatever
   * &theta; and M are, so L_M = (1/N) [sum over all pairs of l- + sum over clicks of
   * (w1 l+ + (1 - w1) l- - l-)]. Exact algebra; {@code sumNegative} is sum over all pairs of l-.
   */
  double realisedLossSparse(int[] clicks, double sumNegative, float clip, boolean naive) {
    double sum = sumNegative;
    for (int k : clicks) {
      float th = naive ? 1f : theta[k];
      float wPos = ClippedIps.positiveWeight(1f, th, clip);
      float wNeg = ClippedIps.negativeWeight(1f, th, clip, 1f);
      sum += wPos * pos[k] + wNeg * neg[k] - neg[k];
    }
    return sum / n;
  }

  /** sum over all pairs of l-. */
  double sumNegative() {
    double sum = 0;
    for (int k = 0; k < n; k++) {
      sum += neg[k];
    }
    return sum;
  }

  /**
   * The realised estimator on one sampled log: sum over pairs of w l+ + c (1 - w) l- with weights from
   * ClippedIps, divided by the normaliser sum(Y + c (1 - Y)) = N for c = 1.
   */
  double realisedLoss(SemiSyntheticLog sample, float clip, boolean naive) {
    int items = sample.numItems();
    float[] labels = new float[n];
    double sum = 0;
    for (int k = 0; k < n; k++) {
      float y = sample.label(k / items, k % items);
      labels[k] = y;
      float th = naive ? 1f : theta[k];
      float wPos = ClippedIps.positiveWeight(y, th, clip);
      float wNeg = ClippedIps.negativeWeight(y, th, clip, 1f);
      sum += loss.pairLoss(score[k], wPos, wNeg);
    }
    return sum / ClippedIps.normaliser(labels, n, 1f);
  }
}
