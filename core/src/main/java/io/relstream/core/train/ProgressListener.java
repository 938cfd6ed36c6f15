package io.relstream.core.train;

/** Receives training progress; called from the training thread after every step. */
@FunctionalInterface
public interface ProgressListener {
  ProgressListener NONE = (step, steps, loss) -> {};

  /** After step {@code step} (1-based) of {@code steps}, with that batch's loss. */
  void onStep(int step, int steps, double loss);
}
