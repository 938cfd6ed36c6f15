package io.relstream.core.accel;

import io.relstream.core.kernel.Batch;
import io.relstream.core.kernel.Objective;
import io.relstream.core.model.FactorModel;

/**
 * The reference training path: pairs one after another in batch order, each exactly as
 * {@link PairRule} states, on the bound arrays themselves (so {@link #syncToModel()} has nothing to do).
 * Every other path is tested against this one.
 */
final class ScalarPairTrainer implements PairTrainer {
  private final FactorModel model;
  private final RowAdamState state;
  private final StepRule rule;
  private final Objective objective;
  private final float[] stepSizes;

  ScalarPairTrainer(FactorModel model, RowAdamState state, StepRule rule, Objective objective) {
    this.model = model;
    this.state = Accel.checkState(model, state, rule);
    this.rule = rule;
    this.objective = objective;
    this.stepSizes = rule.optimizer() == StepRule.Optimizer.ADAM ? rule.stepSizes() : null;
  }

  /**
   * One pair's Adam update of p_u and q_i with coefficient g = dLoss/ds: per-row step counts (capped at
   * {@link StepRule#T_CAP}) select the bias-corrected step size; L2 joins the gradient. Shared by the
   * reference and the blocked Java path; with {@code vector} the rows are updated by
   * {@link VectorRows#adam}, which performs the same float operations per element.
   */
  static void adamUpdate(FactorModel model, RowAdamState state, StepRule rule, float[] stepSizes, int u, int i,
      float g, boolean vector) {
    int dim = model.dim;
    int tu = Math.min(StepRule.T_CAP, state.userSteps[u] + 1);
    int ti = Math.min(StepRule.T_CAP, state.itemSteps[i] + 1);
    state.userSteps[u] = tu;
    state.itemSteps[i] = ti;
    if (vector) {
      VectorRows.adam(model.userFactors, model.itemFactors, state.userM, state.userV, state.itemM, state.itemV,
          u * dim, i * dim, dim, g, rule.l2(), rule.beta1(), rule.beta2(), rule.epsilon(), stepSizes[tu],
          stepSizes[ti]);
    } else {
      adamRange(model.userFactors, model.itemFactors, state.userM, state.userV, state.itemM, state.itemV,
          u * dim, i * dim, 0, dim, g, rule.l2(), rule.beta1(), rule.beta2(), rule.epsilon(), stepSizes[tu],
          stepSizes[ti]);
    }
  }

  /** The reference's Adam element updates of p[pu + d], q[qi + d] (and moments) for d in [from, to). */
  static void adamRange(float[] p, float[] q, float[] um, float[] uv, float[] im, float[] iv, int pu, int qi,
      int from, int to, float g, float l2, float b1, float b2, float eps, float lrU, float lrI) {
    for (int d = from; d < to; d++) {
      float pv = p[pu + d];
      float qv = q[qi + d];
      float gp = g * qv + l2 * pv;
      float gq = g * pv + l2 * qv;
      float mp = b1 * um[pu + d] + (1f - b1) * gp;
      float vp = b2 * uv[pu + d] + (1f - b2) * gp * gp;
      float mq = b1 * im[qi + d] + (1f - b1) * gq;
      float vq = b2 * iv[qi + d] + (1f - b2) * gq * gq;
      um[pu + d] = mp;
      uv[pu + d] = vp;
      im[qi + d] = mq;
      iv[qi + d] = vq;
      p[pu + d] = pv - lrU * mp / ((float) Math.sqrt(vp) + eps);
      q[qi + d] = qv - lrI * mq / ((float) Math.sqrt(vq) + eps);
    }
  }

  /** The reference's SGD element updates of p[pu + d], q[qi + d] for d in [from, to). */
  static void sgdRange(float[] p, float[] q, int pu, int qi, int from, int to, float g, float lr, float l2) {
    for (int d = from; d < to; d++) {
      float pv = p[pu + d];
      float qv = q[qi + d];
      p[pu + d] = pv - lr * (g * qv + l2 * pv);
      q[qi + d] = qv - lr * (g * pv + l2 * qv);
    }
  }

  @Override
  public int train(Batch batch) {
    PairRule.checkIndices(batch, model);
    int applied = 0;
    for (int k = 0; k < batch.size(); k++) {
      applied += apply(batch.users[k], batch.items[k], batch.labels[k], batch.theta[k]);
    }
    return applied;
  }

  private int apply(int u, int i, float label, float theta) {
    int dim = model.dim;
    float[] p = model.userFactors;
    float[] q = model.itemFactors;
    int pu = u * dim;
    int qi = i * dim;
    float s = 0f;
    for (int d = 0; d < dim; d++) {
      s += p[pu + d] * q[qi + d];
    }
    float g = PairRule.coefficient(objective.loss(), s, label, theta, objective.clip(),
        objective.negativeWeight());
    if (Float.isNaN(g)) {
      return 0;
    }
    float lr = rule.learningRate();
    float l2 = rule.l2();
    if (stepSizes == null) {
      sgdRange(p, q, pu, qi, 0, dim, g, lr, l2);
      return 1;
    }
    adamUpdate(model, state, rule, stepSizes, u, i, g, false);
    return 1;
  }

  @Override
  public void syncToModel() {}

  @Override
  public String path() {
    return "java";
  }

  @Override
  public String device() {
    return "java (scalar reference)";
  }

  @Override
  public boolean ranOnOpenCL() {
    return false;
  }

  @Override
  public void close() {}
}
