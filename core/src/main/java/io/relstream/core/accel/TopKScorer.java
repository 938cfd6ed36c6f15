package io.relstream.core.accel;

/**
 * Top-k over all items for a batch of users of one bound model: for each user the k items with the
 * largest s = p<sub>u</sub>&middot;q<sub>i</sub> under the total order (s descending, item ascending),
 * excluding the user's seen items and items whose score is NaN. The set is therefore unique and every
 * path returns the same items in the same order (scores up to float rounding on OpenCL).
 *
 * <p>Output for the b-th user: {@code outItems[b * k + j]}, {@code outScores[b * k + j]} for rank j;
 * when fewer than k items are eligible, the remaining slots hold item -1 and score -&infin;.
 *
 * <p>A path may score from its own copy of the tables (a device, or a transposed layout):
 * {@link #refresh()} re-reads the bound model after it changed. Not thread-safe.
 */
public interface TopKScorer extends AutoCloseable {

  /**
   * Scores the users and writes their top k.
   *
   * @param seen exclusions, one entry per user of {@code users}; null for none
   * @throws IndexOutOfBoundsException if a user lies outside the model
   * @throws IllegalArgumentException if k &lt; 1 or the output arrays are too small
   */
  void topK(int[] users, int k, SeenItems seen, int[] outItems, float[] outScores);

  /** Re-reads the bound model's tables. */
  void refresh();

  /** "java" or "opencl". */
  String path();

  /** The device of the last execution. */
  String device();

  /** True only if the last execution really ran on OpenCL. */
  boolean ranOnOpenCL();

  @Override
  void close();
}
