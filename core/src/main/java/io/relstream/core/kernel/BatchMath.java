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
