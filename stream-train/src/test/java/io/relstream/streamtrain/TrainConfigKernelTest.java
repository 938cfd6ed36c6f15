package io.relstream.streamtrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.core.kernel.BatchMaths;
import org.junit.jupiter.api.Test;

/** The trainer's kernel path: as configured, or measured on the spot for "auto". */
class TrainConfigKernelTest {

  @Test
  void aConfiguredPathIsTakenAsIs() {
    BatchMaths.Choice c = TrainConfig.defaults().withKernel("java").kernelChoice();
    assertEquals(BatchMaths.Path.JAVA, c.path());
    assertEquals("configured: java", c.reason());
    assertTrue(c.rates().isEmpty());
  }

  @Test
  void autoMeasuresAndPicksTheFasterPath() {
    TrainConfig config = TrainConfig.defaults();
    config = config.withTrainer(config.trainer().withBatchSize(512)).withKernel("auto");
    BatchMaths.Choice c = config.kernelChoice();
    assertTrue(c.rates().get("java") > 0, c.reason());
    assertTrue(c.reason().startsWith("fastest measured: java="), c.reason());
    double best = c.rates().values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    String name = c.path() == BatchMaths.Path.OPENCL ? "opencl" : "java";
    assertEquals(best, c.rates().get(name), c.reason());
    // a restart in the same JVM keeps the first choice instead of measuring again
    assertSame(c, config.kernelChoice());
  }
}
