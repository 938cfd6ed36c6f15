package io.relstream.core.accel;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The up-front refusal of tables one OpenCL buffer cannot hold ({@link OpenClAccel#tooLarge}), checked
 * on sizes alone: tests cannot build multi-GiB tables.
 */
class OpenClBufferLimitTest {
  private static final long GIB = 1L << 30;

  @Test
  void tablesWithinBothLimitsPass() {
    assertNull(OpenClAccel.tooLarge(256L << 20, 4 * GIB));
    assertNull(OpenClAccel.tooLarge(2 * GIB - 1, 4 * GIB));
    assertNull(OpenClAccel.tooLarge(256L << 20, 0)); // limit unknown
  }

  @Test
  void theDeviceLimitRefuses() {
    String why = OpenClAccel.tooLarge(GIB + 1, GIB);
    assertTrue(why != null && why.contains("largest buffer the device can allocate (1024 MiB)"), why);
  }

  @Test
  void tablesOfTwoGibAndMoreAreRefusedEvenWhereTheDeviceAllowsThem() {
    // 1e7 items x 64 floats: 2,441 MiB, which PoCL (limit 4 GiB) refused at the first launch
    String why = OpenClAccel.tooLarge(4L * 10_000_000 * 64, 4 * GIB);
    assertTrue(why != null && why.contains("2441 MiB table exceeds 2 GiB"), why);
  }
}
