package io.relstream.core.accel;

import io.relstream.core.estimator.ClippedIps;
import io.relstream.core.estimator.LocalLoss;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row kernels of the training update in the Java Vector API (incubator module
 * {@code jdk.incubator.vector}, so the JVM needs {@code --add-modules jdk.incubator.vector}; this class is
 * loaded only when {@link Accel#vectorUnavailable()} is null).
 *
 * <p>Why explicit vectors: C2 does not vectorise the update loop {@code p[pu + d] -= ...; q[qi + d] -=
 * ...} by itself (two float arrays that might be one array at different offsets), and it never
 * reassociates the dot's sum. Measured on the 2-core test machine with rows in cache, the scalar update
 * took about 110-160 ns per pair at d = 64 and the dot 35-110 ns, for about 10 ns of arithmetic.
 *
 * <p>The SGD update performs per element exactly the scalar float operations of {@link PairRule}
 * (no fused multiply-add), so it rounds the same way; only the dot product's summation order differs
 * (lane-wise partial sums, then a lane reduction).
 */
final class VectorRows {
  static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

  private VectorRows() {}

  /** p[pu..pu+dim) . q[qi..qi+dim). */
  static float dot(float[] p, int pu, float[] q, int qi, int dim) {
    int lanes = SPECIES.length();
    int upper = SPECIES.loopBound(dim);
    FloatVector acc = FloatVector.zero(SPECIES);
    int d = 0;
    for (; d < upper; d += lanes) {
      acc = FloatVector.fromArray(SPECIES, p, pu + d).fma(FloatVector.fromArray(SPECIES, q, qi + d), acc);
    }
    float s = acc.reduceLanes(VectorOperators.ADD);
    for (; d < dim; d++) {
      s += p[pu + d] * q[qi + d];
    }
    return s;
  }

  /** p -= lr (g q + l2 p), q -= lr (g p + l2 q), both with the rows before the update. */
  static void sgd(float[] p, float[] q, int pu, int qi, int dim, float g, float lr, float l2) {
    int lanes = SPECIES.length();
    int upper = SPECIES.loopBound(dim);
    int d = 0;
    for (; d < upper; d += lanes) {
      FloatVector pv = FloatVector.fromArray(SPECIES, p, pu + d);
      FloatVector qv = FloatVector.fromArray(SPECIES, q, qi + d);
      FloatVector gp = qv.mul(g).add(pv.mul(l2));
      FloatVector gq = pv.mul(g).add(qv.mul(l2));
      pv.sub(gp.mul(lr)).intoArray(p, pu + d);
      qv.sub(gq.mul(lr)).intoArray(q, qi + d);
    }
    ScalarPairTrainer.sgdRange(p, q, pu, qi, d, dim, g, lr, l2);
  }

  /** acc[j] += a * x[off + j] for j in [0, len): per element the scalar float operations, so the same bits. */
  static void axpy(float[] acc, float a, float[] x, int off, int len) {
    int lanes = SPECIES.length();
    int upper = SPECIES.loopBound(len);
    int j = 0;
    for (; j < upper; j += lanes) {
      FloatVector.fromArray(SPECIES, acc, j).add(FloatVector.fromArray(SPECIES, x, off + j).mul(a))
          .intoArray(acc, j);
    }
    for (; j < len; j++) {
      acc[j] += a * x[off + j];
    }
  }

  /**
   * Adam on one user row and one item row with per-row step sizes, per element exactly the scalar float
   * operations of {@link ScalarPairTrainer#adamRange} (lane-wise square root and division are correctly
   * rounded, as the scalar ones), so the same bits.
   */
  static void adam(float[] p, float[] q, float[] um, float[] uv, float[] im, float[] iv, int pu, int qi,
      int dim, float g, float l2, float b1, float b2, float eps, float lrU, float lrI) {
    int lanes = SPECIES.length();
    int upper = SPECIES.loopBound(dim);
    float c1 = 1f - b1;
    float c2 = 1f - b2;
    int d = 0;
    for (; d < upper; d += lanes) {
      FloatVector pv = FloatVector.fromArray(SPECIES, p, pu + d);
      FloatVector qv = FloatVector.fromArray(SPECIES, q, qi + d);
      FloatVector gp = qv.mul(g).add(pv.mul(l2));
      FloatVector gq = pv.mul(g).add(qv.mul(l2));
      FloatVector mp = FloatVector.fromArray(SPECIES, um, pu + d).mul(b1).add(gp.mul(c1));
      FloatVector vp = FloatVector.fromArray(SPECIES, uv, pu + d).mul(b2).add(gp.mul(c2).mul(gp));
      FloatVector mq = FloatVector.fromArray(SPECIES, im, qi + d).mul(b1).add(gq.mul(c1));
      FloatVector vq = FloatVector.fromArray(SPECIES, iv, qi + d).mul(b2).add(gq.mul(c2).mul(gq));
      mp.intoArray(um, pu + d);
      vp.intoArray(uv, pu + d);
      mq.intoArray(im, qi + d);
      vq.intoArray(iv, qi + d);
      pv.sub(mp.mul(lrU).div(vp.lanewise(VectorOperators.SQRT).add(eps))).intoArray(p, pu + d);
      qv.sub(mq.mul(lrI).div(vq.lanewise(VectorOperators.SQRT).add(eps))).intoArray(q, qi + d);
    }
    ScalarPairTrainer.adamRange(p, q, um, uv, im, iv, pu, qi, d, dim, g, l2, b1, b2, eps, lrU, lrI);
  }

  private static final float LOG_LOW = (float) LocalLoss.LOG_EPS;
  private static final float LOG_HIGH = (float) (1 - LocalLoss.LOG_EPS);

  /**
   * {@link PairRule#coefficient} for n pairs at once, in float lanes (the reference computes each in
   * double): out[j] for dots s[j], labels[off + j], theta[off + j]. NaN marks a skipped pair, under the
   * same guards. The sigmoid uses the lane-wise exponential, which replaces n scalar double exps.
   */
  static void coefficients(float[] s, float[] labels, float[] theta, int off, int n, LocalLoss loss,
      float clip, float c, float[] out) {
    int lanes = SPECIES.length();
    int upper = SPECIES.loopBound(n);
    boolean squared = loss == LocalLoss.SQUARED;
    int j = 0;
    for (; j < upper; j += lanes) {
      FloatVector sv = FloatVector.fromArray(SPECIES, s, j);
      FloatVector y = FloatVector.fromArray(SPECIES, labels, off + j);
      FloatVector th = FloatVector.fromArray(SPECIES, theta, off + j);
      VectorMask<Float> clicked = y.compare(VectorOperators.GT, 0f);
      FloatVector denom = th.max(clip).max(ClippedIps.THETA_FLOOR);
      FloatVector wPos = FloatVector.zero(SPECIES).blend(y.div(denom), clicked);
      FloatVector one = FloatVector.broadcast(SPECIES, 1f);
      FloatVector wNeg = one.sub(wPos).mul(c);
      FloatVector sig = one.div(sv.neg().lanewise(VectorOperators.EXP).add(1f));
      FloatVector oneMinus = one.sub(sig);
      FloatVector gPos;
      FloatVector gNeg;
      if (squared) {
        gPos = sig.mul(-2f).mul(oneMinus).mul(oneMinus);
        gNeg = sig.mul(2f).mul(sig).mul(oneMinus);
      } else {
        VectorMask<Float> sat = sig.compare(VectorOperators.LT, LOG_LOW)
            .or(sig.compare(VectorOperators.GT, LOG_HIGH));
        gPos = sig.sub(1f).blend(0f, sat);
        gNeg = sig.blend(0f, sat);
      }
      FloatVector g = wPos.mul(gPos).add(wNeg.mul(gNeg));
      VectorMask<Float> skip = y.compare(VectorOperators.GE, 0f).not()
          .or(y.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY))
          .or(clicked.and(th.test(VectorOperators.IS_NAN)))
          .or(sv.test(VectorOperators.IS_FINITE).not())
          .or(g.test(VectorOperators.IS_FINITE).not());
      g.blend(Float.NaN, skip).intoArray(out, j);
    }
    for (; j < n; j++) {
      out[j] = PairRule.coefficient(loss, s[j], labels[off + j], theta[off + j], clip, c);
    }
  }
}
