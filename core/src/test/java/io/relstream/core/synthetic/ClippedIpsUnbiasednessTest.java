package io.relstream.core.synthetic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.core.estimator.LocalLoss;
import org.junit.jupiter.api.Test;

/**
 * The unclipped IPS estimator (M = 0) with the true &theta; is unbiased for the ideal loss on a
 * semi-synthetic log with known truth; the naive estimator (&theta; = 1) is not. See
 * {@link EstimatorFixture} for the formulas.
 *
 * <p>Derivation. Per pair, L = w l+ + (1 - w) l- = l- + w (l+ - l-) is linear in w = Y / &theta;, and
 * E[Y] = P(O = 1) P(R = 1) = &theta; &gamma;, so E[w] = &gamma; and E[L] = &gamma; l+ + (1 - &gamma;) l-,
 * the ideal pair loss. The naive estimator has E[w] = E[Y] = &theta; &gamma;, so
 * E[L_naive] - L_ideal = (1/N) sum &gamma; (&theta; - 1)(l+ - l-), which is not 0 unless &theta; = 1 or the
 * terms cancel.
 *
 * <p>Truth: 200 users x 100 items, defaults (&alpha; = 1, so &theta; runs from about 0.9 down to
 * about 0.0045, mean about 0.035; mean &gamma; about 0.25), so about 170 clicks per sampled log.
 */
class ClippedIpsUnbiasednessTest {

  private static final SemiSyntheticLog.Params PARAMS = SemiSyntheticLog.Params.defaults(200, 100);

  /** Two score matrices: a noisy model logit(&gamma;) + N(0, 1) and arbitrary scores U[-4, 4). */
  private static double[][] scoreSets(SemiSyntheticLog log) {
    return new double[][] {
      EstimatorFixture.noisyLogits(log, 1.0, 7L),
      EstimatorFixture.uniformScores(log.numPairs(), -4, 4, 8L)
    };
  }

  @Test
  void ipsExpectationEqualsIdealLossAnalytically() {
    for (long truthSeed : new long[] {42L, 43L}) {
      SemiSyntheticLog log = SemiSyntheticLog.generate(PARAMS, truthSeed);
      for (LocalLoss loss : LocalLoss.values()) {
        for (double[] scores : scoreSets(log)) {
          EstimatorFixture f = new EstimatorFixture(log, scores, loss);
          double ideal = f.idealLoss();
          double ips = f.expectedLoss(0f, false);
          double naive = f.expectedLoss(0f, true);
          // Unbiased: equal up to float rounding of w = 1 / theta (relative 6e-8 per pair).
          assertEquals(ideal, ips, 1e-6 * ideal, loss + " seed " + truthSeed);
          // Naive gap follows the closed form (1/N) sum gamma (theta - 1)(l+ - l-) ...
          double gap = 0;
          for (int k = 0; k < f.n; k++) {
            gap += f.gamma[k] * (f.theta[k] - 1.0) * (f.pos[k] - f.neg[k]);
          }
          gap /= f.n;
          assertEquals(gap, naive - ideal, 1e-6 * ideal);
          // ... and is clearly non-zero: at least 0.002 (observed 0.003 .. 0.09) and over 1,000 times
          // the IPS rounding error bound.
          assertTrue(Math.abs(naive - ideal) > 0.002, loss + " naive gap " + (naive - ideal));
          assertTrue(Math.abs(naive - ideal) > 1e3 * Math.abs(ips - ideal));
        }
      }
    }
  }

  @Test
  void monteCarloOverSampledLogsMatchesIdealLoss() {
    // S = 1,000 sampled logs of one truth. The sample mean of the realised loss has standard error
    // SE = sd / sqrt(S); IPS must be within 4 SE of L_ideal, naive at least 10 SE away from it (and
    // within 4 of its own SE of the analytic naive expectation); where the naive gap is large, the IPS
    // estimate must also separate the two, i.e. the gap must exceed 10 IPS standard errors. The sample variance must match the
    // closed form (1/N^2) sum theta gamma (1 - theta gamma) (l+ - l-)^2 / theta^2 within 20 %
    // (the relative standard error of a variance from 1,000 heavy-tailed draws is about 10 %).
    SemiSyntheticLog log = SemiSyntheticLog.generate(PARAMS, 42L);
    int samples = 1_000;
    int[][] clicks = new int[samples][];
    for (int s = 0; s < samples; s++) {
      clicks[s] = EstimatorFixture.clickIndices(log.withSample(1_000L + s));
    }
    for (LocalLoss loss : LocalLoss.values()) {
      double[][] scoreSets = scoreSets(log);
      for (int set = 0; set < scoreSets.length; set++) {
        EstimatorFixture f = new EstimatorFixture(log, scoreSets[set], loss);
        double sumNeg = f.sumNegative();
        double[] ips = new double[samples];
        double[] naive = new double[samples];
        for (int s = 0; s < samples; s++) {
          ips[s] = f.realisedLossSparse(clicks[s], sumNeg, 0f, false);
          naive[s] = f.realisedLossSparse(clicks[s], sumNeg, 0f, true);
        }
        double ideal = f.idealLoss();
        double ipsSe = Math.sqrt(variance(ips) / samples);
        double naiveSe = Math.sqrt(variance(naive) / samples);
        String what = loss + ": ideal " + ideal + " ips " + mean(ips) + " +- " + ipsSe
            + " naive " + mean(naive) + " +- " + naiveSe;
        assertTrue(Math.abs(mean(ips) - ideal) < 4 * ipsSe, what);
        assertTrue(Math.abs(mean(naive) - ideal) > 10 * naiveSe, what);
        if (set == 0) {
          // For the noisy-logit scores the naive gap (0.021 squared, 0.087 log) is also far outside
          // the IPS estimate's own error; for U[-4, 4) scores it is only 0.003 .. 0.01 (l+ - l-
          // changes sign and partly cancels), about 4 IPS standard errors.
          assertTrue(Math.abs(mean(naive) - ideal) > 10 * ipsSe, what);
        }
        assertEquals(f.expectedLoss(0f, true), mean(naive), 4 * naiveSe, what);
        assertEquals(f.lossVariance(0f), variance(ips), 0.2 * f.lossVariance(0f), what);
      }
    }
  }

  @Test
  void sparseRealisedLossEqualsDenseBatchLoss() {
    // The O(clicks) form used above equals the dense sum of LocalLoss.pairLoss with ClippedIps
    // weights over all N pairs, divided by ClippedIps.normaliser (= N for c = 1).
    SemiSyntheticLog log = SemiSyntheticLog.generate(PARAMS, 42L);
    for (LocalLoss loss : LocalLoss.values()) {
      EstimatorFixture f = new EstimatorFixture(log, scoreSets(log)[1], loss);
      for (long seed = 5; seed < 8; seed++) {
        SemiSyntheticLog sample = log.withSample(seed);
        int[] clicks = EstimatorFixture.clickIndices(sample);
        assertTrue(clicks.length > 50);
        for (float clip : new float[] {0f, 0.05f, 1f}) {
          for (boolean naive : new boolean[] {false, true}) {
            double dense = f.realisedLoss(sample, clip, naive);
            double sparse = f.realisedLossSparse(clicks, f.sumNegative(), clip, naive);
            assertEquals(dense, sparse, 1e-9 * Math.abs(dense));
          }
        }
      }
    }
  }

  static double mean(double[] x) {
    double s = 0;
    for (double v : x) {
      s += v;
    }
    return s / x.length;
  }

  /** Unbiased sample variance. */
  static double variance(double[] x) {
    double m = mean(x);
    double s = 0;
    for (double v : x) {
      s += (v - m) * (v - m);
    }
    return s / (x.length - 1);
  }
}
