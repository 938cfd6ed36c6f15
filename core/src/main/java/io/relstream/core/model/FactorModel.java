package io.relstream.core.model;

import java.util.SplittableRandom;

/**
 * A matrix-factorisation model: user factors P (numUsers x dim) and item factors Q (numItems x dim),
 * stored row-major in flat float arrays, scoring s(u, i) = p_u . q_i and predicting &sigma;(s). No biases.
 */
public final class FactorModel {
  public final int numUsers;
  public final int numItems;
  public final int dim;
  /** User factors, row u at [u * dim, (u + 1) * dim). */
  public final float[] userFactors;
  /** Item factors, row i at [i * dim, (i + 1) * dim). */
  public final float[] itemFactors;

  public FactorModel(int numUsers, int numItems, int dim) {
    if (numUsers <= 0 || numItems <= 0 || dim <= 0) {
      throw new IllegalArgumentException(
          "model shape must be positive: users=" + numUsers + " items=" + numItems + " dim=" + dim);
    }
    this.numUsers = numUsers;
    this.numItems = numItems;
    this.dim = dim;
    this.userFactors = new float[Math.multiplyExact(numUsers, dim)];
    this.itemFactors = new float[Math.multiplyExact(numItems, dim)];
  }

  /**
   * A model initialised as TensorFlow's Xavier-uniform initialiser does for each table: every entry
   * uniform in [-a, a] with a = sqrt(6 / (rows + dim)).
   */
  public static FactorModel xavier(int numUsers, int numItems, int dim, long seed) {
    FactorModel m = new FactorModel(numUsers, numItems, dim);
    SplittableRandom rng = new SplittableRandom(seed);
    fillUniform(m.userFactors, Math.sqrt(6.0 / (numUsers + dim)), rng);
    fillUniform(m.itemFactors, Math.sqrt(6.0 / (numItems + dim)), rng);
    return m;
  }

  private static void fillUniform(float[] table, double limit, SplittableRandom rng) {
    for (int k = 0; k < table.length; k++) {
      table[k] = (float) ((rng.nextDouble() * 2 - 1) * limit);
    }
  }

  /** The logit p_u . q_i. */
  public float score(int user, int item) {
    int pu = user * dim;
    int qi = item * dim;
    float s = 0f;
    for (int d = 0; d < dim; d++) {
      s += userFactors[pu + d] * itemFactors[qi + d];
    }
    return s;
  }

  public FactorModel copy() {
    FactorModel m = new FactorModel(numUsers, numItems, dim);
    System.arraycopy(userFactors, 0, m.userFactors, 0, userFactors.length);
    System.arraycopy(itemFactors, 0, m.itemFactors, 0, itemFactors.length);
    return m;
  }
}
