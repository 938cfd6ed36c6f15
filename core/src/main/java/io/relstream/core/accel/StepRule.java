package io.relstream.core.accel;

import io.relstream.core.model.Adam;

/**
 * The per-pair update rule: plain SGD or Adam with per-row state, learning rate &eta; and L2
 * coefficient &lambda; (penalty (&lambda;/2)||row||&sup2; on the two rows a pair touches).
 *
 * <p>Adam's bias-corrected step size of a row updated for the t-th time is core's
 * {@link Adam#stepSize(int)}; t saturates at {@link #T_CAP}, where &beta;1<sup>t</sup> and
 * &beta;2<sup>t</sup> are below float resolution for the default betas, so lr_t is a table lookup on
 * every path ({@link #stepSizes()}).
 */
public record StepRule(Optimizer optimizer, float learningRate, float l2, float beta1, float beta2,
    float epsilon) {

  /** Per-row update counts stop growing here. */
  public static final int T_CAP = 1 << 16;

  /** Which optimizer. */
  public enum Optimizer {
    SGD,
    ADAM;

    /** Lower-case name as used in benchmark output. */
    public String label() {
      return this == SGD ? "sgd" : "adam";
    }
  }

  public StepRule {
    if (optimizer == null) throw new IllegalArgumentException("optimizer is null");
    if (!(learningRate > 0) || !Float.isFinite(learningRate)) {
      throw new IllegalArgumentException("learning rate must be positive and finite: " + learningRate);
    }
    if (!(l2 >= 0) || !Float.isFinite(l2)) throw new IllegalArgumentException("l2 must be >= 0: " + l2);
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("betas must lie in [0, 1): " + beta1 + ", " + beta2);
    }
    if (!(epsilon > 0)) throw new IllegalArgumentException("epsilon must be positive: " + epsilon);
  }

  /** SGD: p -= &eta; (g q + &lambda; p), q -= &eta; (g p + &lambda; q). */
  public static StepRule sgd(float learningRate, float l2) {
    return new StepRule(Optimizer.SGD, learningRate, l2, 0.9f, 0.999f, 1e-8f);
  }

  /** Adam with &beta;1 = 0.9, &beta;2 = 0.999, &epsilon; = 1e-8 and per-row moments and counts. */
  public static StepRule adam(float learningRate, float l2) {
    return new StepRule(Optimizer.ADAM, learningRate, l2, 0.9f, 0.999f, 1e-8f);
  }

  /** lr_t for t = 0..T_CAP (entry 0 unused): {@code new Adam(...).stepSize(t)}. */
  public float[] stepSizes() {
    Adam adam = new Adam(learningRate, beta1, beta2, epsilon, l2);
    float[] table = new float[T_CAP + 1];
    for (int t = 1; t <= T_CAP; t++) {
      table[t] = adam.stepSize(t);
    }
    return table;
  }
}
