package io.relstream.core.accel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.relstream.core.kernel.Objective;
import io.relstream.core.model.FactorModel;

/**
 * The parity suite on the plain-Java paths that keep the reference's float order ({@link
 * Accel#exactJavaTrainer}, {@link JavaTopK} with 3 threads): the expected tolerance is zero
 * (bit-identical tables, items and scores).
 */
class JavaAccelParityTest extends AccelContract {

  @Override
  PairTrainer trainer(FactorModel model, RowAdamState state, StepRule rule, Objective objective, int cap) {
    return Accel.exactJavaTrainer(model, state, rule, objective);
  }

  @Override
  TopKScorer scorer(FactorModel model) {
    return Accel.javaScorer(model, 3);
  }

  @Override
  Tol tolerance() {
    return Tol.EXACT;
  }

  @Override
  void checkRan(PairTrainer subject) {
    assertEquals("java", subject.path());
    assertFalse(subject.ranOnOpenCL());
  }

  @Override
  void checkRan(TopKScorer subject) {
    assertEquals("java", subject.path());
    assertFalse(subject.ranOnOpenCL());
  }
}
