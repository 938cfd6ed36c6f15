package io.relstream.core.kernel;

import io.relstream.core.model.Adam;

/**
 * The hot paths of training and serving over one model's factor tables, which an implementation may
 * keep resident on a device. The scalar implementation is the reference.
 *
 * <p>Life cycle: an instance is bound to one {@link io.relstream.core.model.FactorModel} at creation;
 * {@link #gradients} accumulates the data-term gradient of a batch, {@link #adamStep} applies it
 * together with the dense L2 term to every row and clears it, {@link #syncToModel} copies the tables
 * back to the model's arrays. Not thread-safe.
 *
 * <p><b>Sparse (lazy) Adam</b> for streaming: {@link #gradients} also records the set T of rows (users
 * and items, separately) that occur in the batches accumulated since the last step, and
 * {@link #sparseAdamStep} applies the Adam update of {@link Adam} (data gradient + &lambda; w) to the rows
 * in T only; rows outside T keep their values and moments. The step counter t is global (one per call of
 * either step), so the bias correction lr_t uses the number of steps taken, not the number of times a row
 * was touched (TensorFlow's LazyAdam). When every row is in T a sparse step equals a dense one.
 *
 * <p><b>State</b>: {@link #copyMoments}, {@link #step()} and {@link #loadState} move the optimizer state
 * in and out, so a caller can grow the tables (bind a new instance to a larger model and load the old
 * moments) or checkpoint and restore them.
 */
public interface BatchMath extends AutoCloseable {

  /**
   * Accumulates into the gradient buffers d(L_batch)/d(P) and d(L_batch)/d(Q) of the normalised
   * clipped-IPS batch loss (data term only, no L2), and returns that loss. An empty batch adds nothing
   * and returns 0.
   */
  double gradients(Batch batch, Objective objective);

  /**
   * One dense Adam step over every row of both tables: gradient = accumulated data gradient + &lambda;
   * row. Clears the accumulated gradient. The step counter t starts at 1 and advances by one per call.
   */
  void adamStep(Adam adam);

  /**
   * One lazy Adam step over the rows touched by {@link #gradients} since the last step (see the class
   * comment): for each touched row r and each coordinate, with t the global step counter advanced by one,
   * <pre>
   *   g = grad + &lambda; w,  m = &beta;1 m + (1 - &beta;1) g,  v = &beta;2 v + (1 - &beta;2) g&sup2;,
   *   w -= lr_t m / (sqrt(v) + &epsilon;)
   * </pre>
   * Clears the gradient and the touched set. Untouched rows (values, moments) are left exactly as they were.
   */
  void sparseAdamStep(Adam adam);

  /** Number of optimizer steps taken (dense plus sparse, plus the count given to {@link #loadState}). */
  int step();

  /**
   * Copies the first and second Adam moments of both tables into the given arrays (each at least as long
   * as the table).
   */
  void copyMoments(float[] userM, float[] userV, float[] itemM, float[] itemV);

  /**
   * Copies the Adam moments of {@code count} rows of one table (the item table when {@code items}, else
   * the user table) into {@code m} and {@code v}: row {@code rows[k]} at offset {@code k * dim}. For
   * writing back the rows a checkpoint interval changed without copying whole tables.
   */
  void copyRowMoments(boolean items, int[] rows, int count, float[] m, float[] v);

  /**
   * Sets {@code count} rows of one table (items when {@code items}) and their Adam moments and accumulated
   * gradient to zero (forgetting a user: a zero row is where a new user starts).
   */
  void zeroRows(boolean items, int[] rows, int count);

  /**
   * Replaces the whole optimizer state: the tables become the bound model's current arrays, the moments
   * the given arrays (lengths equal to the tables), the step counter {@code step}; the gradient and the
   * touched set are cleared.
   */
  void loadState(float[] userM, float[] userV, float[] itemM, float[] itemV, int step);

  /** Scores of each given user against all items, row-major: out[k * numItems + i] = p_{users[k]} . q_i. */
  void scores(int[] users, float[] out);

  /** Copies the accumulated (not yet applied) data gradients into the given arrays; for tests. */
  void copyGradients(float[] userGradient, float[] itemGradient);

  /** Copies the current tables into the bound model's arrays. */
  void syncToModel();

  /** "java" or "opencl". */
  String path();

  /** The device that actually executed the last kernel, e.g. "java" or the OpenCL device name. */
  String device();

  /** True only if the last execution really ran on OpenCL (not Aparapi's Java fallback). */
  boolean ranOnOpenCL();

  @Override
  void close();
}
