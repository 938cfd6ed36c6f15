package io.relstream.core.topk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;

class TopKTest {

  /** Four items in 2-d: (1,0), (0,1), (1,1), (-1,0). */
  private static final float[] TABLE = {1, 0, 0, 1, 1, 1, -1, 0};

  @Test
  void dotScoresHandChecked() {
    // query (2, 1): scores 2, 1, 3, -2
    TopK.Result r = TopK.byDot(TABLE, 4, 2, new float[] {2, 1}, 3, null);
    assertArrayEquals(new int[] {2, 0, 1}, r.indices());
    assertArrayEquals(new float[] {3, 2, 1}, r.scores());
  }

  @Test
  void exclusionSkipsItems() {
    BitSet clicked = new BitSet();
    clicked.set(2);
    TopK.Result r = TopK.byDot(TABLE, 4, 2, new float[] {2, 1}, 10, clicked::get);
    assertArrayEquals(new int[] {0, 1, 3}, r.indices());
    assertArrayEquals(new float[] {2, 1, -2}, r.scores());
  }

  @Test
  void tiesGoToTheLowerIndex() {
    float[] scores = {1, 5, 5, 2, 5, 5};
    TopK.Result r = TopK.byScore(scores, 6, 3, null);
    assertArrayEquals(new int[] {1, 2, 4}, r.indices());
    // and when all are equal, by index
    TopK.Result same = TopK.byScore(new float[] {0, 0, 0, 0}, 4, 2, null);
    assertArrayEquals(new int[] {0, 1}, same.indices());
  }

  @Test
  void nanScoresAreNeverReturned() {
    TopK.Result r = TopK.byScore(new float[] {Float.NaN, 1, Float.NaN}, 3, 3, null);
    assertArrayEquals(new int[] {1}, r.indices());
  }

  @Test
  void fewerEligibleThanK() {
    assertEquals(0, TopK.byDot(TABLE, 0, 2, new float[] {1, 1}, 5, null).size());
    assertEquals(4, TopK.byDot(TABLE, 4, 2, new float[] {1, 1}, 5, null).size());
  }

  @Test
  void similarIsCosineAndExcludesTheItem() {
    // item 0 = (1,0): cosines with (0,1)=0, (1,1)=1/sqrt2, (-1,0)=-1
    TopK.Result r = TopK.similar(TABLE, 4, 2, 0, 10, null);
    assertArrayEquals(new int[] {2, 1, 3}, r.indices());
    assertArrayEquals(new float[] {(float) (1 / Math.sqrt(2)), 0f, -1f}, r.scores(), 1e-6f);
  }

  @Test
  void similarWithZeroRowScoresZero() {
    float[] t = {0, 0, 3, 4, 6, 8};
    TopK.Result r = TopK.similar(t, 3, 2, 1, 5, null);
    assertArrayEquals(new int[] {2, 0}, r.indices());
    assertArrayEquals(new float[] {1f, 0f}, r.scores(), 1e-6f);
  }

  @Test
  void rejectsBadArguments() {
    assertThrows(IllegalArgumentException.class, () -> TopK.byDot(TABLE, 4, 2, new float[] {1}, 1, null));
    assertThrows(IllegalArgumentException.class, () -> TopK.byDot(TABLE, 4, 2, new float[] {1, 1}, 0, null));
    assertThrows(IllegalArgumentException.class, () -> TopK.byDot(TABLE, 5, 2, new float[] {1, 1}, 1, null));
    assertThrows(IllegalArgumentException.class, () -> TopK.similar(TABLE, 4, 2, 4, 1, null));
  }

  @Test
  void matchesBruteForceOnRandomData() {
    Random rnd = new Random(42);
    for (int trial = 0; trial < 200; trial++) {
      int count = rnd.nextInt(300);
      int dim = 1 + rnd.nextInt(8);
      int k = 1 + rnd.nextInt(40);
      float[] table = new float[count * dim];
      for (int i = 0; i < table.length; i++) {
        // coarse values so that ties happen
        table[i] = rnd.nextInt(5) - 2;
      }
      float[] query = new float[dim];
      for (int j = 0; j < dim; j++) {
        query[j] = rnd.nextInt(5) - 2;
      }
      BitSet ex = new BitSet();
      for (int i = 0; i < count; i++) {
        if (rnd.nextInt(5) == 0) {
          ex.set(i);
        }
      }
      float[] scores = new float[count];
      for (int i = 0; i < count; i++) {
        scores[i] = TopK.dot(table, i * dim, query, 0, dim);
      }
      TopK.Result expected = bruteForce(scores, k, ex::get);
      assertEquals(expected, TopK.byDot(table, count, dim, query, k, ex::get), "trial " + trial);
      assertEquals(expected, TopK.byScore(scores, count, k, ex::get), "trial " + trial);
      if (count > 0) {
        int item = rnd.nextInt(count);
        float[] cos = new float[count];
        double qn = Math.sqrt(TopK.dot(table, item * dim, table, item * dim, dim));
        for (int i = 0; i < count; i++) {
          double n = Math.sqrt(TopK.dot(table, i * dim, table, i * dim, dim));
          cos[i] = n == 0 || qn == 0 ? 0f : (float) (TopK.dot(table, i * dim, table, item * dim, dim) / (n * qn));
        }
        IntPredicate notSelf = i -> i == item || ex.get(i);
        assertEquals(bruteForce(cos, k, notSelf), TopK.similar(table, count, dim, item, k, ex::get));
      }
    }
  }

  /** Sort everything, then cut: the definition the heap must reproduce. */
  static TopK.Result bruteForce(float[] scores, int k, IntPredicate excluded) {
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < scores.length; i++) {
      if (!excluded.test(i) && !Float.isNaN(scores[i])) {
        order.add(i);
      }
    }
    order.sort(Comparator.<Integer>comparingDouble(i -> -scores[i]).thenComparingInt(i -> i));
    int n = Math.min(k, order.size());
    int[] idx = new int[n];
    float[] val = new float[n];
    for (int r = 0; r < n; r++) {
      idx[r] = order.get(r);
      val[r] = scores[idx[r]];
    }
    return new TopK.Result(idx, val);
  }
}
