package io.relstream.core.accel;

/** How the OpenCL training path handles pairs of one batch that share a user or an item row. */
public enum Conflicts {
  /**
   * Deterministic: the batch is split into conflict-free rounds run one after another, which gives the
   * result of applying the pairs sequentially in batch order (up to float rounding).
   */
  ROUNDS,
  /**
   * Hogwild: all pairs in one launch. Pairs sharing a row read and write it concurrently, so some of
   * their updates are lost or use stale values; the result is not deterministic.
   */
  HOGWILD
}
