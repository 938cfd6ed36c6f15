package io.relstream.streamtrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.core.estimator.LocalLoss;
import io.relstream.core.online.OnlinePropensity;
import org.junit.jupiter.api.Test;

/** The trainer's flags, as StreamTrainMain reads them (the replay reads the same names). */
class TrainFlagsTest {
  private static final String[] BASE = {"--bootstrap", "h:1", "--checkpoint-dir", "d"};

  private static StreamTrainMain.Args parse(String... extra) {
    String[] argv = new String[BASE.length + extra.length];
    System.arraycopy(BASE, 0, argv, 0, BASE.length);
    System.arraycopy(extra, 0, argv, BASE.length, extra.length);
    return StreamTrainMain.Args.parse(argv);
  }

  @Test
  void everyTrainerSettingHasAFlagAndDefaultsAreTheLiveOnes() {
    assertEquals(TrainConfig.defaults().withFlushIdleMs(500), parse().trainConfig());
    TrainConfig c = parse("--dim", "16", "--lr", "0.02", "--l2", "0", "--clip", "1", "--loss", "log",
        "--eta", "0.75", "--batch-size", "64", "--negatives-per-positive", "2", "--kernel", "OpenCL",
        "--propensity", "popularity").trainConfig();
    assertEquals(16, c.trainer().dim());
    assertEquals(0.02f, c.trainer().learningRate());
    assertEquals(0f, c.trainer().l2());
    assertEquals(1f, c.trainer().clip());
    assertEquals(LocalLoss.parse("log"), c.trainer().loss());
    assertEquals(0.75, c.eta());
    assertEquals(64, c.trainer().batchSize());
    assertEquals(2, c.trainer().negativesPerPositive());
    assertEquals("opencl", c.kernel());
    assertEquals(OnlinePropensity.Mode.POPULARITY, c.propensity());
    assertEquals(500, c.flushIdleMs(), "the idle flush stays StreamTrainMain's own flag");
    for (String name : TrainFlags.NAMES) {
      assertTrue(TrainFlags.USAGE.contains("--" + name + " "), name + " in the usage line");
    }
  }

  @Test
  void badValuesNameTheFlagOnOneLine() {
    String[][] bad = {{"--dim", "0"}, {"--dim", "x"}, {"--lr", "0"}, {"--l2", "-1"}, {"--clip", "1.5"},
        {"--loss", "hinge"}, {"--eta", "nan"}, {"--batch-size", "0"}, {"--negatives-per-positive", "-1"},
        {"--kernel", "cuda"}, {"--propensity", "logged"}};
    for (String[] b : bad) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(b), String.join(" ", b));
      assertTrue(e.getMessage().startsWith(b[0]), e.getMessage());
      assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }
  }

  @Test
  void theReservoirFlags() {
    TrainConfig c = parse("--reservoir-size", "1000", "--reservoir-steps", "3", "--reservoir-step-ms", "25")
        .trainConfig();
    assertEquals(1000, c.trainer().reservoirSize());
    assertEquals(3, c.trainer().reservoirSteps());
    assertEquals(25L, c.trainer().reservoirStepMs());
    assertEquals(10L, parse().trainConfig().trainer().reservoirStepMs(), "the default budget");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--reservoir-step-ms", "-1")).getMessage()
        .startsWith("--reservoir-step-ms"));
  }
}
