package io.relstream.core.propensity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** snapshot()/restore() of both estimators: a restored estimator continues bit for bit. */
class PropensitySnapshotTest {
  private static final long HOUR = 3_600_000L;
  private static final long T0 = 1_700_000_000_000L;

  @Test
  void popularityRestoredMidStreamContinuesBitForBit() {
    SplittableRandom rng = new SplittableRandom(1);
    // half-life 1 h over 2000 h of stream: several rescales (every 512 half-lives) happen
    PopularityPropensity whole = new PopularityPropensity(0.5, HOUR);
    PopularityPropensity first = new PopularityPropensity(0.5, HOUR);
    int n = 4000;
    int[] items = new int[n];
    long[] times = new long[n];
    for (int k = 0; k < n; k++) {
      items[k] = (int) (60 * Math.pow(rng.nextDouble(), 2));
      times[k] = T0 + 2000 * HOUR * k / n + rng.nextLong(-HOUR, HOUR);
    }
    PopularityPropensity second = null;
    for (int k = 0; k < n; k++) {
      whole.observeClick(items[k], times[k]);
      if (k < n / 2) {
        first.observeClick(items[k], times[k]);
        if (k == n / 2 - 1) {
          byte[] snap = first.snapshot();
          second = PopularityPropensity.restore(snap);
          assertArrayEquals(snap, second.snapshot(), "restore then snapshot is the identity");
        }
      } else {
        second.observeClick(items[k], times[k]);
      }
    }
    assertArrayEquals(whole.thetas(), second.thetas());
    assertEquals(whole.clicks(), second.clicks());
    long end = times[n - 1];
    for (int i = 0; i < whole.numItems(); i++) {
      assertEquals(whole.count(i, end), second.count(i, end), "count of item " + i);
    }
    assertArrayEquals(whole.snapshot(), second.snapshot());
    assertTrue(whole.thetas()[0] > 0);
  }

  @Test
  void exposureRestoredMidStreamContinuesBitForBit() {
    SplittableRandom rng = new SplittableRandom(2);
    ExposurePropensity whole = new ExposurePropensity(HOUR);
    ExposurePropensity first = new ExposurePropensity(HOUR);
    ExposurePropensity second = null;
    int n = 5000;
    for (int k = 0; k < n; k++) {
      int u = rng.nextInt(200);
      int i = (int) (80 * Math.pow(rng.nextDouble(), 2));
      long t = T0 + 1500 * HOUR * k / n + rng.nextLong(-HOUR, HOUR);
      double logged = rng.nextDouble() < 0.3 ? rng.nextDouble() : Double.NaN;
      whole.observeImpression(u, i, t, logged);
      if (k < 3 * n / 5) {
        first.observeImpression(u, i, t, logged);
        if (k == 3 * n / 5 - 1) {
          second = ExposurePropensity.restore(first.snapshot());
          assertArrayEquals(first.snapshot(), second.snapshot());
        }
      } else {
        second.observeImpression(u, i, t, logged);
      }
    }
    assertArrayEquals(whole.thetas(), second.thetas());
    assertEquals(whole.distinctPairs(), second.distinctPairs());
    assertEquals(whole.distinctUsers(), second.distinctUsers());
    assertEquals(whole.impressions(), second.impressions());
    for (int u = 0; u < 200; u += 7) {
      for (int i = 0; i < 80; i += 3) {
        assertEquals(whole.theta(u, i), second.theta(u, i), "theta(" + u + ", " + i + ")");
      }
    }
    assertArrayEquals(whole.snapshot(), second.snapshot());
  }

  @Test
  void emptyEstimatorsRoundTrip() {
    PopularityPropensity p = PopularityPropensity.restore(new PopularityPropensity().snapshot());
    assertEquals(0, p.numItems());
    assertEquals(PopularityPropensity.DEFAULT_ETA, p.eta());
    ExposurePropensity e = ExposurePropensity.restore(new ExposurePropensity().snapshot());
    assertEquals(0, e.numItems());
    assertEquals(0L, e.impressions());
  }

  @Test
  void rejectsForeignOrTruncatedBytes() {
    byte[] pop = new PopularityPropensity(0.5, HOUR).snapshot();
    byte[] exp = new ExposurePropensity().snapshot();
    assertThrows(IllegalArgumentException.class, () -> PopularityPropensity.restore(exp));
    assertThrows(IllegalArgumentException.class, () -> ExposurePropensity.restore(pop));
    assertThrows(IllegalArgumentException.class,
        () -> PopularityPropensity.restore(Arrays.copyOf(pop, pop.length - 3)));
    assertThrows(IllegalArgumentException.class,
        () -> ExposurePropensity.restore(Arrays.copyOf(exp, exp.length + 1)));
    assertThrows(IllegalArgumentException.class, () -> PopularityPropensity.restore(new byte[0]));
  }
}
