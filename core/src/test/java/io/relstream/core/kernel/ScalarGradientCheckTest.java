package io.relstream.core.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.core.estimator.LocalLoss;
import io.relstream.core.model.FactorModel;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Central finite differences of the loss that {@link ScalarBatchMath#gradients} returns, against the
 * gradient it accumulates, for every entry of P and Q. Step h = 1e-2 on float tables; tolerance
 * |fd - g| &lt;= 1e-2 |g| + 1e-3 max|g| + 1e-6 (O(h^2) truncation plus float rounding of the scores).
 */
class ScalarGradientCheckTest {

  @ParameterizedTest
  @EnumSource(LocalLoss.class)
  void gradientMatchesFiniteDifferences(LocalLoss loss) {
    SplittableRandom rng = new SplittableRandom(21);
    FactorModel model = FactorModel.xavier(4, 5, 3, 3);
    Batch batch = BatchMathContract.randomBatch(rng, 30, 4, 5, 0.5, 0.01f);
    // clip 0.05 and propensities down to 0.01: some clicks get w > 1, i.e. a negative weight on l-
    Objective obj = new Objective(loss, 0.05f, 0.9f);
    boolean negativeWeight = false;
    for (int k = 0; k < batch.size(); k++) {
      negativeWeight |= batch.labels[k] > 0 && Math.max(batch.theta[k], 0.05f) < 1f / 1.2f;
    }
    assertTrue(negativeWeight, "fixture must contain w > 1");

    float[] gu = new float[model.userFactors.length];
    float[] gi = new float[model.itemFactors.length];
    try (ScalarBatchMath m = new ScalarBatchMath(model.copy())) {
      m.gradients(batch, obj);
      m.copyGradients(gu, gi);
    }
    float[] fdu = new float[gu.length];
    float[] fdi = new float[gi.length];
    float h = 1e-2f;
    for (int k = 0; k < gu.length; k++) {
      fdu[k] = (float) finiteDifference(model, batch, obj, true, k, h);
    }
    for (int k = 0; k < gi.length; k++) {
      fdi[k] = (float) finiteDifference(model, batch, obj, false, k, h);
    }
    Close fd = new Close(1e-2, 1e-3, 1e-6);
    fd.arrays("finite-difference user gradient", gu, DoubleOracle.toDouble(fdu));
    fd.arrays("finite-difference item gradient", gi, DoubleOracle.toDouble(fdi));
    assertTrue(BatchMathContract.maxAbs(gu) > 1e-3 && BatchMathContract.maxAbs(gi) > 1e-3,
        "the check is not vacuous");
  }

  private static double finiteDifference(FactorModel model, Batch batch, Objective obj, boolean user,
      int k, float h) {
    return (lossAt(model, batch, obj, user, k, h) - lossAt(model, batch, obj, user, k, -h)) / (2.0 * h);
  }

  private static double lossAt(FactorModel model, Batch batch, Objective obj, boolean user, int k,
      float delta) {
    FactorModel m = model.copy();
    float[] table = user ? m.userFactors : m.itemFactors;
    table[k] += delta;
    try (ScalarBatchMath fresh = new ScalarBatchMath(m)) {
      return fresh.gradients(batch, obj);
    }
  }
}
