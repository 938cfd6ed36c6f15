package io.relstream.core.accel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The score kernels of {@link TileScan} in the Java Vector API (loaded only when
 * {@link Accel#vectorUnavailable()} is null). A tile is made of dimension-major panels ({@link ItemTiles}), so
 * the scores of a panel's items are a sum over d of (item lanes) x (broadcast query coordinate): per element
 * {@code acc = acc + x * q[d]} in order of d, without fused multiply-add, which is exactly the scalar
 * reference's {@code s += p[d] * q[d]}; the scores therefore have the reference's bits.
 *
 * <p>{@link #block4} is the register-blocked product for four queries: per d two item vectors are loaded
 * once and used by four queries (eight accumulators), so a batch of queries reads each tile from L1/L2
 * once per four queries instead of once per query; this is what makes many queries cheaper than many
 * calls.
 */
final class VectorScan {
  static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

  private VectorScan() {}

  /**
   * Scores of queries at q0..q3 (offsets into q) for the tile's T items into sc[0..4T) (query v at vT).
   * Panel by panel ({@link ItemTiles}' layout), two item vectors per d shared by four queries.
   */
  static void block4(float[] x, int tile, int dim, float[] q, int q0, int q1, int q2, int q3, float[] sc) {
    int lanes = SPECIES.length();
    final int pw = ItemTiles.PANEL;
    for (int p = 0; p < tile; p += pw) {
      int base = p * dim;
      for (int c = 0; c < pw; c += 2 * lanes) {
        FloatVector a0 = FloatVector.zero(SPECIES);
        FloatVector b0 = a0;
        FloatVector a1 = a0;
        FloatVector b1 = a0;
        FloatVector a2 = a0;
        FloatVector b2 = a0;
        FloatVector a3 = a0;
        FloatVector b3 = a0;
        for (int d = 0, o = base + c; d < dim; d++, o += pw) {
          FloatVector x0 = FloatVector.fromArray(SPECIES, x, o);
          FloatVector x1 = FloatVector.fromArray(SPECIES, x, o + lanes);
          float u0 = q[q0 + d];
          float u1 = q[q1 + d];
          float u2 = q[q2 + d];
          float u3 = q[q3 + d];
          a0 = a0.add(x0.mul(u0));
          b0 = b0.add(x1.mul(u0));
          a1 = a1.add(x0.mul(u1));
          b1 = b1.add(x1.mul(u1));
          a2 = a2.add(x0.mul(u2));
          b2 = b2.add(x1.mul(u2));
          a3 = a3.add(x0.mul(u3));
          b3 = b3.add(x1.mul(u3));
        }
        int j = p + c;
        a0.intoArray(sc, j);
        b0.intoArray(sc, j + lanes);
        a1.intoArray(sc, tile + j);
        b1.intoArray(sc, tile + j + lanes);
        a2.intoArray(sc, 2 * tile + j);
        b2.intoArray(sc, 2 * tile + j + lanes);
        a3.intoArray(sc, 3 * tile + j);
        b3.intoArray(sc, 3 * tile + j + lanes);
      }
    }
  }

  /**
   * Scores of the query at q0 for the tile's T items into sc[off..off + T): two panels at a time, so four
   * independent accumulator chains hide the add latency.
   */
  static void block1(float[] x, int tile, int dim, float[] q, int q0, float[] sc, int off) {
    int lanes = SPECIES.length();
    final int pw = ItemTiles.PANEL;
    for (int p = 0; p < tile; p += 2 * pw) {
      int baseA = p * dim;
      int baseB = baseA + pw * dim;
      for (int c = 0; c < pw; c += 2 * lanes) {
        FloatVector a0 = FloatVector.zero(SPECIES);
        FloatVector a1 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        for (int d = 0, oa = baseA + c, ob = baseB + c; d < dim; d++, oa += pw, ob += pw) {
          float u = q[q0 + d];
          a0 = a0.add(FloatVector.fromArray(SPECIES, x, oa).mul(u));
          a1 = a1.add(FloatVector.fromArray(SPECIES, x, oa + lanes).mul(u));
          b0 = b0.add(FloatVector.fromArray(SPECIES, x, ob).mul(u));
          b1 = b1.add(FloatVector.fromArray(SPECIES, x, ob + lanes).mul(u));
        }
        int j = off + p + c;
        a0.intoArray(sc, j);
        a1.intoArray(sc, j + lanes);
        b0.intoArray(sc, j + pw);
        b1.intoArray(sc, j + pw + lanes);
      }
    }
  }

  /** True if some sc[off + j], j in [0, len), is &gt;= bound (len a multiple of the lane count). */
  static boolean anyAtLeast(float[] sc, int off, int len, float bound) {
    int lanes = SPECIES.length();
    VectorMask<Float> any = SPECIES.maskAll(false);
    for (int j = 0; j < len; j += lanes) {
      any = any.or(FloatVector.fromArray(SPECIES, sc, off + j).compare(VectorOperators.GE, bound));
    }
    return any.anyTrue();
  }

  static int lanes() {
    return SPECIES.length();
  }
}
