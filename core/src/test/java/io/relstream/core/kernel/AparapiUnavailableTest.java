package io.relstream.core.kernel;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.core.kernel.opencl.AparapiBatchMath;
import io.relstream.core.kernel.opencl.OpenCl;
import io.relstream.core.model.FactorModel;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Where no OpenCL device exists, asking for the OpenCL path fails loudly instead of running Java. */
class AparapiUnavailableTest {
  @Test
  void constructorFailsWithoutOpenCl() {
    String reason = OpenCl.available();
    Assumptions.assumeTrue(reason != null, "an OpenCL device exists; run with OCL_ICD_VENDORS=/empty-dir");
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> BatchMaths.create(BatchMaths.Path.OPENCL, FactorModel.xavier(2, 2, 2, 1)));
    assertTrue(e.getMessage().contains(reason), e.getMessage());
    assertThrows(IllegalStateException.class, () -> new AparapiBatchMath(FactorModel.xavier(2, 2, 2, 1)));
  }
}
