package io.relstream.core.accel;

import io.relstream.core.kernel.Objective;
import io.relstream.core.model.FactorModel;

/**
 * The parity suite on the plain-Java paths that keep the reference's float order ({@link
 * Accel#exactJavaTrainer}, {@link JavaTopK} with 3 threads): bit-identical tables, items and scores.
 */
class JavaAccelParityTest extends JavaPathContract {

  JavaAccelParityTest() {
    super(false, 3, "blocked", "1 thread");
  }

  @Override
  PairTrainer trainer(FactorModel model, RowAdamState state, StepRule rule, Objective objective, int cap) {
    return Accel.exactJavaTrainer(model, state, rule, objective);
  }
}
