package io.relstream.replay;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.core.model.FactorModel;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TunerTest {
  @Test
  void collapsedFactorsAreDegenerate() {
    FactorModel m = FactorModel.xavier(20, 10, 8, 1);
    assertFalse(Tuner.degenerate(m));
    // What strong L2 leaves after hundreds of Adam steps on Coat: factors near 1e-13.
    for (int k = 0; k < m.userFactors.length; k++) m.userFactors[k] *= 1e-12f;
    for (int k = 0; k < m.itemFactors.length; k++) m.itemFactors[k] *= 1e-12f;
    assertTrue(Tuner.degenerate(m));
    Arrays.fill(m.userFactors, 0f);
    assertTrue(Tuner.degenerate(m));
  }
}
