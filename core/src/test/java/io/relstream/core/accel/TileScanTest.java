package io.relstream.core.accel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.core.topk.TopK;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * {@link TileScan} against the reference {@link TopK#byDot}: same items, same order, same score bits, on
 * every path present (Vector API or scalar, one or two threads), for tables that do not fill their last
 * tile, batches that are not multiples of the four-query block, exclusions, ties, NaN rows and k above
 * the eligible count.
 */
class TileScanTest {

  static Stream<Arguments> paths() {
    List<Arguments> out = new ArrayList<>();
    for (boolean vector : Accel.vectorUnavailable() == null ? new boolean[] {true, false} : new boolean[] {false}) {
      for (int threads : new int[] {1, 2, 3}) {
        out.add(Arguments.of(vector, threads));
      }
    }
    return out.stream();
  }

  /** Rows uniform in [-0.5, 0.5), rounded to 1/8 so equal scores (ties) are common, plus exact duplicates. */
  static float[] table(int n, int dim, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] rows = new float[n * dim];
    for (int j = 0; j < rows.length; j++) {
      rows[j] = Math.round((rng.nextDouble() - 0.5) * 8) / 8f;
    }
    for (int i = 3; i + 1 < n; i += 97) {
      System.arraycopy(rows, i * dim, rows, (i + 1) * dim, dim); // duplicate rows: tied scores
    }
    return rows;
  }

  @ParameterizedTest(name = "vector={0} threads={1}")
  @MethodSource("paths")
  void matchesTheReferenceWithExclusionsTiesAndRaggedTiles(boolean vector, int threads) {
    int dim = 24;
    int n = ItemTiles.tileFor(dim) * 3 + 77;
    float[] rows = table(n, dim, 5);
    for (int d = 0; d < dim; d++) {
      rows[40 * dim + d] = Float.NaN; // a NaN row is never returned
    }
    ItemTiles t = ItemTiles.of(rows, n, dim);
    SplittableRandom rng = new SplittableRandom(9);
    try (TileScan scan = new TileScan(threads, vector)) {
      for (int b : new int[] {1, 3, 4, 5, 9}) {
        float[] q = new float[b * dim];
        for (int j = 0; j < q.length; j++) {
          q[j] = Math.round((rng.nextDouble() - 0.5) * 8) / 8f;
        }
        int[][] ex = new int[b][];
        for (int u = 0; u < b; u++) {
          ex[u] = rng.ints(u * 7L, 0, n).distinct().sorted().toArray();
        }
        for (int k : new int[] {1, 10, 257}) {
          int[] items = new int[b * k];
          float[] scores = new float[b * k];
          scan.topK(t, q, b, k, ex, items, scores);
          for (int u = 0; u < b; u++) {
            int[] e = ex[u];
            TopK.Result ref = TopK.byDot(rows, n, dim, Arrays.copyOfRange(q, u * dim, (u + 1) * dim), k,
                i -> Arrays.binarySearch(e, i) >= 0);
            assertEquals(Math.min(k, ref.size()), ref.size());
            for (int j = 0; j < k; j++) {
              int got = items[u * k + j];
              if (j < ref.size()) {
                assertEquals(ref.index(j), got, "b=" + b + " k=" + k + " user " + u + " rank " + j);
                assertEquals(Float.floatToIntBits(ref.score(j)), Float.floatToIntBits(scores[u * k + j]));
              } else {
                assertEquals(-1, got);
              }
            }
          }
        }
      }
    }
  }

  @ParameterizedTest(name = "vector={0} threads={1}")
  @MethodSource("paths")
  void fewerEligibleThanKLeavesSentinels(boolean vector, int threads) {
    int dim = 8;
    float[] rows = table(5, dim, 3);
    ItemTiles t = ItemTiles.of(rows, 5, dim);
    float[] q = Arrays.copyOf(rows, dim);
    int[] items = new int[10];
    float[] scores = new float[10];
    try (TileScan scan = new TileScan(threads, vector)) {
      scan.topK(t, q, 1, 10, new int[][] {{1, 4}}, items, scores);
    }
    assertEquals(3, Arrays.stream(items).filter(i -> i >= 0).count());
    assertTrue(Arrays.stream(items).noneMatch(i -> i == 1 || i == 4));
    assertEquals(-1, items[3]);
    assertEquals(Float.NEGATIVE_INFINITY, scores[9]);
  }

  @Test
  void candidatesScoreOnlyThoseItems() {
    int dim = 16;
    int n = 3000;
    float[] rows = table(n, dim, 11);
    ItemTiles t = ItemTiles.of(rows, n, dim);
    float[] q = Arrays.copyOfRange(rows, 7 * dim, 8 * dim);
    int[] cands = {2, 19, 700, 701, 2999};
    int[] items = new int[4];
    float[] scores = new float[4];
    try (TileScan scan = new TileScan(1, false)) {
      scan.topKOf(t, q, 1, 4, cands, items, scores);
    }
    TopK.Result ref = TopK.byDot(rows, n, dim, q, 4, i -> Arrays.binarySearch(cands, i) < 0);
    assertArrayEquals(ref.indices(), items);
    assertArrayEquals(ref.scores(), scores);
  }

  @Test
  void withRowsCopiesOnlyTouchedTilesAndLeavesTheOldTableAlone() {
    int dim = 4;
    int tile = ItemTiles.tileFor(dim);
    int n = tile * 3;
    float[] rows = table(n, dim, 1);
    ItemTiles before = ItemTiles.of(rows, n, dim);
    float[] fresh = {9, 9, 9, 9};
    ItemTiles after = before.withRows(new int[] {tile + 5}, fresh);
    assertArrayEquals(Arrays.copyOfRange(rows, (tile + 5) * dim, (tile + 6) * dim), before.row(tile + 5));
    assertArrayEquals(fresh, after.row(tile + 5));
    assertTrue(before.tile(0) == after.tile(0) && before.tile(2) == after.tile(2), "untouched tiles shared");
    assertNotSame(before.tile(1), after.tile(1));
    assertEquals(36f, after.dot(tile + 5, new float[] {1, 1, 1, 1}));
  }

  @Test
  void selectNamesAPathThatRuns() {
    TileScan.Choice c = TileScan.select(5000, 16, 20);
    assertTrue(c.path().startsWith("java-tiled-"), c.path());
    assertTrue(c.reason().contains("queries/s"), c.reason());
    assertTrue(c.reason().contains("opencl"), c.reason());
    try (TileScan s = c.create()) {
      assertEquals(c.path(), s.path());
    }
  }
}
