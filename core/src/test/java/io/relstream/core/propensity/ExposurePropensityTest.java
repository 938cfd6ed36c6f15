package io.relstream.core.propensity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ExposurePropensityTest {

  private static final long MINUTE = 60_000L;

  /**
   * A random impression log over 100 users and 40 items, with many repeated (user, item) pairs, a
   * popularity that drifts over time and timestamps jittered by +-30 min (so partly out of order).
   */
  private static Object[] randomLog(long seed, int n) {
    SplittableRandom rng = new SplittableRandom(seed);
    int[] users = new int[n];
    int[] items = new int[n];
    long[] times = new long[n];
    for (int k = 0; k < n; k++) {
      users[k] = rng.nextInt(100);
      int drift = 20 * k / n;
      items[k] = ((int) (40 * Math.pow(rng.nextDouble(), 2)) + drift) % 40;
      times[k] = 10L * 24 * 60 * MINUTE * k / n + rng.nextLong(-30 * MINUTE, 30 * MINUTE);
    }
    return new Object[] {users, items, times};
  }

  @Test
  void incrementalEqualsBatchWithoutDecay() {
    for (long seed = 1; seed <= 5; seed++) {
      Object[] log = randomLog(seed, 3_000);
      int[] users = (int[]) log[0];
      int[] items = (int[]) log[1];
      long[] times = (long[]) log[2];
      ExposurePropensity inc = new ExposurePropensity();
      for (int k = 0; k < users.length; k++) {
        inc.observeImpression(users[k], items[k], times[k], Double.NaN);
      }
      // Independent reference: theta_i = |{u : (u, i) in log}| / |{u in log}| by brute force.
      boolean[][] shown = new boolean[100][40];
      boolean[] activeUser = new boolean[100];
      for (int k = 0; k < users.length; k++) {
        shown[users[k]][items[k]] = true;
        activeUser[users[k]] = true;
      }
      int active = 0;
      for (boolean a : activeUser) {
        active += a ? 1 : 0;
      }
      float[] brute = new float[40];
      for (int i = 0; i < 40; i++) {
        int e = 0;
        for (int u = 0; u < 100; u++) {
          e += shown[u][i] ? 1 : 0;
        }
        brute[i] = (float) ((double) e / active);
      }
      // Without decay all weights are exactly 1: integer counts, bit-for-bit equal.
      assertArrayEquals(brute, ExposurePropensity.fromImpressions(users, items, times, 40, 0));
      assertArrayEquals(brute, inc.thetas(40));
      assertEquals(active, inc.distinctUsers());
      assertEquals(active, inc.activeUsers(0L));
      assertEquals(3_000, inc.impressions());
      assertTrue(inc.distinctPairs() < 3_000, "the log must repeat pairs for this test to mean much");
    }
  }

  @Test
  void incrementalEqualsBatchWithDecay() {
    // Half-life 1 day over 10 days; the scaled incremental sums (with replacement of a pair's older
    // contribution) and the batch sums of each pair's latest weight agree up to rounding.
    for (long seed = 21; seed <= 25; seed++) {
      Object[] log = randomLog(seed, 3_000);
      int[] users = (int[]) log[0];
      int[] items = (int[]) log[1];
      long[] times = (long[]) log[2];
      long h = 24 * 60 * MINUTE;
      ExposurePropensity inc = new ExposurePropensity(h);
      for (int k = 0; k < users.length; k++) {
        inc.observeImpression(users[k], items[k], times[k], Double.NaN);
      }
      float[] batch = ExposurePropensity.fromImpressions(users, items, times, 40, h);
      float[] incremental = inc.thetas(40);
      for (int i = 0; i < 40; i++) {
        assertTrue(incremental[i] >= 0 && incremental[i] <= 1);
        assertEquals(batch[i], incremental[i], 1e-6f * batch[i] + 1e-37f, "item " + i);
      }
      float[] flat = ExposurePropensity.fromImpressions(users, items, times, 40, 0);
      double maxDiff = 0;
      for (int i = 0; i < 40; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(flat[i] - batch[i]));
      }
      assertTrue(maxDiff > 0.05, "decay changed nothing: " + maxDiff);
    }
  }

  @Test
  void rescalingOverThousandsOfHalfLives() {
    // Half-life 1 s, stream of about 3,000 s: several rescales by 2^-k of pairs, users and sums.
    long h = 1_000L;
    SplittableRandom rng = new SplittableRandom(3);
    int n = 12_000;
    int[] users = new int[n];
    int[] items = new int[n];
    long[] times = new long[n];
    ExposurePropensity inc = new ExposurePropensity(h);
    for (int k = 0; k < n; k++) {
      users[k] = rng.nextInt(30);
      items[k] = rng.nextInt(10);
      times[k] = k * 250L + rng.nextLong(0, 400);
      inc.observeImpression(users[k], items[k], times[k], Double.NaN);
    }
    float[] batch = ExposurePropensity.fromImpressions(users, items, times, 10, h);
    for (int i = 0; i < 10; i++) {
      assertEquals(batch[i], inc.theta(i), 1e-6f * batch[i] + 1e-37f, "item " + i);
      assertTrue(Double.isFinite(inc.exposedUsers(i, times[n - 1])));
    }
  }

  @Test
  void distinctUsersAndDecay() {
    long h = 10 * MINUTE;
    ExposurePropensity p = new ExposurePropensity(h);
    // User 0 sees item 0 three times at t = 0: one distinct user, counted once.
    p.observeImpression(0, 0, 0L, Double.NaN);
    p.observeImpression(0, 0, 0L, Double.NaN);
    p.observeImpression(0, 0, 0L, Double.NaN);
    assertEquals(1.0, p.exposedUsers(0, 0L), 1e-12);
    assertEquals(1f, p.theta(0));
    // One half-life later user 1 sees item 1. At t = h: E_0 = 2^-1 (user 0 at t = 0), E_1 = 1,
    // A = 2^-1 + 1 = 1.5. theta_0 = 0.5 / 1.5 = 1/3, theta_1 = 1 / 1.5 = 2/3.
    p.observeImpression(1, 1, h, Double.NaN);
    assertEquals(0.5, p.exposedUsers(0, h), 1e-12);
    assertEquals(1.5, p.activeUsers(h), 1e-12);
    assertEquals(1f / 3f, p.theta(0), 1e-7f);
    assertEquals(2f / 3f, p.theta(1), 1e-7f);
    // The ratio does not depend on when it is read: at t = 3h all terms are 4x smaller.
    assertEquals(0.125, p.exposedUsers(0, 3 * h), 1e-12);
    assertEquals(0.375, p.activeUsers(3 * h), 1e-12);
    // User 0 sees item 0 again at t = h: the pair's contribution 2^-1 is replaced by 1 and so is the
    // user's: E_0 = 1, E_1 = 1, A = 2 -> both thetas 1/2.
    p.observeImpression(0, 0, h, Double.NaN);
    assertEquals(0.5f, p.theta(0), 1e-7f);
    assertEquals(0.5f, p.theta(1), 1e-7f);
    // An older impression of a known pair is ignored (its latest time is already later).
    p.observeImpression(0, 0, 0L, Double.NaN);
    assertEquals(0.5f, p.theta(0), 1e-7f);
    // Without decay the same log is plain distinct counting: E = (1, 1), A = 2.
    ExposurePropensity flat = new ExposurePropensity();
    flat.observeImpression(0, 0, 0L, Double.NaN);
    flat.observeImpression(0, 0, 5L, Double.NaN);
    flat.observeImpression(1, 1, h, Double.NaN);
    assertArrayEquals(new float[] {0.5f, 0.5f}, flat.thetas());
    assertEquals(2, flat.distinctPairs());
  }

  @Test
  void loggedPropensityOverridesTheEstimate() {
    ExposurePropensity p = new ExposurePropensity();
    // Users 0..3 active, item 0 shown to users 0 and 1: estimate theta_0 = 2 / 4 = 0.5.
    p.observeImpression(0, 0, 1L, 0.2);
    p.observeImpression(1, 0, 1L, Double.NaN);
    p.observeImpression(2, 1, 1L, 1.0);
    p.observeImpression(3, 1, 1L, 0.0); // 0 is not a probability of a shown item: ignored
    assertEquals(0.5f, p.theta(0));
    // theta(item, p): the logged probability when in (0, 1], else the estimate.
    assertEquals(0.3f, p.theta(0, 0.3));
    assertEquals(1f, p.theta(0, 1.0));
    assertEquals(0.5f, p.theta(0, Double.NaN));
    assertEquals(0.5f, p.theta(0, 0.0));
    assertEquals(0.5f, p.theta(0, -0.5));
    assertEquals(0.5f, p.theta(0, 1.5));
    // theta(user, item): the probability logged with the pair's latest impression, else estimate.
    assertEquals(0.2f, p.theta(0, 0));
    assertEquals(0.5f, p.theta(1, 0));
    assertEquals(1f, p.theta(2, 1));
    assertEquals(0.5f, p.theta(3, 1)); // theta_1 = 2 / 4
    assertEquals(0f, p.theta(9, 9)); // never shown
    // A newer impression without a logged probability replaces the pair's logged value.
    p.observeImpression(0, 0, 2L, Double.NaN);
    assertEquals(0.5f, p.theta(0, 0));
    p.observeImpression(0, 0, 3L, 0.7);
    assertEquals(0.7f, p.theta(0, 0));
    assertTrue(ExposurePropensity.isLoggedPropensity(1e-9));
    assertTrue(!ExposurePropensity.isLoggedPropensity(Double.NaN));
  }

  @Test
  void edgeCases() {
    ExposurePropensity p = new ExposurePropensity(MINUTE);
    assertEquals(0f, p.theta(0));
    assertEquals(0, p.thetas().length);
    assertEquals(0.0, p.activeUsers(0L));
    p.ensureItems(3);
    assertArrayEquals(new float[3], p.thetas());
    // One user, one item: theta = 1 / 1.
    p.observeImpression(5, 1, 100L, Double.NaN);
    assertArrayEquals(new float[] {0f, 1f, 0f}, p.thetas());
    assertThrows(IllegalArgumentException.class, () -> p.observeImpression(-1, 0, 0L, Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> new ExposurePropensity(-5));
    assertArrayEquals(new float[2],
        ExposurePropensity.fromImpressions(new int[0], new int[0], new long[0], 2, MINUTE));
    // Growth: many users and items.
    ExposurePropensity big = new ExposurePropensity();
    for (int u = 0; u < 5_000; u++) {
      big.observeImpression(u, u % 7, u, Double.NaN);
      big.observeImpression(u, 100, u, Double.NaN);
    }
    assertEquals(1f, big.theta(100));
    // u % 7 == 6 for u = 7k + 6, k = 0 .. 713 (7 * 713 + 6 = 4997 < 5000 <= 7 * 714 + 6): 714 users.
    assertEquals(714f / 5000f, big.theta(6), 1e-7f);
  }
}
