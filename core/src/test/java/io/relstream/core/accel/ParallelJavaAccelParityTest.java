package io.relstream.core.accel;

import io.relstream.core.kernel.Objective;
import io.relstream.core.model.FactorModel;

/**
 * The parity suite on the multi-threaded Java trainer in the reference's float order, with 3 threads and
 * every round split among them however small (minParallel 1, items spread over the threads one by one): rounds make it the sequential result, so
 * the tables are bit-identical. The scorer is {@link JavaTopK} with 2 threads.
 */
class ParallelJavaAccelParityTest extends JavaPathContract {

  ParallelJavaAccelParityTest() {
    super(false, 2, "rounds", "3 threads");
  }

  @Override
  PairTrainer trainer(FactorModel model, RowAdamState state, StepRule rule, Objective objective, int cap) {
    return new ParallelPairTrainer(model, state, rule, objective, false, 3, cap, 1, 0);
  }
}
