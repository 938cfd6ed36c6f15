package io.relstream.core.kernel;

import io.relstream.core.estimator.LocalLoss;

/**
 * The data term of the training loss: the clipped-IPS estimator with local loss {@code loss}, clip M
 * and negative weight c (see {@link io.relstream.core.estimator.ClippedIps}).
 */
public record Objective(LocalLoss loss, float clip, float negativeWeight) {
  public Objective {
    if (!(clip >= 0)) throw new IllegalArgumentException("clip must be >= 0");
    if (!(negativeWeight >= 0)) throw new IllegalArgumentException("negative weight must be >= 0");
  }
}
