package io.relstream.core.accel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.core.kernel.Objective;
import io.relstream.core.model.FactorModel;

/**
 * The parity suite on the multi-threaded Java trainer with the Vector API (dots, coefficients and row
 * updates in lanes), 3 threads, every round split however small: within the OpenCL tolerance. The device
 * string must say it ran the vector path on 3 threads.
 */
class VectorParallelJavaAccelParityTest extends AccelContract {

  @Override
  PairTrainer trainer(FactorModel model, RowAdamState state, StepRule rule, Objective objective, int cap) {
    return new ParallelPairTrainer(model, state, rule, objective, true, 3, cap, 1);
  }

  @Override
  TopKScorer scorer(FactorModel model) {
    return Accel.javaScorer(model, 2);
  }

  @Override
  Tol tolerance() {
    return new Tol(1e-4, 1e-5, 1e-6); // the OpenCL suite's: dots and coefficients in float lanes
  }

  @Override
  void checkRan(PairTrainer subject) {
    assertEquals("java", subject.path());
    assertFalse(subject.ranOnOpenCL());
    assertTrue(subject.device().contains("rounds") && subject.device().contains("vector API")
        && subject.device().contains("3 threads"), subject.device());
  }

  @Override
  void checkRan(TopKScorer subject) {
    assertEquals("java", subject.path());
    assertFalse(subject.ranOnOpenCL());
  }
}
