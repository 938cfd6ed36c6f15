package io.relstream.core.online;

import io.relstream.core.estimator.LocalLoss;
import io.relstream.core.kernel.Objective;
import io.relstream.core.model.Adam;

/**
 * Settings of an {@link OnlineTrainer}; everything that, with the event sequence, determines the
 * model.
 *
 * @param dim latent dimension d
 * @param learningRate Adam learning rate
 * @param l2 &lambda; of the penalty (&lambda;/2)||row||&sup2;, applied lazily to the rows a batch touches
 * @param batchSize events per mini-batch (a count, so a replay forms the same batches)
 * @param negativesPerPositive unlabeled items sampled per clicked event
 * @param loss local loss of the clipped-IPS estimator
 * @param clip M of the estimator, in [0, 1]
 * @param negativeWeight c, the weight of the negative local loss
 * @param seed fixes the initial rows and every batch's negative sample
 */
public record OnlineConfig(
    int dim,
    float learningRate,
    float l2,
    int batchSize,
    int negativesPerPositive,
    LocalLoss loss,
    float clip,
    float negativeWeight,
    long seed) implements java.io.Serializable {

  public OnlineConfig {
    if (dim <= 0) throw new IllegalArgumentException("dim must be positive, got " + dim);
    if (!(learningRate > 0)) throw new IllegalArgumentException("lr must be positive, got " + learningRate);
    if (!(l2 >= 0)) throw new IllegalArgumentException("l2 must be >= 0, got " + l2);
    if (batchSize <= 0) throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
    if (negativesPerPositive < 0) {
      throw new IllegalArgumentException("negatives per positive must be >= 0, got " + negativesPerPositive);
    }
    if (loss == null) throw new IllegalArgumentException("loss is required");
    if (!(clip >= 0 && clip <= 1)) throw new IllegalArgumentException("clip M must be in [0, 1], got " + clip);
    if (!(negativeWeight >= 0)) throw new IllegalArgumentException("negative weight must be >= 0");
  }

  /**
   * Streaming defaults: d = 32, lr = 0.01, &lambda; = 1e-4, batches of 256 events, 4 negatives per
   * positive, squared local loss (the authors' code), M = 0.1, c = 1, seed 42.
   *
   * <p>Why: d = 32 keeps a row at 128 bytes, so a batch's changed rows are small Kafka records and serving
   * scores a million items in milliseconds; lr = 0.01 is twice the offline presets' 0.005 because an online
   * learner sees each event once rather than in 301 passes, and Adam's per-coordinate scaling keeps it
   * stable at this size (the synthetic-stream test converges with it); &lambda; = 1e-4 is the presets'
   * value, now applied only to touched rows, so rarely seen rows are not shrunk while they are absent.
   * M = 0.1 rather than the offline 0.009: early in a stream &theta; rests on few counts, and a larger clip
   * bounds the weight of a click on a barely seen item at 10.
   */
  public static OnlineConfig defaults() {
    return new OnlineConfig(32, 0.01f, 1e-4f, 256, 4, LocalLoss.SQUARED, 0.1f, 1f, 42L);
  }

  public Objective objective() {
    return new Objective(loss, clip, negativeWeight);
  }

  public Adam adam() {
    return Adam.defaults(learningRate, l2);
  }

  public OnlineConfig withDim(int v) {
    return new OnlineConfig(v, learningRate, l2, batchSize, negativesPerPositive, loss, clip, negativeWeight, seed);
  }

  public OnlineConfig withLearningRate(float v) {
    return new OnlineConfig(dim, v, l2, batchSize, negativesPerPositive, loss, clip, negativeWeight, seed);
  }

  public OnlineConfig withL2(float v) {
    return new OnlineConfig(dim, learningRate, v, batchSize, negativesPerPositive, loss, clip, negativeWeight, seed);
  }

  public OnlineConfig withBatchSize(int v) {
    return new OnlineConfig(dim, learningRate, l2, v, negativesPerPositive, loss, clip, negativeWeight, seed);
  }

  public OnlineConfig withNegativesPerPositive(int v) {
    return new OnlineConfig(dim, learningRate, l2, batchSize, v, loss, clip, negativeWeight, seed);
  }

  public OnlineConfig withLoss(LocalLoss v) {
    return new OnlineConfig(dim, learningRate, l2, batchSize, negativesPerPositive, v, clip, negativeWeight, seed);
  }

  public OnlineConfig withClip(float v) {
    return new OnlineConfig(dim, learningRate, l2, batchSize, negativesPerPositive, loss, v, negativeWeight, seed);
  }

  public OnlineConfig withSeed(long v) {
    return new OnlineConfig(dim, learningRate, l2, batchSize, negativesPerPositive, loss, clip, negativeWeight, v);
  }
}
