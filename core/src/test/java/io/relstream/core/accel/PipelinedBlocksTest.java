package io.relstream.core.accel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.core.estimator.LocalLoss;
import io.relstream.core.kernel.Batch;
import io.relstream.core.kernel.Objective;
import io.relstream.core.model.FactorModel;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The multi-threaded trainer's pipeline ({@link ParallelPairTrainer}) on batches of thousands of pairs,
 * in the reference's float order, so its tables must equal the scalar reference's bit for bit: on rows
 * so few that nearly every block shares a row with its neighbours (blocks must wait for running ones, and
 * did), and on a batch without any repeated row (no block ever waits for a shared row).
 */
class PipelinedBlocksTest {
  private static final Objective OBJECTIVE = new Objective(LocalLoss.LOG, 0.1f, 1f);

  private static FactorModel model(int users, int items, long seed) {
    FactorModel m = new FactorModel(users, items, 24);
    SplittableRandom rng = new SplittableRandom(seed);
    for (int k = 0; k < m.userFactors.length; k++) {
      m.userFactors[k] = (float) (rng.nextDouble() - 0.5);
    }
    for (int k = 0; k < m.itemFactors.length; k++) {
      m.itemFactors[k] = (float) (rng.nextDouble() - 0.5);
    }
    return m;
  }

  /** Trains copies with the reference and the pipeline; asserts equal tables, returns the row waits. */
  private static long trainBoth(FactorModel base, StepRule rule, int threads, Batch... batches) {
    return trainBoth(base, rule, threads, null, batches)[0];
  }

  /** The same with a hook before each block; returns {row waits, turn waits}. */
  private static long[] trainBoth(FactorModel base, StepRule rule, int threads, IntConsumer beforeBlock,
      Batch... batches) {
    FactorModel a = base.copy();
    FactorModel b = base.copy();
    RowAdamState sa = new RowAdamState(a);
    RowAdamState sb = new RowAdamState(b);
    long[] waits;
    try (ParallelPairTrainer subject = new ParallelPairTrainer(a, sa, rule, OBJECTIVE, false, threads, 1);
        PairTrainer ref = Accel.scalarTrainer(b, sb, rule, OBJECTIVE)) {
      subject.beforeBlock = beforeBlock;
      for (Batch batch : batches) {
        assertEquals(ref.train(batch), subject.train(batch), "pairs applied");
      }
      waits = new long[] {subject.rowWaits(), subject.turnWaits()};
    }
    assertArrayEquals(b.userFactors, a.userFactors, "user factors");
    assertArrayEquals(b.itemFactors, a.itemFactors, "item factors");
    if (rule.optimizer() == StepRule.Optimizer.ADAM) {
      assertArrayEquals(sb.userM, sa.userM, "user first moments");
      assertArrayEquals(sb.itemV, sa.itemV, "item second moments");
      assertArrayEquals(sb.userSteps, sa.userSteps, "user step counts");
    }
    return waits;
  }

  @ParameterizedTest(name = "{0} threads, {1}")
  @CsvSource({"2, sgd", "3, sgd", "4, adam"})
  void crowdedRowsWaitAndStayExact(int threads, String optimizer) {
    SplittableRandom rng = new SplittableRandom(threads);
    Batch[] batches = new Batch[4];
    for (int j = 0; j < batches.length; j++) {
      batches[j] = AccelContract.randomBatch(rng, 5000 + 17 * j, 60, 40, 0.05f);
    }
    StepRule rule = AccelContract.rule(optimizer, 0.05f);
    long waits = trainBoth(model(60, 40, threads), rule, threads, batches);
    assertTrue(waits > 0, "with 40 items, neighbouring blocks share rows and must have waited");
  }

  @ParameterizedTest(name = "{0} threads")
  @CsvSource({"2", "3"})
  void blocksOnDistinctRowsNeverWaitForARow(int threads) {
    // pair k: user k, item k (no row repeats), so no block may wait for a running one
    int n = 4000;
    Batch batch = new Batch(n);
    SplittableRandom rng = new SplittableRandom(5);
    for (int k = 0; k < n; k++) {
      batch.add(k, k, rng.nextInt(4) == 0 ? 1f : 0f, 0.2f + 0.8f * rng.nextFloat());
    }
    assertEquals(0, trainBoth(model(n, n, 7), StepRule.sgd(0.05f, 1e-3f), threads, batch, batch));
  }

  @ParameterizedTest(name = "{0} threads")
  @CsvSource({"2", "3"})
  void aBlockWaitsForALaggingThreadsEarlierBlock(int threads) {
    // block 1 is held back before it starts; blocks 2 .. T + 1 share no row with anything, so the other
    // threads run ahead; block T + 2 repeats block 1's rows, and is not a neighbour the row check would
    // compare it with, so only the turn rule (every block up to b - T finished) keeps the batch order
    int block = JavaPairTrainer.BLOCK;
    int blocks = threads + 3;
    Batch batch = new Batch(blocks * block);
    SplittableRandom rng = new SplittableRandom(9);
    for (int b = 0; b < blocks; b++) {
      for (int j = 0; j < block; j++) {
        int row = (b == threads + 2 ? 1 : b) * block + j;
        batch.add(row, row, rng.nextInt(3) == 0 ? 1f : 0f, 0.3f + 0.7f * rng.nextFloat());
      }
    }
    IntConsumer holdBlockOne = b -> {
      if (b == 1) {
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    int rows = blocks * block;
    long[] waits = trainBoth(model(rows, rows, 3), StepRule.sgd(0.2f, 1e-3f), threads, holdBlockOne, batch);
    assertTrue(waits[1] > 0, "a thread ran ahead and waited for block 1");
  }
}
