package io.relstream.core.accel;

import io.relstream.core.kernel.Batch;

/**
 * Applies mini-batches of (u, i, Y, &theta;) as per-pair clipped-IPS updates ({@link PairRule}) to one
 * model and, for Adam, one {@link RowAdamState}, both bound at creation. The result of a batch is that
 * of applying its pairs sequentially in batch order (see the package documentation for how each path
 * keeps that with conflicting rows); only {@link Conflicts#HOGWILD} departs from it.
 *
 * <p>A path may keep the tables elsewhere (a device): the bound arrays are then current only after
 * {@link #syncToModel()}. Not thread-safe.
 */
public interface PairTrainer extends AutoCloseable {

  /**
   * Applies the batch and returns how many pairs were applied; the others were skipped by the guards
   * of {@link PairRule}. An empty batch does nothing and returns 0.
   *
   * @throws IndexOutOfBoundsException if a pair lies outside the model (nothing is applied)
   */
  int train(Batch batch);

  /** Makes the bound model (and Adam state) arrays current. */
  void syncToModel();

  /** "java" or "opencl". */
  String path();

  /** The device of the last execution: "java (scalar)", "java (blocked)" or the OpenCL device name. */
  String device();

  /** True only if the last execution really ran on OpenCL (checked after it, not assumed). */
  boolean ranOnOpenCL();

  @Override
  void close();
}
