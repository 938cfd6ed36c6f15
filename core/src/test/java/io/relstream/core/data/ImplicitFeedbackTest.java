package io.relstream.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ImplicitFeedbackTest {

  static Dataset small() {
    // 3 users x 4 items; ratings >= 4 are clicks
    Ratings train = new Ratings(new int[] {0, 0, 1, 1, 2, 2, 2, 0, 1, 2},
        new int[] {0, 1, 1, 2, 0, 3, 1, 3, 3, 2}, new byte[] {5, 2, 4, 4, 1, 5, 4, 3, 5, 4});
    Ratings test = new Ratings(new int[] {0}, new int[] {2}, new byte[] {4});
    return new Dataset("small", 3, 4, train, test);
  }

  @Test
  void noHoldOutKeepsEveryClickOnce() {
    ImplicitFeedback f = ImplicitFeedback.prepare(small(), 0.0, 1);
    assertEquals(0, f.validation.size());
    assertEquals(7, f.positiveCount()); // ratings >= 4: (0,0) (1,1) (1,2) (2,3) (2,1) (1,3) (2,2)
    assertTrue(f.isPositive(0, 0));
    assertFalse(f.isPositive(0, 1)); // rated 2
    assertFalse(f.isPositive(0, 2)); // unrated
    assertArrayEquals(new long[] {1, 2, 2, 2}, f.itemClicks);
    assertArrayEquals(new int[] {1, 2, 3}, f.userPositives(1));
    assertEquals(3, f.userPositiveCount(2));
  }

  @Test
  void holdOutIsSeededAndDisjoint() {
    ImplicitFeedback a = ImplicitFeedback.prepare(small(), 0.3, 42);
    ImplicitFeedback b = ImplicitFeedback.prepare(small(), 0.3, 42);
    assertEquals(3, a.validation.size()); // floor(0.3 * 10)
    assertEquals(7, a.train.size());
    assertArrayEquals(a.validation.items(), b.validation.items());
    assertArrayEquals(a.validation.users(), b.validation.users());
    // clicks counted from the training part only
    long clicks = 0;
    for (long c : a.itemClicks) clicks += c;
    assertEquals(a.positiveCount(), clicks);
    int differs = 0;
    for (long seed = 0; seed < 20; seed++) {
      ImplicitFeedback c = ImplicitFeedback.prepare(small(), 0.3, seed);
      if (!java.util.Arrays.equals(c.validation.items(), a.validation.items())
          || !java.util.Arrays.equals(c.validation.users(), a.validation.users())) differs++;
    }
    assertNotEquals(0, differs, "the split must depend on the seed");
  }
}
