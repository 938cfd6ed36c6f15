package io.relstream.core.model;

import io.relstream.core.estimator.LocalLoss;
import java.util.Locale;

/**
 * Everything that defines one training run. The four presets are the authors' tuned values on
 * Yahoo! R3 and share lr 0.005, &lambda; 1e-4, 301 steps and batches of 16,384 positives plus 16,384
 * unlabeled pairs.
 *
 * @param name model name as reported ("relmf", "mf", "wmf", "rmf")
 * @param dim latent dimension
 * @param learningRate Adam learning rate
 * @param l2 &lambda; of the penalty (&lambda;/2)||table||&sup2;
 * @param steps optimizer steps
 * @param positivesPerBatch clicked pairs per batch, drawn uniformly with replacement
 * @param unlabeledPerBatch unlabeled pairs per batch
 * @param propensity NONE (&theta; = 1) or POPULARITY
 * @param clip M; 0 is the unclipped estimator
 * @param eta power of the popularity propensity
 * @param negativeWeight c, the weight on the negative local loss
 * @param loss local loss
 * @param negatives how unlabeled pairs are drawn
 */
public record ModelConfig(
    String name,
    int dim,
    float learningRate,
    float l2,
    int steps,
    int positivesPerBatch,
    int unlabeledPerBatch,
    PropensityModel propensity,
    float clip,
    float eta,
    float negativeWeight,
    LocalLoss loss,
    Negatives negatives) {

  /** How unlabeled pairs are sampled. */
  public enum Negatives {
    /** Uniformly with replacement from all non-positive (user, item) pairs (the reference code). */
    UNIFORM,
    /** For the same users as the batch's positives, items uniform among that user's non-positives. */
    PER_USER;

    public static Negatives parse(String s) {
      switch (s.toLowerCase(Locale.ROOT)) {
        case "uniform":
          return UNIFORM;
        case "per-user":
        case "per_user":
          return PER_USER;
        default:
          throw new IllegalArgumentException("unknown negatives '" + s + "' (expected uniform or per-user)");
      }
    }
  }

  public static final String[] PRESETS = {"relmf", "mf", "wmf", "rmf"};

  public ModelConfig {
    if (dim <= 0) throw new IllegalArgumentException("dim must be positive, got " + dim);
    if (!(learningRate > 0)) throw new IllegalArgumentException("lr must be positive, got " + learningRate);
    if (!(l2 >= 0)) throw new IllegalArgumentException("l2 must be >= 0, got " + l2);
    if (steps < 0) throw new IllegalArgumentException("steps must be >= 0, got " + steps);
    if (positivesPerBatch <= 0 || unlabeledPerBatch < 0) {
      throw new IllegalArgumentException("batch must hold at least one positive");
    }
    if (!(clip >= 0 && clip <= 1)) throw new IllegalArgumentException("clip M must be in [0, 1], got " + clip);
    if (!(eta >= 0)) throw new IllegalArgumentException("eta must be >= 0, got " + eta);
    if (!(negativeWeight >= 0)) throw new IllegalArgumentException("negative weight must be >= 0");
  }

  /** The preset of a model name: relmf, mf, wmf or rmf (the unclipped estimator). */
  public static ModelConfig preset(String name) {
    switch (name.toLowerCase(Locale.ROOT)) {
      case "mf":
        return base("mf", 200, PropensityModel.NONE, 0f, 1f);
      case "wmf":
        return base("wmf", 30, PropensityModel.NONE, 0f, 0.977f);
      case "rmf":
        return base("rmf", 200, PropensityModel.POPULARITY, 0f, 1f);
      case "relmf":
        return base("relmf", 200, PropensityModel.POPULARITY, 0.009136f, 1f);
      default:
        throw new IllegalArgumentException(
            "unknown model '" + name + "' (expected one of relmf, mf, wmf, rmf)");
    }
  }

  private static ModelConfig base(String name, int dim, PropensityModel p, float clip, float c) {
    return new ModelConfig(name, dim, 0.005f, 1e-4f, 301, 16_384, 16_384, p, clip, 0.5f, c,
        LocalLoss.SQUARED, Negatives.UNIFORM);
  }

  public ModelConfig withDim(int v) {
    return new ModelConfig(name, v, learningRate, l2, steps, positivesPerBatch, unlabeledPerBatch,
        propensity, clip, eta, negativeWeight, loss, negatives);
  }

  public ModelConfig withLearningRate(float v) {
    return new ModelConfig(name, dim, v, l2, steps, positivesPerBatch, unlabeledPerBatch,
        propensity, clip, eta, negativeWeight, loss, negatives);
  }

  public ModelConfig withL2(float v) {
    return new ModelConfig(name, dim, learningRate, v, steps, positivesPerBatch, unlabeledPerBatch,
        propensity, clip, eta, negativeWeight, loss, negatives);
  }

  public ModelConfig withSteps(int v) {
    return new ModelConfig(name, dim, learningRate, l2, v, positivesPerBatch, unlabeledPerBatch,
        propensity, clip, eta, negativeWeight, loss, negatives);
  }

  /** Batch of {@code total} pairs, half positives and half unlabeled (the reference split). */
  public ModelConfig withBatch(int total) {
    if (total < 2) throw new IllegalArgumentException("batch must be at least 2, got " + total);
    return new ModelConfig(name, dim, learningRate, l2, steps, total / 2, total - total / 2,
        propensity, clip, eta, negativeWeight, loss, negatives);
  }

  public ModelConfig withClip(float v) {
    return new ModelConfig(name, dim, learningRate, l2, steps, positivesPerBatch, unlabeledPerBatch,
        propensity, v, eta, negativeWeight, loss, negatives);
  }

  public ModelConfig withEta(float v) {
    return new ModelConfig(name, dim, learningRate, l2, steps, positivesPerBatch, unlabeledPerBatch,
        propensity, clip, v, negativeWeight, loss, negatives);
  }

  public ModelConfig withLoss(LocalLoss v) {
    return new ModelConfig(name, dim, learningRate, l2, steps, positivesPerBatch, unlabeledPerBatch,
        propensity, clip, eta, negativeWeight, v, negatives);
  }

  public ModelConfig withNegatives(Negatives v) {
    return new ModelConfig(name, dim, learningRate, l2, steps, positivesPerBatch, unlabeledPerBatch,
        propensity, clip, eta, negativeWeight, loss, v);
  }

  public int batchSize() {
    return positivesPerBatch + unlabeledPerBatch;
  }

  /** True when the model debiases with propensities (rmf, relmf). */
  public boolean debiased() {
    return propensity != PropensityModel.NONE;
  }

  public Adam adam() {
    return Adam.defaults(learningRate, l2);
  }
}
