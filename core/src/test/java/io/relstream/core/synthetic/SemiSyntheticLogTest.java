package io.relstream.core.synthetic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.core.propensity.PopularityPropensity;
import org.junit.jupiter.api.Test;

class SemiSyntheticLogTest {

  private static final SemiSyntheticLog.Params PARAMS = SemiSyntheticLog.Params.defaults(120, 80);

  @Test
  void isAPureFunctionOfSeedsAndParameters() {
    SemiSyntheticLog a = SemiSyntheticLog.generate(PARAMS, 5L, 9L);
    SemiSyntheticLog b = SemiSyntheticLog.generate(PARAMS, 5L, 9L);
    SemiSyntheticLog resampled = SemiSyntheticLog.generate(PARAMS, 5L, 1L).withSample(9L);
    // A log with more users: user u's truth and sample depend only on (seeds, u, i), not on how many
    // users there are or the order pairs are visited, so the first 120 users are identical.
    SemiSyntheticLog wider = SemiSyntheticLog.generate(
        new SemiSyntheticLog.Params(300, 80, 4, 2.0, -1.5, 1.0, 0.9, 0.001), 5L, 9L);
    SemiSyntheticLog otherSample = a.withSample(10L);
    SemiSyntheticLog otherTruth = SemiSyntheticLog.generate(PARAMS, 6L, 9L);
    int sampleDiffs = 0;
    int truthDiffs = 0;
    for (int u = 0; u < 120; u++) {
      for (int i = 0; i < 80; i++) {
        for (SemiSyntheticLog c : new SemiSyntheticLog[] {b, resampled, wider}) {
          assertEquals(a.gamma(u, i), c.gamma(u, i));
          assertEquals(a.theta(u, i), c.theta(u, i));
          assertEquals(a.observed(u, i), c.observed(u, i));
          assertEquals(a.relevant(u, i), c.relevant(u, i));
        }
        assertEquals(a.gamma(u, i), otherSample.gamma(u, i));
        sampleDiffs += a.observed(u, i) != otherSample.observed(u, i) ? 1 : 0;
        truthDiffs += a.gamma(u, i) != otherTruth.gamma(u, i) ? 1 : 0;
      }
    }
    // A new sample seed redraws O: with mean theta ~0.05 over 9,600 pairs, P(O differs) ~ 2 theta
    // (1 - theta) ~ 0.09, i.e. several hundred differences; a new truth seed changes almost every gamma.
    assertTrue(sampleDiffs > 100, "sample differences " + sampleDiffs);
    assertTrue(truthDiffs > 9_000, "truth differences " + truthDiffs);
    assertEquals(a.clickCount(), b.clickCount());
    assertNotEquals(0, a.clickCount());
  }

  @Test
  void truthHasTheDocumentedShape() {
    SemiSyntheticLog log = SemiSyntheticLog.generate(PARAMS, 3L);
    double minTheta = 1;
    double maxTheta = 0;
    double sumGamma = 0;
    int clicks = 0;
    for (int u = 0; u < log.numUsers(); u++) {
      for (int i = 0; i < log.numItems(); i++) {
        float g = log.gamma(u, i);
        float t = log.theta(u, i);
        assertTrue(g > 0 && g < 1);
        assertTrue(t >= 0.001f && t <= 0.9f);
        minTheta = Math.min(minTheta, t);
        maxTheta = Math.max(maxTheta, t);
        sumGamma += g;
        // Y = O R.
        assertEquals(log.observed(u, i) && log.relevant(u, i), log.clicked(u, i));
        assertEquals(log.clicked(u, i) ? 1f : 0f, log.label(u, i));
        clicks += log.clicked(u, i) ? 1 : 0;
      }
    }
    // theta = 0.9 act_u (1 + rank)^-1 with act_u in [1/2, 1): the most popular item reaches
    // 0.9 * act > 0.45 for some user and the least popular (rank 79) stays below 0.9 / 80 = 0.011.
    assertTrue(maxTheta > 0.45, "max theta " + maxTheta);
    assertTrue(minTheta < 0.0113, "min theta " + minTheta);
    // theta is a power law of popularity: for every user, exposure is non-increasing in rank.
    int[] byRank = new int[log.numItems()];
    for (int i = 0; i < log.numItems(); i++) {
      byRank[log.popularityRank(i)] = i;
    }
    for (int u = 0; u < log.numUsers(); u++) {
      for (int r = 1; r < log.numItems(); r++) {
        assertTrue(log.theta(u, byRank[r]) <= log.theta(u, byRank[r - 1]));
      }
      // rank 0 vs rank 9: ratio (1 + 9)^-1 / (1 + 0)^-1 = 1/10.
      assertEquals(0.1, log.theta(u, byRank[9]) / log.theta(u, byRank[0]), 1e-6);
    }
    // Mean relevance: E[sigma(2 Z - 1.5)] for Z ~ N(0, 1) is about 0.28.
    double meanGamma = sumGamma / log.numPairs();
    assertTrue(meanGamma > 0.2 && meanGamma < 0.35, "mean gamma " + meanGamma);
    // Bookkeeping of the click views.
    assertEquals(clicks, log.clickCount());
    assertEquals(clicks, log.clickUsers().length);
    long total = 0;
    for (long n : log.itemClickCounts()) {
      total += n;
    }
    assertEquals(clicks, total);
  }

  @Test
  void popularityPropensityTracksTrueExposure() {
    // The popularity propensity with eta = 1 estimated from clicks is, up to a constant, the
    // item's click rate theta gamma, so it must rank items roughly as the true mean exposure does:
    // the top-10 items by true exposure get a much larger mean estimate than the bottom half.
    SemiSyntheticLog log = SemiSyntheticLog.generate(SemiSyntheticLog.Params.defaults(2_000, 50), 11L);
    float[] theta = PopularityPropensity.fromCounts(log.itemClickCounts(), 1.0);
    double top = 0;
    double bottom = 0;
    for (int i = 0; i < log.numItems(); i++) {
      int r = log.popularityRank(i);
      if (r < 10) {
        top += theta[i] / 10;
      } else if (r >= 25) {
        bottom += theta[i] / 25;
      }
    }
    // True exposure ratio between those groups: mean of 1/(1+r) over r < 10 (~0.29) vs over r in
    // [25, 50) (~0.027), about 10x; require 4x to leave room for relevance noise.
    assertTrue(top > 4 * bottom, "top " + top + " bottom " + bottom);
  }

  @Test
  void rejectsBadParameters() {
    assertThrows(IllegalArgumentException.class,
        () -> new SemiSyntheticLog.Params(0, 10, 4, 2, -1.5, 1, 0.9, 0.001));
    assertThrows(IllegalArgumentException.class,
        () -> new SemiSyntheticLog.Params(10, 10, 4, 2, -1.5, 1, 1.5, 0.001));
    assertThrows(IllegalArgumentException.class,
        () -> new SemiSyntheticLog.Params(10, 10, 4, 2, -1.5, 1, 0.5, 0.6));
    assertThrows(IllegalArgumentException.class,
        () -> new SemiSyntheticLog.Params(10, 10, 4, 2, -1.5, -1, 0.5, 0.1));
    assertThrows(ArithmeticException.class,
        () -> new SemiSyntheticLog.Params(100_000, 100_000, 4, 2, -1.5, 1, 0.5, 0.1));
    SemiSyntheticLog log = SemiSyntheticLog.generate(SemiSyntheticLog.Params.defaults(3, 3), 1L);
    assertThrows(IndexOutOfBoundsException.class, () -> log.gamma(3, 0));
  }
}
