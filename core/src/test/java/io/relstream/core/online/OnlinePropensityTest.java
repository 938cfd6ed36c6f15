package io.relstream.core.online;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.core.online.OnlinePropensity.Estimate;
import io.relstream.core.online.OnlinePropensity.Mode;
import io.relstream.core.online.OnlinePropensity.Source;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class OnlinePropensityTest {

  @Test
  void autoPrefersLoggedThenExposureThenPopularity() {
    OnlinePropensity p = new OnlinePropensity(Mode.AUTO, 0.5, 0);
    // clicks without impressions: popularity; the first click is the max, theta = 1
    Estimate e = p.observe("u1", "a", 1, true, false, -1, Double.NaN);
    assertEquals(Source.POPULARITY, e.source());
    assertEquals(1f, e.theta());
    assertEquals(1.0, e.clicks());
    p.observe("u1", "a", 2, true, false, -1, Double.NaN);
    p.observe("u1", "a", 3, true, false, -1, Double.NaN);
    p.observe("u2", "a", 4, true, false, -1, Double.NaN);
    e = p.observe("u2", "b", 5, true, false, -1, Double.NaN);
    assertEquals((float) Math.sqrt(1.0 / 4), e.theta(), 1e-7, "(1 / 4)^0.5");
    // a logged probability wins
    e = p.observe("u3", "b", 6, false, true, 2, 0.3);
    assertEquals(Source.LOGGED, e.source());
    assertEquals(0.3f, e.theta());
    assertEquals(1.0, e.clicks());
    // impressions exist now: exposure, distinct users shown b over active users (u3 only) = 1
    e = p.observe("u4", "c", 7, false, true, -1, Double.NaN);
    assertEquals(Source.EXPOSURE, e.source());
    assertEquals(0.5f, e.theta(), "c shown to 1 of 2 active users");
    e = p.observe("u4", "b", 8, true, false, -1, Double.NaN);
    assertEquals(0.5f, e.theta(), "a click without impression: b still shown to u3 only, of 2");
    assertEquals(2.0, e.clicks());
    assertEquals(0.0, p.positionClickRate(2, 8));
    assertTrue(Double.isNaN(p.positionClickRate(0, 8)));
  }

  @Test
  void fixedModesIgnoreLoggedProbabilities() {
    OnlinePropensity exp = new OnlinePropensity(Mode.EXPOSURE, 0.5, 0);
    OnlinePropensity pop = new OnlinePropensity(Mode.POPULARITY, 1.0, 0);
    for (OnlinePropensity p : new OnlinePropensity[] {exp, pop}) {
      p.observe("u1", "a", 1, true, true, 0, 0.9);
      p.observe("u2", "a", 2, true, true, 0, 0.9);
      p.observe("u2", "b", 3, true, true, 1, 0.9);
    }
    Estimate e = exp.observe("u3", "b", 4, false, true, 1, 0.9);
    assertEquals(Source.EXPOSURE, e.source());
    assertEquals(2f / 3f, e.theta(), 1e-7);
    e = pop.observe("u3", "b", 4, false, true, 1, 0.9);
    assertEquals(Source.POPULARITY, e.source());
    assertEquals(0.5f, e.theta(), "1 click on b, 2 on a, eta 1");
    assertEquals(0.5, pop.positionClickRate(1, 4));
    assertThrows(IllegalArgumentException.class, () -> Mode.parse("nope"));
    assertEquals(Mode.EXPOSURE, Mode.parse("exposure"));
  }

  @Test
  void restoredMidStreamContinuesBitForBit() {
    SplittableRandom rng = new SplittableRandom(3);
    OnlinePropensity whole = new OnlinePropensity(Mode.AUTO, 0.5, 60_000L);
    OnlinePropensity part = new OnlinePropensity(Mode.AUTO, 0.5, 60_000L);
    for (int k = 0; k < 4000; k++) {
      String u = "u" + rng.nextInt(100);
      String i = "i" + (int) (50 * Math.pow(rng.nextDouble(), 2));
      long t = 1_000_000L * k;
      boolean clicked = rng.nextDouble() < 0.2;
      boolean shown = rng.nextDouble() < 0.9;
      int pos = rng.nextInt(5) - 1;
      double logged = rng.nextDouble() < 0.2 ? rng.nextDouble() : Double.NaN;
      Estimate a = whole.observe(u, i, t, clicked, shown, pos, logged);
      if (k == 2500) {
        byte[] snap = part.snapshot();
        part = OnlinePropensity.restore(snap);
        assertArrayEquals(snap, part.snapshot());
      }
      Estimate b = part.observe(u, i, t, clicked, shown, pos, logged);
      assertEquals(a, b, "event " + k);
    }
    assertArrayEquals(whole.snapshot(), part.snapshot());
    assertThrows(IllegalArgumentException.class, () -> OnlinePropensity.restore(new byte[] {1, 2, 3}));
  }
}
