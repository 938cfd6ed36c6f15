package io.relstream.core.kernel;

import io.relstream.core.estimator.ClippedIps;
import io.relstream.core.estimator.LocalLoss;
import io.relstream.core.model.Adam;
import io.relstream.core.model.FactorModel;

/**
 * An independent double-precision implementation of the batch math, written from the formulas in
 * {@link ClippedIps}, {@link LocalLoss} and {@link Adam}: the parity suite checks the float reference
 * against it, so the reference itself can be wrong and be caught.
 */
final class DoubleOracle {
  final int dim;
  final int numItems;
  final double[] p;
  final double[] q;
  final double[] gp;
  final double[] gq;
  private final double[] mp;
  private final double[] vp;
  private final double[] mq;
  private final double[] vq;
  private int step;
  /** Rows that occurred in a batch since the last step (sparse Adam). */
  private final java.util.LinkedHashSet<Integer> touchedUsers = new java.util.LinkedHashSet<>();
  private final java.util.LinkedHashSet<Integer> touchedItems = new java.util.LinkedHashSet<>();

  DoubleOracle(FactorModel model) {
    dim = model.dim;
    numItems = model.numItems;
    p = toDouble(model.userFactors);
    q = toDouble(model.itemFactors);
    gp = new double[p.length];
    gq = new double[q.length];
    mp = new double[p.length];
    vp = new double[p.length];
    mq = new double[q.length];
    vq = new double[q.length];
  }

  static double[] toDouble(float[] a) {
    double[] d = new double[a.length];
    for (int k = 0; k < a.length; k++) {
      d[k] = a[k];
    }
    return d;
  }

  double score(int u, int i) {
    double s = 0;
    for (int d = 0; d < dim; d++) {
      s += p[u * dim + d] * q[i * dim + d];
    }
    return s;
  }

  double gradients(Batch batch, io.relstream.core.kernel.Objective objective) {
    int n = batch.size();
    double c = objective.negativeWeight();
    double norm = 0;
    for (int k = 0; k < n; k++) {
      norm += batch.labels[k] + c * (1 - batch.labels[k]);
    }
    if (n == 0 || !(norm > 0)) {
      return 0;
    }
    LocalLoss loss = objective.loss();
    double total = 0;
    for (int k = 0; k < n; k++) {
      int u = batch.users[k];
      int i = batch.items[k];
      touchedUsers.add(u);
      touchedItems.add(i);
      double s = score(u, i);
      double y = batch.labels[k];
      double w = y > 0 ? y / Math.max(Math.max(batch.theta[k], objective.clip()), 1e-6) : 0;
      double wNeg = c * (1 - w);
      total += w * loss.positive(s) + wNeg * loss.negative(s);
      double g = (w * loss.positiveGradient(s) + wNeg * loss.negativeGradient(s)) / norm;
      for (int d = 0; d < dim; d++) {
        double pud = p[u * dim + d];
        gp[u * dim + d] += g * q[i * dim + d];
        gq[i * dim + d] += g * pud;
      }
    }
    return total / norm;
  }

  void adamStep(Adam adam) {
    step++;
    double lrT = adam.learningRate() * Math.sqrt(1 - Math.pow(adam.beta2(), step))
        / (1 - Math.pow(adam.beta1(), step));
    adam(p, gp, mp, vp, adam, lrT);
    adam(q, gq, mq, vq, adam, lrT);
    touchedUsers.clear();
    touchedItems.clear();
  }

  /** Lazy Adam: the update of {@link #adamStep} on touched rows only, global step counter. */
  void sparseAdamStep(Adam adam) {
    step++;
    double lrT = adam.learningRate() * Math.sqrt(1 - Math.pow(adam.beta2(), step))
        / (1 - Math.pow(adam.beta1(), step));
    for (int u : touchedUsers) {
      for (int d = 0; d < dim; d++) {
        adamAt(p, gp, mp, vp, u * dim + d, adam, lrT);
      }
    }
    for (int i : touchedItems) {
      for (int d = 0; d < dim; d++) {
        adamAt(q, gq, mq, vq, i * dim + d, adam, lrT);
      }
    }
    touchedUsers.clear();
    touchedItems.clear();
  }

  private static void adamAt(double[] w, double[] g, double[] m, double[] v, int k, Adam adam,
      double lrT) {
    double gk = g[k] + adam.l2() * w[k];
    m[k] = adam.beta1() * m[k] + (1 - adam.beta1()) * gk;
    v[k] = adam.beta2() * v[k] + (1 - adam.beta2()) * gk * gk;
    w[k] -= lrT * m[k] / (Math.sqrt(v[k]) + adam.epsilon());
    g[k] = 0;
  }

  private static void adam(double[] w, double[] g, double[] m, double[] v, Adam adam, double lrT) {
    for (int k = 0; k < w.length; k++) {
      double gk = g[k] + adam.l2() * w[k];
      m[k] = adam.beta1() * m[k] + (1 - adam.beta1()) * gk;
      v[k] = adam.beta2() * v[k] + (1 - adam.beta2()) * gk * gk;
      w[k] -= lrT * m[k] / (Math.sqrt(v[k]) + adam.epsilon());
      g[k] = 0;
    }
  }

  double[] scores(int[] users) {
    double[] out = new double[users.length * numItems];
    for (int k = 0; k < users.length; k++) {
      for (int i = 0; i < numItems; i++) {
        out[k * numItems + i] = score(users[k], i);
      }
    }
    return out;
  }
}
