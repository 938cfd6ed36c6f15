package io.relstream.core.train;

import io.relstream.core.data.ImplicitFeedback;
import io.relstream.core.kernel.Batch;
import io.relstream.core.kernel.BatchMath;
import io.relstream.core.kernel.BatchMaths;
import io.relstream.core.kernel.Objective;
import io.relstream.core.model.Adam;
import io.relstream.core.model.FactorModel;
import io.relstream.core.model.ModelConfig;
import io.relstream.core.model.PropensityModel;
import io.relstream.core.propensity.PopularityPropensity;
import java.util.Arrays;

/**
 * Trains one model on implicit feedback: Xavier init, then {@code steps} Adam steps on batches from
 * {@link BatchSampler}, through the chosen {@link BatchMath}. A pure function of (data, config, seed)
 * on the Java path.
 */
public final class Trainer {
  private Trainer() {}

  /** &theta;_i for every item under the config: popularity from training clicks, or 1. */
  public static float[] itemPropensities(ImplicitFeedback data, ModelConfig config) {
    if (config.propensity() == PropensityModel.NONE) {
      float[] ones = new float[data.numItems];
      Arrays.fill(ones, 1f);
      return ones;
    }
    return PopularityPropensity.fromCounts(data.itemClicks, config.eta());
  }

  public static TrainResult train(ImplicitFeedback data, ModelConfig config, long seed,
      BatchMaths.Path path, ProgressListener progress) {
    float[] theta = itemPropensities(data, config);
    // Distinct streams for the initial tables and for sampling, both fixed by the seed.
    FactorModel model = FactorModel.xavier(data.numUsers, data.numItems, config.dim(), seed * 2 + 1);
    BatchSampler sampler = new BatchSampler(data, theta, seed * 2 + 2);
    Objective objective = new Objective(config.loss(), config.clip(), config.negativeWeight());
    Adam adam = config.adam();
    Batch batch = new Batch(config.batchSize());
    long start = System.nanoTime();
    double loss = Double.NaN;
    try (BatchMath math = BatchMaths.create(path, model)) {
      for (int step = 1; step <= config.steps(); step++) {
        sampler.fill(batch, config.positivesPerBatch(), config.unlabeledPerBatch(), config.negatives());
        loss = math.gradients(batch, objective);
        math.adamStep(adam);
        progress.onStep(step, config.steps(), loss);
      }
      math.syncToModel();
      double seconds = (System.nanoTime() - start) / 1e9;
      return new TrainResult(model, theta, loss, seconds, math.path(), math.device(), math.ranOnOpenCL());
    }
  }
}
