package io.relstream.core.accel;

import io.relstream.core.kernel.Objective;
import io.relstream.core.model.FactorModel;

/**
 * The parity suite on the multi-threaded Java trainer with the Vector API (dots, coefficients and row
 * updates in lanes), 3 threads, every batch pipelined however small: within
 * {@link AccelContract.Tol#REORDERED}. The scorer is {@link JavaTopK} with 2 threads.
 */
class VectorParallelJavaAccelParityTest extends JavaPathContract {

  VectorParallelJavaAccelParityTest() {
    super(true, 2, "pipelined blocks", "vector API", "3 threads");
  }

  @Override
  PairTrainer trainer(FactorModel model, RowAdamState state, StepRule rule, Objective objective, int cap) {
    return new ParallelPairTrainer(model, state, rule, objective, true, 3, 1);
  }
}
