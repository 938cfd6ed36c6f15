package io.relstream.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.relstream.core.kernel.opencl.AparapiBatchMath.Limits;
import io.relstream.core.model.FactorModel;

/** The parity suite on the reference itself: its content here is the comparison with the double oracle. */
class ScalarBatchMathTest extends BatchMathContract {
  @Override
  BatchMath create(FactorModel model, Limits limits) {
    return new ScalarBatchMath(model);
  }

  @Override
  void checkRan(BatchMath subject) {
    assertFalse(subject.ranOnOpenCL());
    assertEquals("java", subject.device());
  }
}
