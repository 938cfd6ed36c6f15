package io.relstream.replay;

import io.relstream.core.progress.ProgressBar;
import io.relstream.core.data.ImplicitFeedback;
import io.relstream.core.kernel.BatchMaths;
import io.relstream.core.metrics.RankingMetrics;
import io.relstream.core.metrics.TestSet;
import io.relstream.core.model.FactorModel;
import io.relstream.core.model.ModelConfig;
import io.relstream.core.train.TrainResult;
import io.relstream.core.train.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Random search with the same budget for every model. Trial 0 is the model's own configuration;
 * the others draw dim, lr, L2 and steps (and, for the debiased models, M and &eta;) from fixed grids.
 * Each trial trains once (seed 0) and is scored by one criterion for all models: the IPS-weighted
 * DCG@5 on the validation split (each validation user ranks all items but their training clicks),
 * each relevant item weighted by 1 / max(&theta;_i, 0.01) with &theta;
 * the popularity propensity of the training clicks (&eta; = 0.5) &mdash; never the test set. The
 * criterion's &theta; is the same for every model, whatever propensity a model trains with. Trials
 * whose factors collapsed to zero ({@link #degenerate}) are rejected.
 */
final class Tuner {
  static final int[] DIMS = {16, 32, 64, 128, 200};
  static final float[] LRS = {0.001f, 0.002f, 0.005f, 0.01f, 0.02f};
  static final float[] L2S = {1e-6f, 1e-5f, 1e-4f, 1e-3f, 1e-2f};
  static final int[] STEPS = {100, 200, 301, 500};
  static final float[] CLIPS = {0f, 0.001f, 0.009136f, 0.03f, 0.1f, 0.3f};
  static final float[] ETAS = {0.25f, 0.5f, 0.75f, 1f};
  static final double THETA_FLOOR = 0.01;
  static final String CRITERION = "IPS-weighted DCG@5 on the validation split, ranking all items but the user's training clicks (theta floored at 0.01)";

  record Trial(ModelConfig config, double criterion) {}

  record Outcome(ModelConfig best, double bestCriterion, List<Trial> trials) {}

  static Outcome tune(ImplicitFeedback data, TestSet validation, ModelConfig base, int trials,
      BatchMaths.Path kernel, long searchSeed, ProgressBar bar) {
    float[] criterionTheta = Trainer.itemPropensities(data, ModelConfig.preset("relmf").withEta(0.5f));
    SplittableRandom rng = new SplittableRandom(searchSeed);
    List<Trial> done = new ArrayList<>();
    Trial best = null;
    for (int t = 0; t < trials; t++) {
      ModelConfig c = t == 0 ? base : draw(base, rng);
      TrainResult r = Trainer.train(data, c, 0, kernel, (s, n, l) -> {});
      double score = degenerate(r.model()) ? Double.NEGATIVE_INFINITY
          : RankingMetrics.ipsWeightedDcg(validation, r.model()::score, criterionTheta, THETA_FLOOR, 5,
              data::isPositive);
      Trial trial = new Trial(c, score);
      done.add(trial);
      if (best == null || score > best.criterion) {
        best = trial;
      }
      bar.advance(1, String.format(Locale.ROOT, "%s trial %d best %.4f", base.name(), t + 1, best.criterion));
    }
    return new Outcome(best.config, best.criterion, done);
  }

  /**
   * A model whose every score is below {@link #DEGENERATE_SCORE} in magnitude predicts &sigma; = 0.5
   * for every pair: strong L2 has shrunk its factors to numerical dust, and the order of its scores is
   * float noise, not learning. Such trials are rejected whatever the criterion says. The bound is
   * |p_u . q_i| &lt;= max|p| max|q| dim.
   */
  static boolean degenerate(FactorModel m) {
    return maxAbs(m.userFactors) * maxAbs(m.itemFactors) * m.dim < DEGENERATE_SCORE;
  }

  static final double DEGENERATE_SCORE = 1e-6;

  private static double maxAbs(float[] a) {
    double max = 0;
    for (float x : a) max = Math.max(max, Math.abs(x));
    return max;
  }

  private static ModelConfig draw(ModelConfig base, SplittableRandom rng) {
    ModelConfig c = base.withDim(DIMS[rng.nextInt(DIMS.length)])
        .withLearningRate(LRS[rng.nextInt(LRS.length)])
        .withL2(L2S[rng.nextInt(L2S.length)])
        .withSteps(STEPS[rng.nextInt(STEPS.length)]);
    if (base.debiased()) {
      c = c.withClip(CLIPS[rng.nextInt(CLIPS.length)]).withEta(ETAS[rng.nextInt(ETAS.length)]);
    }
    return c;
  }
}
