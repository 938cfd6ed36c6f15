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
 * @param clip M of the estimator, in [0, 1]: the fixed clip when {@code clipQuantile} is 0, else the cap
 *     of the relative clip
 * @param negativeWeight c, the weight of the negative local loss
 * @param seed fixes the initial rows and every batch's negative sample
 * @param clipQuantile q in [0, 1): 0 trains batch b with the fixed M = {@code clip}; q &gt; 0 with the
 *     relative clip M_b = min({@code clip}, Q_q), Q_q the q-quantile of the &theta; of the clicks added so
 *     far (see {@link ClipQuantile}), so M follows the log's propensity scale: clicks below the q-quantile
 *     are clipped, whatever the scale of &theta;
 * @param reservoirSize R &ge; 0: how many of the most recent stream events the trainer keeps to revisit
 *     (16 bytes each; 0 keeps none)
 * @param reservoirSteps K &ge; 0: Adam steps per batch on events drawn again from the reservoir, after
 *     the step on the batch's own events; each draws {@code batchSize} events uniformly with replacement
 *     (with fresh negatives), so an event is revisited about K times while it is held
 * @param reservoirStepMs the event time one reservoir step needs, &ge; 0: batch b takes
 *     min(K, floor(span_b / {@code reservoirStepMs})) reservoir steps, span_b the event time by which its
 *     events moved the newest timestamp on (the first batch: K). The revisiting then scales down with the
 *     traffic instead of the trainer falling behind it: at a high event rate a batch spans little event
 *     time and takes few extra steps, at a low one it takes K. It is a function of the events alone, so a
 *     replay of a log at its own timestamps trains as live did. 0: always K.
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
    long seed,
    float clipQuantile,
    int reservoirSize,
    int reservoirSteps,
    long reservoirStepMs) implements java.io.Serializable {

  /** A fixed clip M and no reservoir: the settings of snapshot version 1. */
  public OnlineConfig(int dim, float learningRate, float l2, int batchSize, int negativesPerPositive,
      LocalLoss loss, float clip, float negativeWeight, long seed) {
    this(dim, learningRate, l2, batchSize, negativesPerPositive, loss, clip, negativeWeight, seed, 0f, 0, 0, 0L);
  }

  /** Reservoir steps whatever the event rate ({@link #reservoirStepMs} 0): the settings of snapshot version 2. */
  public OnlineConfig(int dim, float learningRate, float l2, int batchSize, int negativesPerPositive,
      LocalLoss loss, float clip, float negativeWeight, long seed, float clipQuantile, int reservoirSize,
      int reservoirSteps) {
    this(dim, learningRate, l2, batchSize, negativesPerPositive, loss, clip, negativeWeight, seed, clipQuantile,
        reservoirSize, reservoirSteps, 0L);
  }

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
    if (!(clipQuantile >= 0 && clipQuantile < 1)) {
      throw new IllegalArgumentException("clip quantile must be in [0, 1), got " + clipQuantile);
    }
    if (reservoirSize < 0) throw new IllegalArgumentException("reservoir size must be >= 0, got " + reservoirSize);
    if (reservoirSteps < 0) throw new IllegalArgumentException("reservoir steps must be >= 0, got " + reservoirSteps);
    if (reservoirSteps > 0 && reservoirSize == 0) {
      throw new IllegalArgumentException("reservoir steps need a reservoir (size > 0)");
    }
    if (reservoirStepMs < 0) {
      throw new IllegalArgumentException("reservoir step time must be >= 0 ms, got " + reservoirStepMs);
    }
  }

  /** Whether M follows the clicks' &theta; ({@link #clipQuantile} &gt; 0) rather than being fixed. */
  public boolean relativeClip() {
    return clipQuantile > 0;
  }

  /** Events the default reservoir holds: 65,536 (1 MiB of state at 16 bytes each). */
  public static final int DEFAULT_RESERVOIR = 1 << 16;

  /**
   * Streaming defaults: d = 32, lr = 0.02, &lambda; = 1e-4, batches of 256 events, 4 negatives per
   * positive, squared local loss (the authors' code), a fixed M = 0.1 (clip quantile 0), c = 1, seed 42, a
   * reservoir of the {@value #DEFAULT_RESERVOIR} most recent events and 8 reservoir steps per batch.
   *
   * <p>Why: d = 32 keeps a row at 128 bytes, so a batch's changed rows are small Kafka records and serving
   * scores a million items in milliseconds; &lambda; = 1e-4 is the presets' value, applied only to touched
   * rows. One pass of a log is one step per 256 events (7 steps on Coat): the reservoir steps (K = 8, each
   * event revisited about 8 times while held) and lr = 0.02 were chosen on validation splits (Coat's
   * IPS-weighted validation DCG@5 and a semi-synthetic log's MAR validation set, never a test set) over
   * lr in {0.01, 0.02, 0.05} x K in {0, 1, 2, 4, 8}: K = 8 and lr 0.02 or 0.05 led on both, 0.02 is the
   * smaller step for long streams. M = 0.1 rather than the offline 0.009: early in a stream &theta; rests
   * on few counts, and a larger clip bounds the weight of a click on a barely seen item at 10. The relative
   * clip ({@link #withRelativeClip}) did not beat it on validation, even on logs whose propensities all lie
   * below 0.1, so it is an option, not the default (README "Learning more per event").
   *
   * <p>The reservoir steps are budgeted by event time, 10 ms a step ({@link #reservoirStepMs}): 8 steps a
   * batch up to 3,200 events/s of traffic, 2 at 12,800, 1 at 25,600, none beyond. Measured here on this
   * class alone (200,000 events, best of 3): 600,000 events/s without reservoir steps, 85,000 with 8 a
   * batch; with the budget 80,000 at 2,000 events/s of event time, 390,000 at 20,000 and 756,000 at 50,000.
   * So the trainer revisits as much as the traffic leaves room for instead of falling behind it at high
   * rates. Replays of the shipped data sets (events 120 s apart) and of logs at human rates take K always.
   */
  public static OnlineConfig defaults() {
    return new OnlineConfig(32, 0.02f, 1e-4f, 256, 4, LocalLoss.SQUARED, 0.1f, 1f, 42L, 0f, DEFAULT_RESERVOIR, 8,
        DEFAULT_RESERVOIR_STEP_MS);
  }

  public Objective objective() {
    return new Objective(loss, clip, negativeWeight);
  }

  public Adam adam() {
    return Adam.defaults(learningRate, l2);
  }

  public OnlineConfig withDim(int v) {
    return new OnlineConfig(v, learningRate, l2, batchSize, negativesPerPositive, loss, clip, negativeWeight, seed,
        clipQuantile, reservoirSize, reservoirSteps, reservoirStepMs);
  }

  public OnlineConfig withLearningRate(float v) {
    return new OnlineConfig(dim, v, l2, batchSize, negativesPerPositive, loss, clip, negativeWeight, seed,
        clipQuantile, reservoirSize, reservoirSteps, reservoirStepMs);
  }

  public OnlineConfig withL2(float v) {
    return new OnlineConfig(dim, learningRate, v, batchSize, negativesPerPositive, loss, clip, negativeWeight, seed,
        clipQuantile, reservoirSize, reservoirSteps, reservoirStepMs);
  }

  public OnlineConfig withBatchSize(int v) {
    return new OnlineConfig(dim, learningRate, l2, v, negativesPerPositive, loss, clip, negativeWeight, seed,
        clipQuantile, reservoirSize, reservoirSteps, reservoirStepMs);
  }

  public OnlineConfig withNegativesPerPositive(int v) {
    return new OnlineConfig(dim, learningRate, l2, batchSize, v, loss, clip, negativeWeight, seed,
        clipQuantile, reservoirSize, reservoirSteps, reservoirStepMs);
  }

  public OnlineConfig withLoss(LocalLoss v) {
    return new OnlineConfig(dim, learningRate, l2, batchSize, negativesPerPositive, v, clip, negativeWeight, seed,
        clipQuantile, reservoirSize, reservoirSteps, reservoirStepMs);
  }

  /** A fixed clip M = {@code v}: the relative clip is switched off ({@link #clipQuantile} 0). */
  public OnlineConfig withClip(float v) {
    return new OnlineConfig(dim, learningRate, l2, batchSize, negativesPerPositive, loss, v, negativeWeight, seed,
        0f, reservoirSize, reservoirSteps);
  }

  /** The relative clip M_b = min(cap, Q_q) (q = 0: the fixed clip M = cap). */
  public OnlineConfig withRelativeClip(float q, float cap) {
    return new OnlineConfig(dim, learningRate, l2, batchSize, negativesPerPositive, loss, cap, negativeWeight, seed,
        q, reservoirSize, reservoirSteps);
  }

  public OnlineConfig withSeed(long v) {
    return new OnlineConfig(dim, learningRate, l2, batchSize, negativesPerPositive, loss, clip, negativeWeight, v,
        clipQuantile, reservoirSize, reservoirSteps, reservoirStepMs);
  }

  /** Keeps the {@code size} most recent events and takes {@code steps} extra steps per batch on them. */
  public OnlineConfig withReservoir(int size, int steps) {
    return new OnlineConfig(dim, learningRate, l2, batchSize, negativesPerPositive, loss, clip, negativeWeight, seed,
        clipQuantile, size, steps, reservoirStepMs);
  }

  /** The event time one reservoir step needs (0: K steps whatever the event rate). */
  public OnlineConfig withReservoirStepMs(long v) {
    return new OnlineConfig(dim, learningRate, l2, batchSize, negativesPerPositive, loss, clip, negativeWeight, seed,
        clipQuantile, reservoirSize, reservoirSteps, v);
  }

  /** The default {@link #reservoirStepMs}: 10 ms of event time per reservoir step. */
  public static final long DEFAULT_RESERVOIR_STEP_MS = 10;
}
