package io.relstream.core.accel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The parity suite on a plain-Java path: bit-identical to the reference when the path keeps its float
 * order, within {@link Tol#REORDERED} when it sums in Vector API lanes. After every use it checks that
 * the path is Java, did not run on OpenCL, and that its device string names what the subclass means to
 * test (so a fallback to another Java path does not pass unnoticed).
 */
abstract class JavaPathContract extends AccelContract {
  private final boolean lanes;
  private final int scorerThreads;
  private final String[] deviceMarks;

  /**
   * @param lanes the trainer sums in Vector API lanes (the Vector API must then be present)
   * @param scorerThreads threads of the {@link JavaTopK} under test
   * @param deviceMarks substrings the trainer's device string must contain
   */
  JavaPathContract(boolean lanes, int scorerThreads, String... deviceMarks) {
    this.lanes = lanes;
    this.scorerThreads = scorerThreads;
    this.deviceMarks = deviceMarks;
  }

  @Override
  TopKScorer scorer(io.relstream.core.model.FactorModel model) {
    return Accel.javaScorer(model, scorerThreads);
  }

  @Override
  Tol tolerance() {
    return lanes ? Tol.REORDERED : Tol.EXACT;
  }

  @Override
  void checkRan(PairTrainer subject) {
    assertEquals("java", subject.path());
    assertFalse(subject.ranOnOpenCL());
    if (lanes) {
      assertNull(Accel.vectorUnavailable(), "the Vector API is present in tests");
    }
    for (String mark : deviceMarks) {
      assertTrue(subject.device().contains(mark), subject.device() + " lacks " + mark);
    }
  }

  @Override
  void checkRan(TopKScorer subject) {
    assertEquals("java", subject.path());
    assertFalse(subject.ranOnOpenCL());
  }
}
