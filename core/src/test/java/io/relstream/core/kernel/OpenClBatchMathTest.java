package io.relstream.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.relstream.core.estimator.LocalLoss;
import io.relstream.core.kernel.opencl.AparapiBatchMath;
import io.relstream.core.kernel.opencl.AparapiBatchMath.Limits;
import io.relstream.core.kernel.opencl.OpenCl;
import io.relstream.core.model.FactorModel;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The parity suite on the Aparapi/OpenCL path, against {@link ScalarBatchMath} on identical model copies
 * (tolerances in {@link BatchMathContract}). Every execution must have run on OpenCL.
 *
 * <p>Without an OpenCL device the class is skipped with the reason printed, unless the environment sets
 * {@code RELSTREAM_REQUIRE_OPENCL=1}, which turns the missing device into a failure (CI with PoCL).
 */
class OpenClBatchMathTest extends BatchMathContract {

  private static String unavailable;

  @BeforeAll
  static void probeOpenCl() {
    unavailable = OpenCl.available();
    if (unavailable != null) {
      if ("1".equals(System.getenv("RELSTREAM_REQUIRE_OPENCL"))) {
        fail("RELSTREAM_REQUIRE_OPENCL=1 but OpenCL is unavailable: " + unavailable);
      }
      System.out.println("OpenCL tests skipped: " + unavailable);
    }
  }

  @BeforeEach
  void requireOpenCl() {
    Assumptions.assumeTrue(unavailable == null, () -> "OpenCL tests skipped: " + unavailable);
  }

  @Override
  BatchMath create(FactorModel model, Limits limits) {
    return new AparapiBatchMath(model, limits);
  }

  @Override
  void checkRan(BatchMath subject) {
    assertTrue(subject.ranOnOpenCL(), "the last execution ran on OpenCL, device " + subject.device());
    assertNotEquals("java", subject.device());
  }

  @Test
  void reportsTheOpenClDeviceItRanOn() {
    FactorModel model = FactorModel.xavier(3, 4, 2, 1);
    try (BatchMath m = create(model, Limits.defaults())) {
      assertEquals("opencl", m.path());
      assertTrue(m.ranOnOpenCL(), "the warm-up ran on OpenCL");
      String device = m.device();
      assertFalse(device == null || device.isBlank(), "device name");
      System.out.println("OpenCL parity suite runs on: " + device);
      Batch b = new Batch(1);
      b.add(0, 0, 1f, 0.5f);
      m.gradients(b, new Objective(LocalLoss.SQUARED, 0f, 1f));
      checkRan(m);
    }
  }

  @Test
  void rejectsPairsOutsideTheModel() {
    FactorModel model = FactorModel.xavier(3, 4, 2, 1);
    try (BatchMath m = create(model, Limits.defaults())) {
      Batch b = new Batch(1);
      b.add(3, 0, 1f, 0.5f);
      assertThrows(IndexOutOfBoundsException.class,
          () -> m.gradients(b, new Objective(LocalLoss.SQUARED, 0f, 1f)));
      assertThrows(IndexOutOfBoundsException.class, () -> m.scores(new int[] {-1}, new float[4]));
    }
  }

  @Test
  void modelArraysChangeOnlyOnSync() {
    FactorModel model = FactorModel.xavier(6, 5, 4, 2);
    float[] before = model.userFactors.clone();
    try (BatchMath m = create(model, Limits.defaults())) {
      Batch b = new Batch(4);
      b.add(0, 1, 1f, 0.2f);
      b.add(3, 4, 0f, 0.9f);
      m.gradients(b, new Objective(LocalLoss.LOG, 0.1f, 1f));
      m.adamStep(io.relstream.core.model.Adam.defaults(0.1f, 0f));
      checkRan(m);
      org.junit.jupiter.api.Assertions.assertArrayEquals(before, model.userFactors, "tables live on the device");
      m.syncToModel();
      assertNotEquals(before[0], model.userFactors[0], "syncToModel brings the step back");
    }
  }
}
