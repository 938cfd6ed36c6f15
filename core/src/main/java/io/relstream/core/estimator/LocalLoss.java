package io.relstream.core.estimator;

/**
 * The local losses l+(s) (for a relevant pair) and l-(s) (for an irrelevant one) as functions of the
 * logit s, the prediction being &sigma;(s). Derivatives are with respect to s.
 *
 * <p>{@link #SQUARED} is what the authors' code optimises: l+ = (1 - &sigma;)&sup2;, l- = &sigma;&sup2;.
 * Both are bounded in [0, 1], so negative IPS weights cannot drive the loss to minus infinity.
 *
 * <p>{@link #LOG} is the log loss l+ = -log &sigma;, l- = -log(1 - &sigma;). With a negative weight on
 * l- (a click with w &gt; 1) it is unbounded below. relstream makes it safe for long runs by
 * <em>bounding</em> it: the prediction is clamped to [{@link #LOG_EPS}, 1 - {@link #LOG_EPS}], so each
 * local loss lies in [0, -log(LOG_EPS)] (about 9.21) and its gradient is exactly zero once the
 * prediction has saturated. A negatively weighted term therefore stops pushing the logit after a
 * finite distance instead of forever.
 */
public enum LocalLoss {
  SQUARED(0),
  LOG(1);

  /** Clamp of the predicted probability in the bounded log loss. */
  public static final double LOG_EPS = 1e-4;

  /** Stable code passed to kernels. */
  public final int code;

  LocalLoss(int code) {
    this.code = code;
  }

  public static LocalLoss parse(String name) {
    switch (name.toLowerCase(java.util.Locale.ROOT)) {
      case "squared":
        return SQUARED;
      case "log":
        return LOG;
      default:
        throw new IllegalArgumentException("unknown loss '" + name + "' (expected squared or log)");
    }
  }

  /** Logistic function, stable for large |s|. */
  public static double sigmoid(double s) {
    if (s >= 0) {
      return 1.0 / (1.0 + Math.exp(-s));
    }
    double e = Math.exp(s);
    return e / (1.0 + e);
  }

  /** l+(s). */
  public double positive(double s) {
    double p = sigmoid(s);
    if (this == SQUARED) {
      return (1 - p) * (1 - p);
    }
    return -Math.log(clampProbability(p));
  }

  /** l-(s). */
  public double negative(double s) {
    double p = sigmoid(s);
    if (this == SQUARED) {
      return p * p;
    }
    return -Math.log(1 - clampProbability(p));
  }

  /** d l+ / ds. */
  public double positiveGradient(double s) {
    double p = sigmoid(s);
    if (this == SQUARED) {
      return -2 * p * (1 - p) * (1 - p);
    }
    return saturated(p) ? 0 : p - 1;
  }

  /** d l- / ds. */
  public double negativeGradient(double s) {
    double p = sigmoid(s);
    if (this == SQUARED) {
      return 2 * p * p * (1 - p);
    }
    return saturated(p) ? 0 : p;
  }

  /**
   * d/ds of the weighted pair loss w l+(s) + c (1 - w) l-(s): the coefficient that multiplies the
   * factor of the other side in the gradient of a pair.
   */
  public double pairGradient(double s, double wPos, double wNeg) {
    return wPos * positiveGradient(s) + wNeg * negativeGradient(s);
  }

  /** The weighted pair loss w l+(s) + c (1 - w) l-(s). */
  public double pairLoss(double s, double wPos, double wNeg) {
    return wPos * positive(s) + wNeg * negative(s);
  }

  private static double clampProbability(double p) {
    return Math.min(Math.max(p, LOG_EPS), 1 - LOG_EPS);
  }

  private static boolean saturated(double p) {
    return p < LOG_EPS || p > 1 - LOG_EPS;
  }
}
