package io.relstream.core.accel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.core.estimator.LocalLoss;
import io.relstream.core.kernel.Objective;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KernelSelectorTest {

  @Test
  void theFastestCandidateWinsAndDroppedOnesAreNamed() {
    Map<String, Double> rates = new LinkedHashMap<>();
    rates.put("java", 2e6);
    rates.put("opencl:0", 5e6);
    rates.put("opencl:1", 1e6);
    KernelSelector.Choice c = KernelSelector.choose("train", rates,
        List.of("opencl Broken GPU: OpenCL kernel does not compile"), List.of("gpu0", "pocl"), "pairs/s");
    assertEquals("opencl", c.path());
    assertEquals(0, c.deviceIndex());
    assertEquals("gpu0", c.device());
    assertTrue(c.reason().contains("java=2.00e+06 pairs/s"), c.reason());
    assertTrue(c.reason().contains("dropped opencl Broken GPU: OpenCL kernel does not compile"), c.reason());
  }

  @Test
  void theMultiThreadedJavaTrainerIsAChoiceOfItsOwn() {
    Map<String, Double> rates = new LinkedHashMap<>();
    rates.put("java", 2e6);
    rates.put(KernelSelector.JAVA_THREADS, 3e6);
    rates.put("opencl:0", 1e6);
    KernelSelector.Choice c = KernelSelector.choose("train", rates, List.of(), List.of("pocl"), "pairs/s");
    assertEquals("java", c.path());
    assertEquals(KernelSelector.JAVA_THREADS_INDEX, c.deviceIndex());
    assertTrue(c.device().startsWith("java (pipelined blocks"), c.device());
    KernelSelector.Selection s = new KernelSelector.Selection(c, c);
    io.relstream.core.model.FactorModel m = io.relstream.core.model.FactorModel.xavier(8, 8, 4, 1);
    try (PairTrainer t = KernelSelector.trainer(s, m, null, StepRule.sgd(0.01f, 0f),
        new io.relstream.core.kernel.Objective(io.relstream.core.estimator.LocalLoss.SQUARED, 0.1f, 1f))) {
      assertTrue(t.device().contains("pipelined blocks"), t.device());
    }
  }

  @Test
  void javaWinsTies() {
    Map<String, Double> rates = new LinkedHashMap<>();
    rates.put("java", 3e6);
    rates.put("opencl:0", 3e6);
    assertEquals("java", KernelSelector.choose("score", rates, List.of(), List.of("pocl"), "users/s").path());
  }

  @Test
  void selectMeasuresEveryPresentPathAndExposesTheChoice() {
    KernelSelector.Selection s = KernelSelector.select(2000, 3000, 16, StepRule.sgd(0.01f, 0f),
        new Objective(LocalLoss.SQUARED, 0.1f, 1f), 40);
    assertSame(s, KernelSelector.lastSelection());
    int javaCandidates = Runtime.getRuntime().availableProcessors() > 1 ? 2 : 1; // one thread, and pipelined blocks
    int expected = javaCandidates + (Accel.openClUnavailable() == null ? Accel.openClDevices().size() : 0);
    assertEquals(expected, s.train().rates().size() + countDropped(s.train().reason()), s.train().reason());
    assertTrue(s.train().rates().containsKey("java"));
    assertEquals(javaCandidates == 2, s.train().rates().containsKey(KernelSelector.JAVA_THREADS));
    if (Accel.openClUnavailable() == null) {
      assertTrue(s.score().rates().containsKey("opencl:0") || s.score().reason().contains("dropped"),
          s.score().reason());
    } else {
      assertTrue(s.train().reason().contains("dropped opencl: "), s.train().reason());
    }
    String metrics = s.prometheus();
    assertTrue(metrics.contains("relstream_kernel_path{kernel=\"train\",path=\"" + s.train().path() + "\""), metrics);
    assertTrue(metrics.contains("kernel=\"score\""), metrics);
    try (PairTrainer t = KernelSelector.trainer(s, io.relstream.core.model.FactorModel.xavier(5, 5, 16, 1), null,
        StepRule.sgd(0.01f, 0f), new Objective(LocalLoss.SQUARED, 0.1f, 1f))) {
      assertEquals(s.train().path(), t.path());
    }
  }

  private static int countDropped(String reason) {
    int n = 0;
    for (String part : reason.split("; dropped opencl ")) {
      n++;
    }
    return n - 1;
  }
}
