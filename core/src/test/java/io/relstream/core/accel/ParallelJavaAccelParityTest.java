package io.relstream.core.accel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.core.kernel.Objective;
import io.relstream.core.model.FactorModel;

/**
 * The parity suite on the multi-threaded Java trainer in the reference's float order, with 3 threads and
 * every round split among them however small (minParallel 1): rounds make it the sequential result, so
 * the tolerance is zero (bit-identical tables). The device string must say it ran 3 threads.
 */
class ParallelJavaAccelParityTest extends AccelContract {

  @Override
  PairTrainer trainer(FactorModel model, RowAdamState state, StepRule rule, Objective objective, int cap) {
    return new ParallelPairTrainer(model, state, rule, objective, false, 3, cap, 1);
  }

  @Override
  TopKScorer scorer(FactorModel model) {
    return Accel.javaScorer(model, 2);
  }

  @Override
  Tol tolerance() {
    return Tol.EXACT;
  }

  @Override
  void checkRan(PairTrainer subject) {
    assertEquals("java", subject.path());
    assertFalse(subject.ranOnOpenCL());
    assertTrue(subject.device().contains("rounds") && subject.device().contains("3 threads"), subject.device());
  }

  @Override
  void checkRan(TopKScorer subject) {
    assertEquals("java", subject.path());
    assertFalse(subject.ranOnOpenCL());
  }
}
