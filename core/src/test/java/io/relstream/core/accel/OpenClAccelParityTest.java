package io.relstream.core.accel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.relstream.core.estimator.LocalLoss;
import io.relstream.core.kernel.Batch;
import io.relstream.core.kernel.Objective;
import io.relstream.core.model.FactorModel;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The parity suite on the OpenCL path (device 0: a GPU if present, else PoCL), deterministic rounds.
 * Tolerance against the scalar reference: |x - r| &lt;= 1e-4 |r| + 1e-5 max|r| + 1e-6. The device
 * computes exp and sqrt in float (a few ulp) and may fuse multiply-adds, and per-pair updates carry
 * those differences into later pairs of the same rows; nothing else may differ. Every execution must
 * have run on OpenCL ({@code isRunningCL()} checked after it, and the device is not Java).
 *
 * <p>Without OpenCL the class is skipped with the reason printed, unless {@code RELSTREAM_REQUIRE_OPENCL=1}
 * turns that into a failure (CI, with PoCL).
 */
class OpenClAccelParityTest extends AccelContract {
  private static String unavailable;

  @BeforeAll
  static void probe() {
    unavailable = Accel.openClUnavailable();
    if (unavailable == null && Accel.openClDevices().isEmpty()) {
      unavailable = "no OpenCL device";
    }
    if (unavailable != null) {
      if ("1".equals(System.getenv("RELSTREAM_REQUIRE_OPENCL"))) {
        fail("RELSTREAM_REQUIRE_OPENCL=1 but OpenCL is unavailable: " + unavailable);
      }
      System.out.println("OpenCL accel tests skipped: " + unavailable);
    } else {
      System.out.println("OpenCL accel parity suite runs on: " + Accel.openClDevices().get(0));
    }
  }

  @BeforeEach
  void requireOpenCl() {
    Assumptions.assumeTrue(unavailable == null, () -> "OpenCL accel tests skipped: " + unavailable);
  }

  @Override
  PairTrainer trainer(FactorModel model, RowAdamState state, StepRule rule, Objective objective, int cap) {
    return Accel.openClTrainer(model, state, rule, objective, 0, Conflicts.ROUNDS, cap);
  }

  @Override
  TopKScorer scorer(FactorModel model) {
    return Accel.openClScorer(model, 0);
  }

  @Override
  Tol tolerance() {
    return Tol.REORDERED;
  }

  @Override
  void checkRan(PairTrainer subject) {
    assertEquals("opencl", subject.path());
    assertTrue(subject.ranOnOpenCL(), "ran on OpenCL, device " + subject.device());
    assertNotEquals("java", subject.device());
  }

  @Override
  void checkRan(TopKScorer subject) {
    assertEquals("opencl", subject.path());
    assertTrue(subject.ranOnOpenCL(), "ran on OpenCL, device " + subject.device());
  }

  @Test
  void hogwildEqualsRoundsWithoutConflicts() {
    // distinct users and items: no pair shares a row, so the single Hogwild pass is the sequential result
    FactorModel base = FactorModel.xavier(64, 64, 16, 21);
    Batch b = new Batch(64);
    SplittableRandom rng = new SplittableRandom(21);
    for (int k = 0; k < 64; k++) {
      b.add(k, 63 - k, rng.nextDouble() < 0.5 ? 1f : 0f, 0.3f);
    }
    assertEquals(0, Accel.conflicts(b, base).conflicting());
    assertEquals(1, Accel.conflicts(b, base).rounds());
    FactorModel a = base.copy();
    FactorModel r = base.copy();
    Objective obj = new Objective(LocalLoss.SQUARED, 0.1f, 1f);
    try (PairTrainer hog = Accel.openClTrainer(a, null, rule("sgd", 0.1f), obj, 0, Conflicts.HOGWILD, 64);
        PairTrainer ref = Accel.scalarTrainer(r, null, rule("sgd", 0.1f), obj)) {
      assertEquals(64, hog.train(b));
      checkRan(hog);
      ref.train(b);
      hog.syncToModel();
    }
    compare("user factors", a.userFactors, r.userFactors);
    compare("item factors", a.itemFactors, r.itemFactors);
  }

  @Test
  void roundsScheduleFollowsTheConflicts() {
    FactorModel base = FactorModel.xavier(3, 3, 4, 22);
    Batch b = new Batch(4);
    b.add(0, 0, 1f, 0.5f); // round 0
    b.add(1, 1, 1f, 0.5f); // round 0
    b.add(0, 2, 1f, 0.5f); // round 1 (user 0)
    b.add(2, 2, 1f, 0.5f); // round 2 (item 2 in round 1)
    Accel.BatchConflicts c = Accel.conflicts(b, base);
    assertEquals(2, c.conflicting());
    assertEquals(3, c.rounds());
    try (OpenClAccel t = (OpenClAccel) trainer(base.copy(), null, rule("sgd", 0.1f),
        new Objective(LocalLoss.SQUARED, 0f, 1f), 16)) {
      t.train(b);
      assertEquals(3, t.lastRounds(), "one launch pass per round");
    }
  }
}
