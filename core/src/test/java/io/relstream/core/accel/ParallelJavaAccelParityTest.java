package io.relstream.core.accel;

import io.relstream.core.kernel.Objective;
import io.relstream.core.model.FactorModel;

/**
 * The parity suite on the multi-threaded Java trainer in the reference's float order, with 3 threads and
 * every batch pipelined however small (minParallel 1): blocks sharing a row run in batch order, so the
 * tables are bit-identical. The scorer is {@link JavaTopK} with 2 threads.
 */
class ParallelJavaAccelParityTest extends JavaPathContract {

  ParallelJavaAccelParityTest() {
    super(false, 2, "pipelined blocks", "3 threads");
  }

  @Override
  PairTrainer trainer(FactorModel model, RowAdamState state, StepRule rule, Objective objective, int cap) {
    return new ParallelPairTrainer(model, state, rule, objective, false, 3, 1);
  }
}
