package io.relstream.core.topk;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * Exact top-k over a row-major item table: {@code table[i * dim + j]} is coordinate j of item i, for
 * {@code 0 <= i < count}.
 *
 * <p>Selection keeps a bounded min-heap of the k best candidates seen so far, so a query costs
 * O(count * dim + count * log k) time and O(k) extra memory. The order is total and deterministic:
 * higher score first; equal scores by lower item index first. Items whose score is NaN are never
 * returned; excluded items are not scored at all. Fewer than k results come back when fewer than k
 * items are eligible.
 *
 * <p>Stateless and thread-safe; the caller must not modify the table during a call.
 */
public final class TopK {

  private TopK() {}

  /** Ranked indices and their scores, best first; both arrays have {@link #size()} entries. */
  public record Result(int[] indices, float[] scores) {
    public Result {
      if (indices.length != scores.length) {
        throw new IllegalArgumentException("indices and scores differ in length");
      }
    }

    /** The empty result. */
    public static final Result EMPTY = new Result(new int[0], new float[0]);

    public int size() {
      return indices.length;
    }

    public int index(int rank) {
      return indices[rank];
    }

    public float score(int rank) {
      return scores[rank];
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Result r && Arrays.equals(indices, r.indices) && Arrays.equals(scores, r.scores);
    }

    @Override
    public int hashCode() {
      return 31 * Arrays.hashCode(indices) + Arrays.hashCode(scores);
    }

    @Override
    public String toString() {
      return "Result" + Arrays.toString(indices) + Arrays.toString(scores);
    }
  }

  /**
   * The k items with the highest dot product {@code <query, row_i>}.
   *
   * @param table row-major item table, at least {@code count * dim} long
   * @param count number of rows to consider
   * @param dim row length, equal to {@code query.length}
   * @param query the query vector (e.g. a user's factors)
   * @param k how many to return, &ge; 1
   * @param excluded items never returned (e.g. already clicked); null for none. A
   *     {@link java.util.BitSet} fits as {@code bits::get}.
   */
  public static Result byDot(float[] table, int count, int dim, float[] query, int k, IntPredicate excluded) {
    checkTable(table, count, dim);
    if (query.length != dim) {
      throw new IllegalArgumentException("query has " + query.length + " coordinates, table rows " + dim);
    }
    Heap heap = new Heap(k);
    for (int i = 0; i < count; i++) {
      if (excluded != null && excluded.test(i)) {
        continue;
      }
      heap.offer(i, dot(table, i * dim, query, 0, dim));
    }
    return heap.drain();
  }

  /**
   * The k best of precomputed scores: {@code scores[i]} for {@code 0 <= i < count}, same order and
   * exclusion rules as {@link #byDot}.
   */
  public static Result byScore(float[] scores, int count, int k, IntPredicate excluded) {
    if (count < 0 || count > scores.length) {
      throw new IllegalArgumentException("count " + count + " outside 0.." + scores.length);
    }
    Heap heap = new Heap(k);
    for (int i = 0; i < count; i++) {
      if (excluded == null || !excluded.test(i)) {
        heap.offer(i, scores[i]);
      }
    }
    return heap.drain();
  }

  /**
   * The k items most similar to item {@code item} by <b>cosine similarity</b>
   * {@code <a, b> / (|a| |b|)}, excluding {@code item} itself and any {@code excluded} item. A row
   * with zero norm (including the query row) has similarity 0 with everything.
   */
  public static Result similar(float[] table, int count, int dim, int item, int k, IntPredicate excluded) {
    checkTable(table, count, dim);
    if (item < 0 || item >= count) {
      throw new IllegalArgumentException("item " + item + " outside 0.." + (count - 1));
    }
    int base = item * dim;
    double queryNorm = Math.sqrt(dot(table, base, table, base, dim));
    Heap heap = new Heap(k);
    for (int i = 0; i < count; i++) {
      if (i == item || (excluded != null && excluded.test(i))) {
        continue;
      }
      double norm = Math.sqrt(dot(table, i * dim, table, i * dim, dim));
      float s = norm == 0 || queryNorm == 0 ? 0f
          : (float) (dot(table, i * dim, table, base, dim) / (norm * queryNorm));
      heap.offer(i, s);
    }
    return heap.drain();
  }

  /** Dot product of {@code a[ao..ao+dim)} and {@code b[bo..bo+dim)}, accumulated in float. */
  static float dot(float[] a, int ao, float[] b, int bo, int dim) {
    float s = 0f;
    for (int j = 0; j < dim; j++) {
      s += a[ao + j] * b[bo + j];
    }
    return s;
  }

  private static void checkTable(float[] table, int count, int dim) {
    if (dim < 1) {
      throw new IllegalArgumentException("dim must be >= 1, got " + dim);
    }
    if (count < 0 || (long) count * dim > table.length) {
      throw new IllegalArgumentException("count " + count + " x dim " + dim + " exceeds table of " + table.length);
    }
  }

  /**
   * Bounded min-heap whose root is the worst kept candidate: lowest score, and among equal scores the
   * highest index.
   */
  static final class Heap {
    private final int[] idx;
    private final float[] val;
    private int size;

    Heap(int k) {
      if (k < 1) {
        throw new IllegalArgumentException("k must be >= 1, got " + k);
      }
      idx = new int[k];
      val = new float[k];
    }

    /** True when (s1, i1) ranks before (s2, i2). */
    static boolean better(float s1, int i1, float s2, int i2) {
      return s1 > s2 || (s1 == s2 && i1 < i2);
    }

    void offer(int index, float score) {
      if (Float.isNaN(score)) {
        return;
      }
      if (size < idx.length) {
        int c = size++;
        while (c > 0) {
          int p = (c - 1) >>> 1;
          if (!better(val[p], idx[p], score, index)) {
            break;
          }
          idx[c] = idx[p];
          val[c] = val[p];
          c = p;
        }
        idx[c] = index;
        val[c] = score;
      } else if (better(score, index, val[0], idx[0])) {
        siftDown(index, score);
      }
    }

    /** Replaces the root with (index, score) and restores the heap. */
    private void siftDown(int index, float score) {
      int c = 0;
      while (true) {
        int l = 2 * c + 1;
        if (l >= size) {
          break;
        }
        int r = l + 1;
        int w = r < size && better(val[l], idx[l], val[r], idx[r]) ? r : l;
        if (!better(score, index, val[w], idx[w])) {
          break;
        }
        idx[c] = idx[w];
        val[c] = val[w];
        c = w;
      }
      idx[c] = index;
      val[c] = score;
    }

    /** Empties the heap into a best-first result. */
    Result drain() {
      int n = size;
      int[] outIdx = new int[n];
      float[] outVal = new float[n];
      for (int pos = n - 1; pos >= 0; pos--) {
        outIdx[pos] = idx[0];
        outVal[pos] = val[0];
        size--;
        if (size > 0) {
          int li = idx[size];
          float lv = val[size];
          siftDown(li, lv);
        }
      }
      return new Result(outIdx, outVal);
    }
  }
}
