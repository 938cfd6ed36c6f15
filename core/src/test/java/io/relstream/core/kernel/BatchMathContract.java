package io.relstream.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.core.estimator.LocalLoss;
import io.relstream.core.kernel.opencl.AparapiBatchMath.Limits;
import io.relstream.core.model.Adam;
import io.relstream.core.model.FactorModel;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The parity suite every {@link BatchMath} must pass. Each case runs the implementation under test on a
 * copy of a model, {@link ScalarBatchMath} (the reference) on an identical copy, and checks
 * <ul>
 *   <li>implementation vs reference: |x - r| &lt;= 1e-4 |r| + 1e-5 max|r| + 1e-7 ({@link #PARITY}):
 *       float rounding, fused multiply-adds and device math functions (exp, log, sqrt within a few
 *       ulp) may differ, nothing else may;</li>
 *   <li>reference vs an independent double-precision oracle ({@link DoubleOracle}):
 *       |x - r| &lt;= 1e-3 |r| + 1e-4 max|r| + 1e-6 ({@link #ORACLE}), so the reference is checked too.</li>
 * </ul>
 * Subclasses supply the implementation and may check, after each use, where it ran.
 */
abstract class BatchMathContract {
  static final Close PARITY = new Close(1e-4, 1e-5, 1e-7);
  static final Close ORACLE = new Close(1e-3, 1e-4, 1e-6);
  static final Limits SMALL = new Limits(8, 64, 40);

  /** The implementation under test, bound to {@code model}. */
  abstract BatchMath create(FactorModel model, Limits limits);

  /** Called after each execution of an implementation under test. */
  abstract void checkRan(BatchMath subject);

  // ---------------------------------------------------------------- fixtures

  static Batch randomBatch(SplittableRandom rng, int size, int users, int items, double clickRate,
      float minTheta) {
    Batch b = new Batch(size);
    for (int k = 0; k < size; k++) {
      float y = rng.nextDouble() < clickRate ? 1f : 0f;
      float theta = (float) (minTheta + rng.nextDouble() * (1 - minTheta));
      b.add(rng.nextInt(users), rng.nextInt(items), y, theta);
    }
    return b;
  }

  /** Runs one gradients() call on subject, reference and oracle and compares loss and gradients. */
  void compareGradients(FactorModel base, Batch batch, Objective objective, Limits limits) {
    FactorModel a = base.copy();
    FactorModel b = base.copy();
    DoubleOracle oracle = new DoubleOracle(base);
    try (BatchMath subject = create(a, limits); BatchMath ref = new ScalarBatchMath(b)) {
      double ls = subject.gradients(batch, objective);
      checkRan(subject);
      double lr = ref.gradients(batch, objective);
      double lo = oracle.gradients(batch, objective);
      ORACLE.scalar("reference loss vs oracle", lr, lo);
      PARITY.scalar("loss", ls, lr);
      compareGradientBuffers(subject, ref, oracle, a, b);
    }
  }

  static void compareGradientBuffers(BatchMath subject, BatchMath ref, DoubleOracle oracle,
      FactorModel a, FactorModel b) {
    float[] su = new float[a.userFactors.length];
    float[] si = new float[a.itemFactors.length];
    float[] ru = new float[b.userFactors.length];
    float[] ri = new float[b.itemFactors.length];
    subject.copyGradients(su, si);
    ref.copyGradients(ru, ri);
    if (oracle != null) {
      ORACLE.arrays("reference user gradient vs oracle", ru, oracle.gp);
      ORACLE.arrays("reference item gradient vs oracle", ri, oracle.gq);
    }
    PARITY.arrays("user gradient", su, ru);
    PARITY.arrays("item gradient", si, ri);
  }

  static Objective objective(LocalLoss loss, float clip, float c) {
    return new Objective(loss, clip, c);
  }

  static double maxAbs(float[] a) {
    double m = 0;
    for (float x : a) {
      m = Math.max(m, Math.abs(x));
    }
    return m;
  }

  // ---------------------------------------------------------------- cases

  @ParameterizedTest
  @EnumSource(LocalLoss.class)
  void randomBatchWithConflictingRows(LocalLoss loss) {
    SplittableRandom rng = new SplittableRandom(11);
    FactorModel model = FactorModel.xavier(13, 11, 8, 1);
    // 300 pairs over 13 users x 11 items: every row occurs many times in the batch
    Batch batch = randomBatch(rng, 300, 13, 11, 0.4, 0.005f);
    compareGradients(model, batch, objective(loss, 0.05f, 1f), Limits.defaults());
    compareGradients(model, batch, objective(loss, 0.02f, 0.977f), SMALL);
  }

  @ParameterizedTest
  @EnumSource(LocalLoss.class)
  void unclippedEstimator(LocalLoss loss) {
    SplittableRandom rng = new SplittableRandom(12);
    FactorModel model = FactorModel.xavier(40, 30, 16, 2);
    Batch batch = randomBatch(rng, 500, 40, 30, 0.5, 0.01f);
    compareGradients(model, batch, objective(loss, 0f, 1f), Limits.defaults());
  }

  @ParameterizedTest
  @EnumSource(LocalLoss.class)
  void zeroPropensityUnlabeledWithoutClipGivesZeroWeight(LocalLoss loss) {
    FactorModel model = FactorModel.xavier(5, 6, 4, 3);
    Batch batch = new Batch(8);
    for (int k = 0; k < 8; k++) {
      batch.add(k % 5, (3 * k) % 6, 0f, 0f); // theta = 0, M = 0, Y = 0
    }
    compareGradients(model, batch, objective(loss, 0f, 1f), Limits.defaults());
  }

  @ParameterizedTest
  @EnumSource(LocalLoss.class)
  void zeroPropensityClickIsFlooredAtOneMillionth(LocalLoss loss) {
    FactorModel model = FactorModel.xavier(5, 6, 4, 4);
    Batch batch = new Batch(8);
    batch.add(1, 2, 1f, 0f); // w = 1 / 1e-6
    for (int k = 0; k < 7; k++) {
      batch.add(k % 5, k % 6, k % 2, 0.5f);
    }
    compareGradients(model, batch, objective(loss, 0f, 1f), Limits.defaults());
    try (BatchMath m = create(model.copy(), Limits.defaults())) {
      double l = m.gradients(batch, objective(loss, 0f, 1f));
      checkRan(m);
      assertTrue(Double.isFinite(l) && Math.abs(l) > 1e4, "the floored weight dominates the loss: " + l);
    }
  }

  @Test
  void saturatedLogLossHasZeroGradient() {
    SplittableRandom rng = new SplittableRandom(5);
    FactorModel model = FactorModel.xavier(6, 7, 4, 5);
    for (int k = 0; k < model.userFactors.length; k++) {
      model.userFactors[k] *= 8; // scores of order +-10: many pairs beyond the LOG_EPS clamp
    }
    for (int k = 0; k < model.itemFactors.length; k++) {
      model.itemFactors[k] *= 8;
    }
    Batch batch = randomBatch(rng, 120, 6, 7, 0.5, 0.01f);
    int saturated = 0;
    for (int k = 0; k < batch.size(); k++) {
      if (Math.abs(model.score(batch.users[k], batch.items[k])) > 9.3) {
        saturated++;
      }
    }
    assertTrue(saturated > 10, "fixture must saturate some pairs, got " + saturated);
    compareGradients(model, batch, objective(LocalLoss.LOG, 0.01f, 1f), Limits.defaults());
    compareGradients(model, batch, objective(LocalLoss.SQUARED, 0.01f, 1f), Limits.defaults());

    // a single saturated unlabeled pair (normaliser 1) contributes nothing to the gradient, and its
    // loss l-(s) is bounded by -log(LOG_EPS)
    int k = 0;
    while (model.score(batch.users[k], batch.items[k]) <= 9.3) {
      k++;
    }
    Batch one = new Batch(1);
    one.add(batch.users[k], batch.items[k], 0f, batch.theta[k]);
    try (BatchMath m = create(model.copy(), Limits.defaults())) {
      double l = m.gradients(one, objective(LocalLoss.LOG, 0.01f, 1f));
      checkRan(m);
      float[] gu = new float[model.userFactors.length];
      float[] gi = new float[model.itemFactors.length];
      m.copyGradients(gu, gi);
      assertEquals(0.0, maxAbs(gu), "saturated pair, user gradient");
      assertEquals(0.0, maxAbs(gi), "saturated pair, item gradient");
      assertEquals(-Math.log(LocalLoss.LOG_EPS), l, 1e-3, "saturated, bounded loss");
    }
  }

  @ParameterizedTest
  @EnumSource(LocalLoss.class)
  void batchLargerThanDeviceBuffers(LocalLoss loss) {
    SplittableRandom rng = new SplittableRandom(13);
    FactorModel model = FactorModel.xavier(50, 40, 8, 6);
    Batch batch = randomBatch(rng, 1000, 50, 40, 0.3, 0.01f);
    // grows from 8 pairs and processes the batch in chunks of 64
    compareGradients(model, batch, objective(loss, 0.05f, 1f), SMALL);
    // grows from 8 pairs to the whole batch in one chunk
    compareGradients(model, batch, objective(loss, 0.05f, 1f), new Limits(8, 1 << 20, 1 << 20));
  }

  @Test
  void emptyBatchReturnsZeroAndChangesNothing() {
    SplittableRandom rng = new SplittableRandom(14);
    FactorModel model = FactorModel.xavier(9, 8, 4, 7);
    FactorModel a = model.copy();
    try (BatchMath m = create(a, Limits.defaults())) {
      assertEquals(0.0, m.gradients(new Batch(4), objective(LocalLoss.SQUARED, 0f, 1f)));
      float[] gu = new float[a.userFactors.length];
      float[] gi = new float[a.itemFactors.length];
      m.copyGradients(gu, gi);
      assertEquals(0.0, maxAbs(gu));
      assertEquals(0.0, maxAbs(gi));

      m.gradients(randomBatch(rng, 30, 9, 8, 0.5, 0.1f), objective(LocalLoss.LOG, 0.1f, 1f));
      checkRan(m);
      m.copyGradients(gu, gi);
      assertTrue(maxAbs(gu) > 0, "a real batch leaves a gradient");
      float[] gu2 = new float[gu.length];
      float[] gi2 = new float[gi.length];
      assertEquals(0.0, m.gradients(new Batch(1), objective(LocalLoss.LOG, 0.1f, 1f)));
      m.copyGradients(gu2, gi2);
      assertArrayEquals(gu, gu2, "empty batch leaves the user gradient");
      assertArrayEquals(gi, gi2, "empty batch leaves the item gradient");
      m.syncToModel();
      assertArrayEquals(model.userFactors, a.userFactors, "gradients() does not move the tables");
      assertArrayEquals(model.itemFactors, a.itemFactors, "gradients() does not move the tables");
    }
  }

  @Test
  void unweightedBatchReturnsZero() {
    FactorModel model = FactorModel.xavier(4, 4, 4, 8);
    Batch batch = new Batch(3);
    batch.add(0, 1, 0f, 0.3f);
    batch.add(2, 3, 0f, 0.3f);
    batch.add(1, 1, 0f, 0.3f);
    try (BatchMath m = create(model.copy(), Limits.defaults())) {
      assertEquals(0.0, m.gradients(batch, objective(LocalLoss.SQUARED, 0f, 0f)), "c = 0, no clicks");
      float[] gu = new float[model.userFactors.length];
      float[] gi = new float[model.itemFactors.length];
      m.copyGradients(gu, gi);
      assertEquals(0.0, maxAbs(gu));
      assertEquals(0.0, maxAbs(gi));
    }
  }

  @ParameterizedTest
  @EnumSource(LocalLoss.class)
  void adamStepsMatch(LocalLoss loss) {
    SplittableRandom rng = new SplittableRandom(15);
    FactorModel model = FactorModel.xavier(30, 25, 8, 9);
    FactorModel a = model.copy();
    FactorModel b = model.copy();
    DoubleOracle oracle = new DoubleOracle(model);
    Adam adam = Adam.defaults(0.01f, 1e-3f);
    Objective obj = objective(loss, 0.02f, 1f);
    try (BatchMath subject = create(a, SMALL); BatchMath ref = new ScalarBatchMath(b)) {
      for (int step = 0; step < 6; step++) {
        int batches = step == 2 ? 2 : 1; // two batches accumulate before one step
        for (int j = 0; j < batches; j++) {
          Batch batch = randomBatch(rng, 200, 30, 25, 0.4, 0.005f);
          double ls = subject.gradients(batch, obj);
          checkRan(subject);
          double lr = ref.gradients(batch, obj);
          double lo = oracle.gradients(batch, obj);
          ORACLE.scalar("reference loss vs oracle, step " + step, lr, lo);
          PARITY.scalar("loss, step " + step, ls, lr);
        }
        if (step == 3) {
          compareGradientBuffers(subject, ref, oracle, a, b);
        }
        subject.adamStep(adam);
        checkRan(subject);
        ref.adamStep(adam);
        oracle.adamStep(adam);
      }
      float[] gu = new float[a.userFactors.length];
      float[] gi = new float[a.itemFactors.length];
      subject.copyGradients(gu, gi);
      assertEquals(0.0, maxAbs(gu), "adamStep clears the user gradient");
      assertEquals(0.0, maxAbs(gi), "adamStep clears the item gradient");

      subject.syncToModel();
      ORACLE.arrays("reference P vs oracle", b.userFactors, oracle.p);
      ORACLE.arrays("reference Q vs oracle", b.itemFactors, oracle.q);
      PARITY.arrays("P after Adam", a.userFactors, b.userFactors);
      PARITY.arrays("Q after Adam", a.itemFactors, b.itemFactors);
      double moved = 0;
      for (int k = 0; k < model.userFactors.length; k++) {
        moved = Math.max(moved, Math.abs(model.userFactors[k] - a.userFactors[k]));
      }
      assertTrue(moved > 0.01, "six steps of lr 0.01 move the tables, moved " + moved);
    }
  }

  @Test
  void scoresMatch() {
    SplittableRandom rng = new SplittableRandom(16);
    FactorModel model = FactorModel.xavier(20, 17, 8, 10);
    FactorModel a = model.copy();
    FactorModel b = model.copy();
    int[] users = {0, 3, 3, 19, 7, 11, 2};
    // SMALL scores at most 40 floats per launch: 2 users of 17 items per launch, 4 launches
    try (BatchMath subject = create(a, SMALL); BatchMath ref = new ScalarBatchMath(b)) {
      Adam adam = Adam.defaults(0.05f, 1e-4f);
      for (int step = 0; step < 3; step++) {
        Batch batch = randomBatch(rng, 100, 20, 17, 0.5, 0.1f);
        subject.gradients(batch, objective(LocalLoss.SQUARED, 0.1f, 1f));
        ref.gradients(batch, objective(LocalLoss.SQUARED, 0.1f, 1f));
        subject.adamStep(adam);
        ref.adamStep(adam);
      }
      float[] s = new float[users.length * 17];
      float[] r = new float[users.length * 17];
      subject.scores(users, s);
      checkRan(subject);
      ref.scores(users, r);
      ORACLE.arrays("reference scores vs oracle", r, new DoubleOracle(b).scores(users));
      PARITY.arrays("scores", s, r);
      // larger out than needed: the tail is left alone
      float[] big = new float[users.length * 17 + 5];
      java.util.Arrays.fill(big, 42f);
      subject.scores(new int[] {5}, big);
      assertEquals(42f, big[17], "scores beyond users x items untouched");
      float[] one = new float[17];
      ref.scores(new int[] {5}, one);
      PARITY.arrays("scores of user 5", java.util.Arrays.copyOf(big, 17), one);
    }
  }

  /** A batch over a subset of rows only: users [0, users) x items [0, items) of a larger model. */
  @ParameterizedTest
  @EnumSource(LocalLoss.class)
  void sparseAdamStepsMatchAndLeaveUntouchedRows(LocalLoss loss) {
    SplittableRandom rng = new SplittableRandom(17);
    FactorModel model = FactorModel.xavier(40, 30, 8, 11);
    FactorModel a = model.copy();
    FactorModel b = model.copy();
    DoubleOracle oracle = new DoubleOracle(model);
    Adam adam = Adam.defaults(0.02f, 1e-3f);
    Objective obj = objective(loss, 0.05f, 1f);
    try (BatchMath subject = create(a, SMALL); BatchMath ref = new ScalarBatchMath(b)) {
      for (int step = 0; step < 7; step++) {
        // the touched region moves: rows [0, 10 + 4 step) of users, [0, 8 + 3 step) of items
        int users = 10 + 4 * step;
        int items = 8 + 3 * step;
        Batch batch = randomBatch(rng, 60, users, items, 0.4, 0.01f);
        double ls = subject.gradients(batch, obj);
        checkRan(subject);
        double lr = ref.gradients(batch, obj);
        oracle.gradients(batch, obj);
        PARITY.scalar("loss, sparse step " + step, ls, lr);
        subject.sparseAdamStep(adam);
        checkRan(subject);
        ref.sparseAdamStep(adam);
        oracle.sparseAdamStep(adam);
      }
      assertEquals(7, subject.step(), "one global step per call");
      assertEquals(7, ref.step());
      subject.syncToModel();
      ORACLE.arrays("reference P vs oracle (sparse)", b.userFactors, oracle.p);
      ORACLE.arrays("reference Q vs oracle (sparse)", b.itemFactors, oracle.q);
      PARITY.arrays("P after sparse Adam", a.userFactors, b.userFactors);
      PARITY.arrays("Q after sparse Adam", a.itemFactors, b.itemFactors);
      // rows never in a batch (users >= 34, items >= 26) are bit-for-bit the initial values
      for (int k = 34 * 8; k < model.userFactors.length; k++) {
        assertEquals(model.userFactors[k], a.userFactors[k], "untouched user entry " + k);
      }
      for (int k = 26 * 8; k < model.itemFactors.length; k++) {
        assertEquals(model.itemFactors[k], a.itemFactors[k], "untouched item entry " + k);
      }
      float[] um = new float[a.userFactors.length];
      float[] uv = new float[a.userFactors.length];
      float[] im = new float[a.itemFactors.length];
      float[] iv = new float[a.itemFactors.length];
      subject.copyMoments(um, uv, im, iv);
      assertEquals(0.0, maxAbs(java.util.Arrays.copyOfRange(uv, 34 * 8, uv.length)), "untouched moments");
      assertTrue(maxAbs(uv) > 0, "touched rows have a second moment");
      float[] rm = new float[um.length];
      float[] rv = new float[uv.length];
      float[] rim = new float[im.length];
      float[] riv = new float[iv.length];
      ref.copyMoments(rm, rv, rim, riv);
      PARITY.arrays("user first moment", um, rm);
      PARITY.arrays("item second moment", iv, riv);
    }
  }

  @Test
  void sparseStepOverEveryRowEqualsDenseStep() {
    FactorModel model = FactorModel.xavier(4, 3, 4, 12);
    FactorModel a = model.copy();
    FactorModel b = model.copy();
    Batch batch = new Batch(12);
    for (int u = 0; u < 4; u++) {
      for (int i = 0; i < 3; i++) {
        batch.add(u, i, (u + i) % 2, 0.3f);
      }
    }
    Adam adam = Adam.defaults(0.05f, 1e-2f);
    try (BatchMath sparse = create(a, Limits.defaults()); BatchMath dense = create(b, Limits.defaults())) {
      for (int step = 0; step < 3; step++) {
        sparse.gradients(batch, objective(LocalLoss.LOG, 0.1f, 1f));
        dense.gradients(batch, objective(LocalLoss.LOG, 0.1f, 1f));
        sparse.sparseAdamStep(adam);
        checkRan(sparse);
        dense.adamStep(adam);
        checkRan(dense);
      }
      sparse.syncToModel();
      dense.syncToModel();
      assertArrayEquals(b.userFactors, a.userFactors, "all rows touched: sparse == dense (P)");
      assertArrayEquals(b.itemFactors, a.itemFactors, "all rows touched: sparse == dense (Q)");
    }
  }

  /**
   * Moves the state (tables, moments, step) into an instance bound to a larger model, as a growing
   * trainer does, and checks that the continued run equals an uninterrupted one on the old rows.
   */
  @ParameterizedTest
  @EnumSource(LocalLoss.class)
  void loadStateIntoLargerModelContinuesTheRun(LocalLoss loss) {
    SplittableRandom rng = new SplittableRandom(18);
    FactorModel model = FactorModel.xavier(12, 9, 4, 13);
    FactorModel a = model.copy();
    FactorModel b = model.copy();
    Adam adam = Adam.defaults(0.02f, 1e-3f);
    Objective obj = objective(loss, 0.05f, 1f);
    Batch[] batches = new Batch[6];
    for (int j = 0; j < batches.length; j++) {
      batches[j] = randomBatch(rng, 40, 12, 9, 0.4, 0.05f);
    }
    try (BatchMath ref = new ScalarBatchMath(b)) {
      for (Batch batch : batches) {
        ref.gradients(batch, obj);
        ref.sparseAdamStep(adam);
      }
      FactorModel grown;
      try (BatchMath first = create(a, Limits.defaults())) {
        for (int j = 0; j < 3; j++) {
          first.gradients(batches[j], obj);
          first.sparseAdamStep(adam);
        }
        first.syncToModel();
        grown = new FactorModel(20, 15, 4);
        System.arraycopy(a.userFactors, 0, grown.userFactors, 0, a.userFactors.length);
        System.arraycopy(a.itemFactors, 0, grown.itemFactors, 0, a.itemFactors.length);
        float[] um = new float[grown.userFactors.length];
        float[] uv = new float[grown.userFactors.length];
        float[] im = new float[grown.itemFactors.length];
        float[] iv = new float[grown.itemFactors.length];
        first.copyMoments(um, uv, im, iv);
        int step = first.step();
        assertEquals(3, step);
        try (BatchMath second = create(grown, Limits.defaults())) {
          second.loadState(um, uv, im, iv, step);
          for (int j = 3; j < batches.length; j++) {
            second.gradients(batches[j], obj);
            second.sparseAdamStep(adam);
            checkRan(second);
          }
          assertEquals(6, second.step());
          second.syncToModel();
        }
      }
      PARITY.arrays("P after growing", java.util.Arrays.copyOf(grown.userFactors, b.userFactors.length),
          b.userFactors);
      PARITY.arrays("Q after growing", java.util.Arrays.copyOf(grown.itemFactors, b.itemFactors.length),
          b.itemFactors);
      for (int k = b.userFactors.length; k < grown.userFactors.length; k++) {
        assertEquals(0f, grown.userFactors[k], "new rows untouched");
      }
    }
  }
}
