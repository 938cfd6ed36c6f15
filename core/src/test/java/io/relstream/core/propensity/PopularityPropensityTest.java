package io.relstream.core.propensity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PopularityPropensityTest {

  private static final long HOUR = 3_600_000L;

  /**
   * A random click stream: Zipf-like item choice whose popular items rotate over time (so decay
   * changes theta), timestamps jittered by +-1 h (so partly out of order).
   */
  private static long[][] randomStream(long seed, int clicks, int items, long spanMillis) {
    SplittableRandom rng = new SplittableRandom(seed);
    long[] item = new long[clicks];
    long[] time = new long[clicks];
    for (int k = 0; k < clicks; k++) {
      // item = floor(items * U^3) + drift: low offsets far more popular, the hot set moving by
      // items/2 over the whole stream
      long drift = (long) items * k / (2L * clicks);
      item[k] = ((long) (items * Math.pow(rng.nextDouble(), 3)) + drift) % items;
      time[k] = 1_700_000_000_000L + spanMillis * k / clicks + rng.nextLong(-HOUR, HOUR);
    }
    return new long[][] {item, time};
  }

  private static int[] ints(long[] a) {
    int[] out = new int[a.length];
    for (int k = 0; k < a.length; k++) {
      out[k] = (int) a[k];
    }
    return out;
  }

  @Test
  void incrementalEqualsBatchWithoutDecay() {
    for (long seed = 1; seed <= 5; seed++) {
      long[][] s = randomStream(seed, 5_000, 300, 30 * 24 * HOUR);
      int[] items = ints(s[0]);
      PopularityPropensity inc = new PopularityPropensity(0.5, PopularityPropensity.NO_DECAY);
      long[] counts = new long[300];
      for (int k = 0; k < items.length; k++) {
        inc.observeClick(items[k], s[1][k]);
        counts[items[k]]++;
      }
      // Without decay every click adds exactly 1.0, so both sides compute the same doubles
      // (n_i / max n_j)^eta with the same function: equality is bit for bit.
      float[] fromClicks = PopularityPropensity.fromClicks(items, s[1], 300, 0.5, 0);
      float[] fromCounts = PopularityPropensity.fromCounts(counts, 0.5);
      assertArrayEquals(fromCounts, fromClicks);
      assertArrayEquals(fromCounts, inc.thetas(300));
      for (int i = 0; i < 300; i++) {
        assertEquals(fromCounts[i], inc.theta(i));
        assertEquals(counts[i], inc.count(i, 0L));
      }
      assertEquals(5_000, inc.clicks());
    }
  }

  @Test
  void incrementalEqualsBatchWithDecay() {
    // Half-life 1 day over a 30-day stream: the oldest clicks weigh 2^-30 of the newest, so decay
    // changes the ranking of items; the scaled incremental sums and the batch sums relative to the
    // latest time differ only by rounding (relative 1e-12 or so), far below float resolution.
    for (long seed = 11; seed <= 15; seed++) {
      long[][] s = randomStream(seed, 5_000, 300, 30 * 24 * HOUR);
      int[] items = ints(s[0]);
      for (double eta : new double[] {0.5, 1.0, 2.0}) {
        PopularityPropensity inc = new PopularityPropensity(eta, 24 * HOUR);
        for (int k = 0; k < items.length; k++) {
          inc.observeClick(items[k], s[1][k]);
        }
        float[] batch = PopularityPropensity.fromClicks(items, s[1], 300, eta, 24 * HOUR);
        float[] incremental = inc.thetas(300);
        for (int i = 0; i < 300; i++) {
          assertEquals(batch[i], incremental[i], 1e-6f * Math.max(batch[i], 1e-30f) + 1e-37f,
              "item " + i);
        }
        // Decay must actually matter here, or the test would not test it.
        float[] undecayed = PopularityPropensity.fromClicks(items, s[1], 300, eta, 0);
        double maxDiff = 0;
        for (int i = 0; i < 300; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(undecayed[i] - batch[i]));
        }
        assertTrue(maxDiff > 0.05, "decay changed nothing: " + maxDiff);
      }
    }
  }

  @Test
  void rescalingKeepsRatiosOverThousandsOfHalfLives() {
    // Half-life 1 s over a stream spanning about 5,000 s: the scaled weight 2^((t - t_ref)/h) would
    // overflow a double (max about 2^1024) without rescaling, which happens about every 512 s here.
    long h = 1_000L;
    PopularityPropensity inc = new PopularityPropensity(1.0, h);
    SplittableRandom rng = new SplittableRandom(7);
    int n = 20_000;
    int[] items = new int[n];
    long[] times = new long[n];
    for (int k = 0; k < n; k++) {
      items[k] = rng.nextInt(50);
      times[k] = k * 250L + rng.nextLong(0, 500); // ~5,000 s, slightly out of order
      inc.observeClick(items[k], times[k]);
    }
    float[] batch = PopularityPropensity.fromClicks(items, times, 50, 1.0, h);
    float[] incremental = inc.thetas();
    for (int i = 0; i < 50; i++) {
      assertTrue(Float.isFinite(incremental[i]) && incremental[i] >= 0 && incremental[i] <= 1);
      assertEquals(batch[i], incremental[i], 1e-6f * batch[i] + 1e-37f, "item " + i);
    }
    // The decayed counts at the last time are finite and match a direct sum of 2^-(T - t_k)/h.
    long last = times[n - 1];
    double direct = 0;
    for (int k = 0; k < n; k++) {
      if (items[k] == 3) {
        direct += Math.pow(2.0, -(double) (last - times[k]) / h);
      }
    }
    assertEquals(direct, inc.count(3, last), 1e-9 * direct);
  }

  @Test
  void decayHalvesACountAfterOneHalfLife() {
    long h = 6 * HOUR;
    PopularityPropensity p = new PopularityPropensity(1.0, h);
    long t0 = 1_000_000L;
    p.observeClick(0, t0);
    // One click at t0 counts 1 at t0, 2^-1 = 0.5 one half-life later and 2^-2 = 0.25 after two.
    assertEquals(1.0, p.count(0, t0), 1e-12);
    assertEquals(0.5, p.count(0, t0 + h), 1e-12);
    assertEquals(0.25, p.count(0, t0 + 2 * h), 1e-12);
    // A click on item 1 one half-life later: at that time n_0 = 0.5, n_1 = 1, so with eta = 1
    // theta_0 = 0.5 / 1 = 0.5, and the ratio stays 0.5 at every later time (decay cancels).
    p.observeClick(1, t0 + h);
    assertEquals(0.5f, p.theta(0), 1e-7f);
    assertEquals(1f, p.theta(1));
    assertEquals(0.5 * p.count(1, t0 + 10 * h), p.count(0, t0 + 10 * h), 1e-15);
    // A second click on item 0 at t0 + h: n_0 = 1.5 > n_1 = 1, so item 0 becomes the maximum:
    // theta_0 = 1, theta_1 = 1 / 1.5 = 2/3.
    p.observeClick(0, t0 + h);
    assertEquals(1f, p.theta(0));
    assertEquals(2f / 3f, p.theta(1), 1e-7f);
    // Without decay the same three clicks give n = (2, 1): theta_1 = 1/2.
    PopularityPropensity flat = new PopularityPropensity(1.0, PopularityPropensity.NO_DECAY);
    flat.observeClick(0, t0);
    flat.observeClick(1, t0 + h);
    flat.observeClick(0, t0 + h);
    assertEquals(0.5f, flat.theta(1));
    assertEquals(2.0, flat.count(0, t0 + 100 * h));
  }

  @Test
  void etaShapesThePropensity() {
    // Counts n = (100, 25, 4, 1, 0): ratios r = n_i / 100 = (1, 1/4, 1/25, 1/100, 0).
    long[] counts = {100, 25, 4, 1, 0};
    // eta = 0.5 (the paper): sqrt(r) = (1, 1/2, 1/5, 1/10, 0).
    assertArrayEquals(new float[] {1f, 0.5f, 0.2f, 0.1f, 0f},
        PopularityPropensity.fromCounts(counts, 0.5), 1e-7f);
    // eta = 1: r itself.
    assertArrayEquals(new float[] {1f, 0.25f, 0.04f, 0.01f, 0f},
        PopularityPropensity.fromCounts(counts, 1.0), 1e-7f);
    // eta = 0: every clicked item gets r^0 = 1 (the naive estimator); never-clicked items stay 0.
    assertArrayEquals(new float[] {1f, 1f, 1f, 1f, 0f}, PopularityPropensity.fromCounts(counts, 0.0));
    // eta = 2: r^2 = (1, 1/16, 1/625, 1/10000, 0).
    assertArrayEquals(new float[] {1f, 0.0625f, 0.0016f, 0.0001f, 0f},
        PopularityPropensity.fromCounts(counts, 2.0), 1e-7f);
    // For a fixed ratio r in (0, 1), theta = r^eta decreases strictly as eta grows.
    float prev = 2f;
    for (double eta = 0; eta <= 3; eta += 0.25) {
      float t = PopularityPropensity.fromCounts(counts, eta)[1];
      assertTrue(t < prev, "eta " + eta);
      prev = t;
    }
    // The incremental estimator with the default eta matches eta = 0.5.
    PopularityPropensity p = new PopularityPropensity();
    assertEquals(PopularityPropensity.DEFAULT_ETA, p.eta());
    for (int i = 0; i < counts.length; i++) {
      for (long c = 0; c < counts[i]; c++) {
        p.observeClick(i, c);
      }
    }
    assertArrayEquals(new float[] {1f, 0.5f, 0.2f, 0.1f}, p.thetas(), 1e-7f);
    // thetas() covers items seen (0..3); item 4 was never clicked, so it is not known yet.
    assertEquals(4, p.numItems());
    assertThrows(IllegalArgumentException.class, () -> new PopularityPropensity(-0.1, 0));
    assertThrows(IllegalArgumentException.class, () -> new PopularityPropensity(Double.NaN, 0));
  }

  @Test
  void edgeCases() {
    PopularityPropensity p = new PopularityPropensity(0.5, HOUR);
    // No clicks yet: every theta is 0 (max n = 0), arrays are empty or zero-filled.
    assertEquals(0f, p.theta(0));
    assertEquals(0f, p.theta(-1));
    assertEquals(0, p.thetas().length);
    assertArrayEquals(new float[3], p.thetas(3));
    assertEquals(0.0, p.count(5, 0L));
    p.ensureItems(4);
    assertArrayEquals(new float[4], p.thetas());
    // One item clicked: it is its own maximum, theta = 1; unseen and unclicked items stay 0.
    p.observeClick(2, 42L);
    assertEquals(1f, p.theta(2));
    assertArrayEquals(new float[] {0f, 0f, 1f, 0f}, p.thetas());
    assertEquals(0f, p.theta(1_000));
    // Arrays grow for a large index.
    p.observeClick(10_000, 43L);
    assertEquals(10_001, p.numItems());
    assertTrue(p.theta(10_000) > 0.99f);
    assertThrows(IllegalArgumentException.class, () -> p.observeClick(-1, 0L));
    assertThrows(IllegalArgumentException.class, () -> new PopularityPropensity(0.5, -1));
    // Batch on empty input and all-zero counts.
    assertArrayEquals(new float[2], PopularityPropensity.fromClicks(new int[0], new long[0], 2, 0.5, HOUR));
    assertArrayEquals(new float[3], PopularityPropensity.fromCounts(new long[3], 0.5));
    assertThrows(IllegalArgumentException.class,
        () -> PopularityPropensity.fromCounts(new double[] {1, -1}, 0.5));
  }
}
