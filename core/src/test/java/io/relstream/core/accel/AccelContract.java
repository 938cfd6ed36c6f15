package io.relstream.core.accel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.relstream.core.estimator.LocalLoss;
import io.relstream.core.kernel.Batch;
import io.relstream.core.kernel.Objective;
import io.relstream.core.model.FactorModel;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The parity suite every path of both kernels must pass against the scalar reference
 * ({@link ScalarPairTrainer}, {@link ScalarTopK}), on identical copies of a model, on random and
 * adversarial inputs. Subclasses give the implementation, the tolerance, and check after every use
 * where it ran.
 *
 * <p>Tolerance of a table entry x against the reference r: |x - r| &lt;= rel |r| + scale max|r| + abs
 * ({@link #tolerance()}); {@code Tol.EXACT} means bit-identical.
 */
abstract class AccelContract {

  /** |x - r| &lt;= rel |r| + scale max|r| + abs. */
  record Tol(double rel, double scale, double abs) {
    static final Tol EXACT = new Tol(0, 0, 0);
    /** For sums taken in another order (OpenCL, Vector API lanes). */
    static final Tol REORDERED = new Tol(1e-4, 1e-5, 1e-6);
  }

  abstract PairTrainer trainer(FactorModel model, RowAdamState state, StepRule rule, Objective objective,
      int batchCapacity);

  abstract TopKScorer scorer(FactorModel model);

  abstract Tol tolerance();

  /** Called after each execution of a subject. */
  abstract void checkRan(PairTrainer subject);

  abstract void checkRan(TopKScorer subject);

  // --------------------------------------------------------------------------- fixtures

  static Batch randomBatch(SplittableRandom rng, int size, int users, int items, float minTheta) {
    Batch b = new Batch(Math.max(1, size));
    for (int k = 0; k < size; k++) {
      float y = rng.nextDouble() < 0.3 ? 1f : 0f;
      b.add(rng.nextInt(users), rng.nextInt(items), y, (float) (minTheta + rng.nextDouble() * (1 - minTheta)));
    }
    return b;
  }

  static StepRule rule(String optimizer, float lr) {
    return "adam".equals(optimizer) ? StepRule.adam(lr, 1e-3f) : StepRule.sgd(lr, 1e-3f);
  }

  /** Trains subject and reference on copies of base with the same batches; compares everything. */
  void compareTraining(FactorModel base, StepRule rule, Objective objective, int capacity, Batch... batches) {
    FactorModel a = base.copy();
    FactorModel b = base.copy();
    RowAdamState sa = new RowAdamState(a);
    RowAdamState sb = new RowAdamState(b);
    try (PairTrainer subject = trainer(a, sa, rule, objective, capacity);
        PairTrainer ref = Accel.scalarTrainer(b, sb, rule, objective)) {
      for (Batch batch : batches) {
        int applied = subject.train(batch);
        if (batch.size() > 0) {
          checkRan(subject);
        }
        assertEquals(ref.train(batch), applied, "pairs applied");
      }
      subject.syncToModel();
    }
    compare("user factors", a.userFactors, b.userFactors);
    compare("item factors", a.itemFactors, b.itemFactors);
    if (rule.optimizer() == StepRule.Optimizer.ADAM) {
      compare("user first moments", sa.userM, sb.userM);
      compare("item second moments", sa.itemV, sb.itemV);
      assertArrayEquals(sb.userSteps, sa.userSteps, "user step counts");
      assertArrayEquals(sb.itemSteps, sa.itemSteps, "item step counts");
    }
  }

  void compare(String what, float[] x, float[] ref) {
    assertEquals(ref.length, x.length, what + " length");
    Tol t = tolerance();
    if (t.equals(Tol.EXACT)) {
      assertArrayEquals(ref, x, what + " (bit-identical)");
      return;
    }
    double max = 0;
    for (float r : ref) {
      if (Float.isFinite(r)) {
        max = Math.max(max, Math.abs(r));
      }
    }
    for (int k = 0; k < x.length; k++) {
      if (!Float.isFinite(ref[k]) || !Float.isFinite(x[k])) {
        // NaN and infinities must agree exactly
        assertEquals(ref[k], x[k], what + "[" + k + "] non-finite");
        continue;
      }
      double tol = t.rel() * Math.abs(ref[k]) + t.scale() * max + t.abs();
      if (!(Math.abs(x[k] - ref[k]) <= tol)) {
        fail(what + "[" + k + "]: " + x[k] + " vs reference " + ref[k] + " (tolerance " + tol + ")");
      }
    }
  }

  // --------------------------------------------------------------------------- training

  @ParameterizedTest(name = "{0} {1} M={2}")
  @CsvSource({"sgd, SQUARED, 0.1", "sgd, LOG, 0.1", "adam, SQUARED, 0.1", "adam, LOG, 0", "sgd, LOG, 0"})
  void randomBatchesMatchTheReference(String optimizer, LocalLoss loss, float clip) {
    SplittableRandom rng = new SplittableRandom(42);
    FactorModel base = FactorModel.xavier(50, 40, 16, 3);
    Batch[] batches = new Batch[3];
    for (int j = 0; j < batches.length; j++) {
      batches[j] = randomBatch(rng, 300, 50, 40, 0.05f); // heavy row conflicts: 300 pairs on 50 x 40
    }
    compareTraining(base, rule(optimizer, 0.05f), new Objective(loss, clip, 1f), 1 << 16, batches);
  }

  /**
   * Pairs on distinct users and distinct items, so every block is conflict-free and takes the blocked
   * route (all dots, then all coefficients, then all updates), with edge values inside the blocks: NaN,
   * negative and infinite labels, NaN and zero theta, a label above 1, and rows scaled up so that their
   * scores saturate the sigmoid (the log loss's gradient is then exactly zero).
   */
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"sgd, SQUARED", "sgd, LOG", "adam, SQUARED", "adam, LOG"})
  void conflictFreeBlocksWithEdgeValuesMatchTheReference(String optimizer, LocalLoss loss) {
    int dim = 24;
    FactorModel base = FactorModel.xavier(200, 200, dim, 8);
    for (int d = 0; d < dim; d++) {
      base.userFactors[dim + d] *= 40;      // user 1 and item 7 (pair 1): |s| far beyond the log loss's bound
      base.itemFactors[7 * dim + d] *= 40;
    }
    SplittableRandom rng = new SplittableRandom(9);
    Batch b = new Batch(160);
    for (int k = 0; k < 160; k++) {
      float label = rng.nextDouble() < 0.5 ? 1f : 0f;
      float th = (float) (0.05 + 0.95 * rng.nextDouble());
      switch (k % 16) {
        case 3 -> label = Float.NaN;
        case 5 -> { label = 1f; th = Float.NaN; }
        case 7 -> label = -1f;
        case 9 -> label = Float.POSITIVE_INFINITY;
        case 11 -> { label = 1f; th = 0f; }
        case 13 -> label = 2.5f;
        default -> { }
      }
      b.add(k, (k * 7) % 200, label, th); // 7 is coprime to 200: items distinct too
    }
    compareTraining(base, rule(optimizer, 0.05f), new Objective(loss, 0.1f, 1f), 1 << 16, b);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"sgd", "adam"})
  void thetaZeroWithoutClipUsesTheFloor(String optimizer) {
    // theta = 0 and M = 0: w = Y / 1e-6 = 1e6, so lr is scaled down to keep steps moderate
    FactorModel base = FactorModel.xavier(6, 5, 8, 4);
    Batch b = new Batch(4);
    b.add(0, 0, 1f, 0f);
    b.add(1, 2, 0f, 0f);
    b.add(2, 3, 1f, 0f);
    b.add(3, 4, 1f, -1f);
    compareTraining(base, rule(optimizer, "adam".equals(optimizer) ? 0.01f : 1e-7f),
        new Objective(LocalLoss.SQUARED, 0f, 1f), 1 << 16, b);
  }

  @Test
  void nanAndInvalidPairsAreSkippedAndCounted() {
    FactorModel base = FactorModel.xavier(6, 5, 8, 5);
    Batch b = new Batch(8);
    b.add(0, 0, Float.NaN, 0.5f);        // skipped: NaN label
    b.add(1, 1, 1f, Float.NaN);          // skipped: click with NaN theta
    b.add(2, 2, 0f, Float.NaN);          // applied: w = 0 whatever theta
    b.add(3, 3, -1f, 0.5f);              // skipped: negative label
    b.add(4, 4, Float.POSITIVE_INFINITY, 0.5f); // skipped: infinite label
    b.add(5, 0, 1f, 0.3f);               // applied
    FactorModel probe = base.copy();
    try (PairTrainer t = trainer(probe, new RowAdamState(probe), rule("sgd", 0.1f),
        new Objective(LocalLoss.LOG, 0.1f, 1f), 1 << 16)) {
      assertEquals(2, t.train(b), "applied pairs");
      checkRan(t);
    }
    compareTraining(base, rule("adam", 0.1f), new Objective(LocalLoss.LOG, 0.1f, 1f), 1 << 16, b);
  }

  @Test
  void nonFiniteScoresAreSkipped() {
    FactorModel base = FactorModel.xavier(4, 4, 8, 6);
    base.userFactors[0] = Float.NaN;                 // user 0 scores NaN
    base.itemFactors[8] = Float.POSITIVE_INFINITY;   // item 1 scores +-inf or NaN
    Batch b = new Batch(4);
    b.add(0, 2, 1f, 0.5f);
    b.add(1, 1, 1f, 0.5f);
    b.add(2, 3, 0f, 0.5f);
    compareTraining(base, rule("sgd", 0.1f), new Objective(LocalLoss.SQUARED, 0.1f, 1f), 1 << 16, b);
  }

  @Test
  void emptyBatchChangesNothing() {
    FactorModel base = FactorModel.xavier(4, 4, 8, 7);
    FactorModel a = base.copy();
    try (PairTrainer t = trainer(a, new RowAdamState(a), rule("adam", 0.1f),
        new Objective(LocalLoss.SQUARED, 0.1f, 1f), 1 << 16)) {
      assertEquals(0, t.train(new Batch(3)));
      t.syncToModel();
    }
    assertArrayEquals(base.userFactors, a.userFactors);
    assertArrayEquals(base.itemFactors, a.itemFactors);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"sgd", "adam"})
  void batchLargerThanTheDeviceBufferIsChunkedInOrder(String optimizer) {
    SplittableRandom rng = new SplittableRandom(8);
    FactorModel base = FactorModel.xavier(30, 20, 12, 8);
    Batch big = randomBatch(rng, 203, 30, 20, 0.1f); // capacity 16: 13 chunks, the last partial
    compareTraining(base, rule(optimizer, 0.05f), new Objective(LocalLoss.LOG, 0.05f, 1f), 16, big);
  }

  @Test
  void oneUserAgainstFewItemsIsFullyConflicting() {
    FactorModel base = FactorModel.xavier(3, 3, 8, 9);
    Batch b = new Batch(40);
    for (int k = 0; k < 40; k++) {
      b.add(0, k % 3, k % 2, 0.2f); // every pair shares user 0: 40 rounds
    }
    compareTraining(base, rule("adam", 0.05f), new Objective(LocalLoss.SQUARED, 0.1f, 1f), 1 << 16, b);
  }

  @Test
  void emptyModelShapeWithOneDimensionWorks() {
    SplittableRandom rng = new SplittableRandom(10);
    FactorModel base = FactorModel.xavier(1, 1, 1, 10);
    compareTraining(base, rule("sgd", 0.1f), new Objective(LocalLoss.LOG, 0f, 1f), 1 << 16,
        randomBatch(rng, 9, 1, 1, 0f));
  }

  @Test
  void pairsOutsideTheModelFailBeforeAnyUpdate() {
    FactorModel base = FactorModel.xavier(3, 3, 4, 11);
    FactorModel a = base.copy();
    Batch b = new Batch(2);
    b.add(0, 0, 1f, 0.5f);
    b.add(0, 3, 1f, 0.5f);
    try (PairTrainer t = trainer(a, null, rule("sgd", 0.1f), new Objective(LocalLoss.LOG, 0f, 1f), 1 << 16)) {
      assertThrows(IndexOutOfBoundsException.class, () -> t.train(b));
      t.syncToModel();
    }
    assertArrayEquals(base.userFactors, a.userFactors, "nothing applied");
  }

  // --------------------------------------------------------------------------- scoring

  void compareTopK(FactorModel model, int[] users, int k, SeenItems seen) {
    int[] items = new int[users.length * k];
    float[] scores = new float[users.length * k];
    int[] refItems = new int[users.length * k];
    float[] refScores = new float[users.length * k];
    try (TopKScorer subject = scorer(model); TopKScorer ref = Accel.scalarScorer(model)) {
      subject.topK(users, k, seen, items, scores);
      checkRan(subject);
      ref.topK(users, k, seen, refItems, refScores);
    }
    if (tolerance().equals(Tol.EXACT)) {
      assertArrayEquals(refItems, items, "top-k items");
      assertArrayEquals(refScores, scores, "top-k scores");
      return;
    }
    // on a device the scores may differ by rounding: items must match except where two reference scores
    // are closer than the tolerance (then their order may swap)
    for (int j = 0; j < items.length; j++) {
      if (items[j] != refItems[j]) {
        float near = refScores[j];
        boolean tie = (j + 1 < items.length && Math.abs(refScores[j + 1] - near) <= 1e-5f * (1 + Math.abs(near)))
            || (j > 0 && Math.abs(refScores[j - 1] - near) <= 1e-5f * (1 + Math.abs(near)));
        assertTrue(tie, "rank " + j + ": item " + items[j] + " vs reference " + refItems[j]);
      }
    }
    compare("top-k scores", scores, refScores);
  }

  @Test
  void topKOfRandomUsersMatchesTheReference() {
    FactorModel model = FactorModel.xavier(40, 3000, 16, 12);
    compareTopK(model, new int[] {0, 7, 39, 7, 12}, 10, null);
  }

  @Test
  void oneUserTopHundred() {
    FactorModel model = FactorModel.xavier(4, 5000, 64, 13);
    compareTopK(model, new int[] {2}, 100, null);
  }

  @Test
  void seenItemsAreExcluded() {
    FactorModel model = FactorModel.xavier(5, 500, 8, 14);
    int[] users = {1, 3};
    int[] all = new int[2 * 5];
    float[] allScores = new float[2 * 5];
    try (TopKScorer ref = Accel.scalarScorer(model)) {
      ref.topK(users, 5, null, all, allScores);
    }
    // exclude user 1's best three and user 3's best one
    int[] a = {all[0], all[1], all[2]};
    java.util.Arrays.sort(a);
    SeenItems seen = new SeenItems(new int[] {0, 3, 4}, new int[] {a[0], a[1], a[2], all[5]});
    int[] items = new int[10];
    float[] scores = new float[10];
    try (TopKScorer s = scorer(model)) {
      s.topK(users, 5, seen, items, scores);
      checkRan(s);
    }
    for (int j = 0; j < 5; j++) {
      for (int x : a) {
        assertTrue(items[j] != x, "seen item " + x + " returned for user 1");
      }
      assertTrue(items[5 + j] != all[5], "seen item returned for user 3");
    }
    assertEquals(all[3], items[0], "user 1's fourth best moves to the top");
    compareTopK(model, users, 5, seen);
  }

  @Test
  void tiesNanRowsAndShortListsFollowTheOrder() {
    FactorModel model = FactorModel.xavier(2, 7, 4, 15);
    for (int d = 0; d < 4; d++) {
      model.itemFactors[5 * 4 + d] = model.itemFactors[2 * 4 + d]; // items 2 and 5 tie: 2 ranks first
      model.itemFactors[4 + d] = Float.NaN;                        // item 1 scores NaN: never returned
    }
    int[] items = new int[2 * 10];
    float[] scores = new float[2 * 10];
    SeenItems seen = new SeenItems(new int[] {0, 1, 1}, new int[] {6});
    try (TopKScorer s = scorer(model)) {
      s.topK(new int[] {0, 1}, 10, seen, items, scores);
      checkRan(s);
    }
    // user 0: 7 items - NaN item 1 - seen item 6 = 5 real entries, then 5 sentinels
    for (int j = 0; j < 10; j++) {
      assertTrue(items[j] != 1 && items[j] != 6, "excluded item returned");
    }
    assertEquals(-1, items[5]);
    assertEquals(Float.NEGATIVE_INFINITY, scores[9]);
    assertEquals(-1, items[10 + 6]);
    int i2 = -1;
    int i5 = -1;
    for (int j = 10; j < 16; j++) {
      if (items[j] == 2) i2 = j;
      if (items[j] == 5) i5 = j;
    }
    assertEquals(i2 + 1, i5, "equal scores: lower item first");
    compareTopK(model, new int[] {0, 1}, 10, seen);
  }

  @Test
  void invalidScoringArgumentsAreRejected() {
    FactorModel model = FactorModel.xavier(2, 7, 4, 16);
    try (TopKScorer s = scorer(model)) {
      assertThrows(IndexOutOfBoundsException.class, () -> s.topK(new int[] {2}, 3, null, new int[3], new float[3]));
      assertThrows(IllegalArgumentException.class, () -> s.topK(new int[] {0}, 0, null, new int[3], new float[3]));
      assertThrows(IllegalArgumentException.class, () -> s.topK(new int[] {0, 1}, 3, null, new int[3], new float[3]));
    }
  }

  @Test
  void refreshSeesTrainedTables() {
    FactorModel model = FactorModel.xavier(3, 50, 8, 17);
    try (TopKScorer s = scorer(model)) {
      int[] before = new int[5];
      s.topK(new int[] {0}, 5, null, before, new float[5]);
      for (int d = 0; d < 8; d++) {
        model.itemFactors[49 * 8 + d] = 100f * Math.signum(model.userFactors[d]); // item 49 now best
      }
      s.refresh();
      int[] after = new int[5];
      s.topK(new int[] {0}, 5, null, after, new float[5]);
      checkRan(s);
      assertEquals(49, after[0]);
    }
  }
}
