package io.relstream.core.accel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.core.kernel.Objective;
import io.relstream.core.model.FactorModel;

/**
 * The parity suite on the Vector API trainer ({@link Accel#javaTrainer}; the build runs tests with
 * {@code --add-modules jdk.incubator.vector}), within the OpenCL suite's tolerance since its dots are
 * summed lane-wise; the scorer is {@link JavaTopK} again (exact). It asserts that the vector path ran.
 */
class VectorJavaAccelParityTest extends AccelContract {

  @Override
  PairTrainer trainer(FactorModel model, RowAdamState state, StepRule rule, Objective objective, int cap) {
    return Accel.javaTrainer(model, state, rule, objective);
  }

  @Override
  TopKScorer scorer(FactorModel model) {
    return Accel.javaScorer(model, 3);
  }

  @Override
  Tol tolerance() {
    // the OpenCL suite's tolerance: the dots are summed in another order, as on a device
    return new Tol(1e-4, 1e-5, 1e-6);
  }

  @Override
  void checkRan(PairTrainer subject) {
    assertEquals("java", subject.path());
    assertFalse(subject.ranOnOpenCL());
    assertNull(Accel.vectorUnavailable(), "the Vector API is present in tests");
    assertTrue(subject.device().contains("vector API"), subject.device());
  }

  @Override
  void checkRan(TopKScorer subject) {
    assertEquals("java", subject.path());
    assertFalse(subject.ranOnOpenCL());
  }
}
