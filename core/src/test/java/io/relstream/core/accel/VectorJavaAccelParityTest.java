package io.relstream.core.accel;

import io.relstream.core.kernel.Objective;
import io.relstream.core.model.FactorModel;

/**
 * The parity suite on the Vector API trainer ({@link Accel#javaTrainer}; the build runs tests with
 * {@code --add-modules jdk.incubator.vector}), within {@link AccelContract.Tol#REORDERED} since its dots
 * are summed lane-wise; the scorer is {@link JavaTopK} with 3 threads.
 */
class VectorJavaAccelParityTest extends JavaPathContract {

  VectorJavaAccelParityTest() {
    super(true, 3, "blocked", "vector API");
  }

  @Override
  PairTrainer trainer(FactorModel model, RowAdamState state, StepRule rule, Objective objective, int cap) {
    return Accel.javaTrainer(model, state, rule, objective);
  }
}
