package io.relstream.core.topk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.relstream.core.estimator.ClippedIps;
import java.util.BitSet;
import org.junit.jupiter.api.Test;

class DebiasedPopularityTest {

  @Test
  void scoreIsClicksOverClippedPropensity() {
    DebiasedPopularity p = new DebiasedPopularity();
    assertEquals(0.009136, p.clip());
    assertEquals(10 / 0.5, p.score(10, 0.5), 1e-12);
    // theta below the clip: divided by M
    assertEquals(3 / 0.009136, p.score(3, 0.001), 1e-9);
    assertEquals(0.0, p.score(0, 0.2));
    // M = 0 and theta = 0: the estimator's floor
    assertEquals(2 / (double) ClippedIps.THETA_FLOOR, new DebiasedPopularity(0).score(2, 0), 1e-9);
  }

  @Test
  void rareButClickedItemOutranksPopularOne() {
    // item 0: 100 clicks, exposed to everyone (theta 1) -> 100
    // item 1: 5 clicks, theta 0.02 -> 250
    // item 2: 1 click, theta 0.0001 -> clipped: 1/0.009136 = 109.46
    // item 3: 50 clicks, theta 0.5 -> 100 (ties with item 0: lower index first)
    DebiasedPopularity p = new DebiasedPopularity();
    TopK.Result r = p.top(new double[] {100, 5, 1, 50}, new double[] {1, 0.02, 0.0001, 0.5}, 4, 4, null);
    assertArrayEquals(new int[] {1, 2, 0, 3}, r.indices());
    assertArrayEquals(new float[] {250f, (float) (1 / 0.009136), 100f, 100f}, r.scores(), 1e-3f);
    BitSet ex = new BitSet();
    ex.set(1);
    assertArrayEquals(new int[] {2, 0}, p.top(new double[] {100, 5, 1, 50}, new double[] {1, 0.02, 0.0001, 0.5},
        4, 2, ex::get).indices());
  }

  @Test
  void rejectsBadInput() {
    DebiasedPopularity p = new DebiasedPopularity();
    assertThrows(IllegalArgumentException.class, () -> new DebiasedPopularity(-0.1));
    assertThrows(IllegalArgumentException.class, () -> new DebiasedPopularity(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> p.score(-1, 0.5));
    assertThrows(IllegalArgumentException.class, () -> p.score(1, Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> p.score(Double.POSITIVE_INFINITY, 0.5));
  }
}
