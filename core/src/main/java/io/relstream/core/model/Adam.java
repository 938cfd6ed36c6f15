package io.relstream.core.model;

/**
 * Adam settings, applied as TensorFlow 1.x's {@code AdamOptimizer} does (the reference code's
 * optimizer): at step t (1-based)
 * <pre>
 *   g   = grad + &lambda; w                       (L2 term (&lambda;/2)||table||&sup2;, dense over every row)
 *   m   = &beta;1 m + (1 - &beta;1) g
 *   v   = &beta;2 v + (1 - &beta;2) g&sup2;
 *   lr_t = lr sqrt(1 - &beta;2^t) / (1 - &beta;1^t)
 *   w  -= lr_t m / (sqrt(v) + &epsilon;)
 * </pre>
 * (TensorFlow puts &epsilon; on the uncorrected v, "epsilon hat" in the Adam paper.)
 */
public record Adam(float learningRate, float beta1, float beta2, float epsilon, float l2) {

  public static Adam defaults(float learningRate, float l2) {
    return new Adam(learningRate, 0.9f, 0.999f, 1e-8f, l2);
  }

  /** lr_t of step t (1-based). */
  public float stepSize(int t) {
    return (float) (learningRate * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t)));
  }
}
