package io.relstream.core.accel;

import io.relstream.core.kernel.Batch;
import io.relstream.core.kernel.Objective;
import io.relstream.core.model.FactorModel;

/**
 * The fast plain-Java training path (one thread; no Vector API), in two variants:
 * <ul>
 *   <li>exact order ({@link Accel#exactJavaTrainer}): the same float operations in the same order per
 *       pair as {@link ScalarPairTrainer}, so the same results bit for bit;</li>
 *   <li>vector ({@link Accel#javaTrainer} when the Vector API is present): the dot and the SGD row update
 *       in {@link VectorRows}, and Adam's row update. The updates round as the reference does; the dot is
 *       summed lane-wise, so results equal the reference up to float rounding (the parity suite's
 *       tolerance).</li>
 * </ul>
 *
 * <p>Speed comes from memory-level parallelism, the update being bound by random row accesses
 * (16 d + 16 bytes per SGD update). Pairs go in blocks of {@code BLOCK} (default 32,
 * {@code -Drelstream.accel.block}):
 * <ol>
 *   <li>touch: just before computing block b, one load per 64-byte line of its rows (every 16th float
 *       and the last; Adam also touches both moments) is issued, their sum going to a sink field so the
 *       JIT keeps them. These loads are independent, so their misses overlap: the software prefetch Java
 *       lacks. At d = 64 on 1M x 100k tables this beat touching 1 or 2 blocks ahead, and it beat
 *       spreading the next block's touches over this block's dots or updates (about
 *       half the rate): the loads of a later block stall the reorder window behind the current block's
 *       work. Blocks of 16-32 beat 4, 8 and 64 (noisy 2-core machine: one thread 4.4-6.4 vs 3.8-6.1 M/s;
 *       two threads, then on rounds, 9.3 M/s at 32 vs 8.4 at 8 and 8.7 at 64);</li>
 *   <li>if block b has no repeated user and no repeated item ({@link #conflictFree}), its dots are
 *       computed first, then its updates; with disjoint rows this equals the sequential order;</li>
 *   <li>otherwise the block's pairs run one by one, which is the sequential order by definition.</li>
 * </ol>
 * {@link ParallelPairTrainer} runs several of these on blocks dealt round-robin.
 */
final class JavaPairTrainer implements PairTrainer {
  static final int BLOCK = Integer.getInteger("relstream.accel.block", 32);
  /** Floats per 64-byte cache line. */
  private static final int LINE = 16;
  /** log2 of the slots of the conflict filter's tables. */
  private static final int SLOT_BITS = 12;

  private final FactorModel model;
  private final RowAdamState state;
  private final StepRule rule;
  private final Objective objective;
  private final float[] stepSizes;
  private final float[] coef = new float[BLOCK];
  private final float[] dots = new float[BLOCK];
  private final boolean vector;
  private final int[] userSlots = new int[1 << SLOT_BITS];
  private final int[] itemSlots = new int[1 << SLOT_BITS];
  private int stamp;
  /** Keeps the touch loads alive; read by nobody. */
  float sink;

  JavaPairTrainer(FactorModel model, RowAdamState state, StepRule rule, Objective objective,
      boolean vector) {
    this.model = model;
    this.vector = vector;
    this.state = Accel.checkState(model, state, rule);
    this.rule = rule;
    this.objective = objective;
    this.stepSizes = rule.optimizer() == StepRule.Optimizer.ADAM ? rule.stepSizes() : null;
  }

  @Override
  public int train(Batch batch) {
    PairRule.checkIndices(batch, model);
    return range(batch.users, batch.items, batch.labels, batch.theta, 0, batch.size());
  }

  /** Applies pairs [from, to) of the given arrays in order. Indices must have been checked. */
  int range(int[] users, int[] items, float[] labels, float[] theta, int from, int to) {
    int applied = 0;
    float touched = 0f;
    int k = from;
    for (; k + BLOCK <= to; k += BLOCK) {
      touched += touch(users, items, k, k + BLOCK);
      if (conflictFree(users, items, k)) {
        applied += block(users, items, labels, theta, k);
      } else {
        for (int j = k; j < k + BLOCK; j++) {
          applied += single(users[j], items[j], labels[j], theta[j]);
        }
      }
    }
    for (; k < to; k++) {
      applied += single(users[k], items[k], labels[k], theta[k]);
    }
    sink += touched;
    return applied;
  }

  /** One load per cache line of the rows of pairs [from, to). */
  private float touch(int[] users, int[] items, int from, int to) {
    int dim = model.dim;
    float[] p = model.userFactors;
    float[] q = model.itemFactors;
    float acc = 0f;
    for (int j = from; j < to; j++) {
      int pu = users[j] * dim;
      int qi = items[j] * dim;
      for (int d = 0; d < dim; d += LINE) {
        acc += p[pu + d] + q[qi + d];
      }
      // a row starts 16 bytes into a line (the array header), so it spans one line more than dim / 16:
      // its last float is on a line of its own; touching it raised SGD at d = 64 from about 8 to 10 M/s (two
      // runs each, one thread, 1M x 100k tables)
      acc += p[pu + dim - 1] + q[qi + dim - 1];
      if (stepSizes != null) {
        for (int d = 0; d < dim; d += LINE) {
          acc += state.userM[pu + d] + state.userV[pu + d] + state.itemM[qi + d] + state.itemV[qi + d];
        }
        acc += state.userM[pu + dim - 1] + state.userV[pu + dim - 1] + state.itemM[qi + dim - 1]
            + state.itemV[qi + dim - 1];
      }
    }
    return acc;
  }

  /**
   * Whether pairs [k, k + BLOCK) share no user and no item. First a filter: each id is hashed into a
   * 4,096-slot table of block stamps (16 KiB per side, in L1); if no slot is hit twice the block is free.
   * Only on a hit (a repeat, or a hash collision: about 11% of random blocks of 32) the exact pairwise
   * comparison decides. The pairwise test alone cost about as much as the block's arithmetic (one run in
   * cache at d = 64, medians of 7: 31 M/s with it, 48 without, 44 with this filter).
   */
  boolean conflictFree(int[] users, int[] items, int k) {
    int s = nextStamp();
    int[] us = userSlots;
    int[] is = itemSlots;
    boolean hit = false;
    for (int a = k; a < k + BLOCK; a++) {
      int hu = slot(users[a]);
      int hi = slot(items[a]);
      hit |= us[hu] == s | is[hi] == s;
      us[hu] = s;
      is[hi] = s;
    }
    return !hit || pairwiseFree(users, items, k);
  }

  /**
   * Whether pairs [a0, a1) and [c0, c1) have no user and no item in common (repeats inside either range
   * do not count); the same filter, then the exact comparison on a hit. Used by
   * {@link ParallelPairTrainer} to decide whether a block must wait for a running one.
   */
  boolean sharesNoRow(int[] users, int[] items, int a0, int a1, int c0, int c1) {
    int s = nextStamp();
    int[] us = userSlots;
    int[] is = itemSlots;
    for (int a = a0; a < a1; a++) {
      us[slot(users[a])] = s;
      is[slot(items[a])] = s;
    }
    boolean hit = false;
    for (int c = c0; c < c1; c++) {
      hit |= us[slot(users[c])] == s | is[slot(items[c])] == s;
    }
    if (!hit) {
      return true;
    }
    for (int a = a0; a < a1; a++) {
      int u = users[a];
      int i = items[a];
      for (int c = c0; c < c1; c++) {
        if (users[c] == u || items[c] == i) {
          return false;
        }
      }
    }
    return true;
  }

  private int nextStamp() {
    int s = ++stamp;
    if (s == Integer.MAX_VALUE) {
      java.util.Arrays.fill(userSlots, 0);
      java.util.Arrays.fill(itemSlots, 0);
      stamp = s = 1;
    }
    return s;
  }

  static int slot(int id) {
    return (id * 0x9E3779B9) >>> (32 - SLOT_BITS);
  }

  private static boolean pairwiseFree(int[] users, int[] items, int k) {
    for (int a = k; a < k + BLOCK; a++) {
      int u = users[a];
      int i = items[a];
      for (int b = a + 1; b < k + BLOCK; b++) {
        if (users[b] == u || items[b] == i) {
          return false;
        }
      }
    }
    return true;
  }

  /** A conflict-free block: all dots, then all updates. */
  private int block(int[] users, int[] items, float[] labels, float[] theta, int k) {
    int dim = model.dim;
    float[] p = model.userFactors;
    float[] q = model.itemFactors;
    float[] g = coef;
    if (vector) {
      float[] s = dots;
      for (int j = 0; j < BLOCK; j++) {
        s[j] = VectorRows.dot(p, users[k + j] * dim, q, items[k + j] * dim, dim);
      }
      VectorRows.coefficients(s, labels, theta, k, BLOCK, objective.loss(), objective.clip(),
          objective.negativeWeight(), g);
    } else {
      for (int j = 0; j < BLOCK; j++) {
        int pu = users[k + j] * dim;
        int qi = items[k + j] * dim;
        float s = dot(p, pu, q, qi, dim);
        g[j] = PairRule.coefficient(objective.loss(), s, labels[k + j], theta[k + j], objective.clip(),
            objective.negativeWeight());
      }
    }
    int applied = 0;
    for (int j = 0; j < BLOCK; j++) {
      if (!Float.isNaN(g[j])) {
        update(users[k + j], items[k + j], g[j]);
        applied++;
      }
    }
    return applied;
  }

  private int single(int u, int i, float label, float theta) {
    int dim = model.dim;
    float[] p = model.userFactors;
    float[] q = model.itemFactors;
    int pu = u * dim;
    int qi = i * dim;
    float s = dot(p, pu, q, qi, dim);
    float g = PairRule.coefficient(objective.loss(), s, label, theta, objective.clip(),
        objective.negativeWeight());
    if (Float.isNaN(g)) {
      return 0;
    }
    update(u, i, g);
    return 1;
  }

  private float dot(float[] p, int pu, float[] q, int qi, int dim) {
    if (vector) {
      return VectorRows.dot(p, pu, q, qi, dim);
    }
    float s = 0f;
    for (int d = 0; d < dim; d++) {
      s += p[pu + d] * q[qi + d];
    }
    return s;
  }

  private void update(int u, int i, float g) {
    int dim = model.dim;
    if (stepSizes != null) {
      ScalarPairTrainer.adamUpdate(model, state, rule, stepSizes, u, i, g, vector);
    } else if (vector) {
      VectorRows.sgd(model.userFactors, model.itemFactors, u * dim, i * dim, dim, g, rule.learningRate(),
          rule.l2());
    } else {
      ScalarPairTrainer.sgdRange(model.userFactors, model.itemFactors, u * dim, i * dim, 0, dim, g,
          rule.learningRate(), rule.l2());
    }
  }

  @Override
  public void syncToModel() {}

  @Override
  public String path() {
    return "java";
  }

  @Override
  public String device() {
    return vector ? "java (blocked, vector API " + VectorRows.SPECIES.vectorBitSize() + "-bit, 1 thread)"
        : "java (blocked, 1 thread)";
  }

  @Override
  public boolean ranOnOpenCL() {
    return false;
  }

  @Override
  public void close() {}
}
