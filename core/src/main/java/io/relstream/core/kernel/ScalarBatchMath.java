package io.relstream.core.kernel;

import io.relstream.core.estimator.ClippedIps;
import io.relstream.core.estimator.LocalLoss;
import io.relstream.core.model.Adam;
import io.relstream.core.model.FactorModel;

/**
 * Plain-Java reference implementation of {@link BatchMath}. It works directly on the model's arrays,
 * so {@link #syncToModel()} has nothing to do.
 */
public final class ScalarBatchMath implements BatchMath {
  private final FactorModel model;
  private final int dim;
  private final float[] userGrad;
  private final float[] itemGrad;
  private final float[] userM;
  private final float[] userV;
  private final float[] itemM;
  private final float[] itemV;
  private final Touched touchedUsers;
  private final Touched touchedItems;
  private int step;

  public ScalarBatchMath(FactorModel model) {
    this.model = model;
    this.dim = model.dim;
    userGrad = new float[model.userFactors.length];
    itemGrad = new float[model.itemFactors.length];
    userM = new float[model.userFactors.length];
    userV = new float[model.userFactors.length];
    itemM = new float[model.itemFactors.length];
    itemV = new float[model.itemFactors.length];
    touchedUsers = new Touched(model.numUsers);
    touchedItems = new Touched(model.numItems);
  }

  @Override
  public double gradients(Batch batch, Objective objective) {
    int n = batch.size();
    if (n == 0) {
      return 0;
    }
    double norm = ClippedIps.normaliser(batch.labels, n, objective.negativeWeight());
    if (!(norm > 0)) {
      return 0; // all-unlabeled batch with c = 0: nothing is weighted
    }
    float invNorm = (float) (1.0 / norm);
    LocalLoss loss = objective.loss();
    float[] p = model.userFactors;
    float[] q = model.itemFactors;
    double total = 0;
    for (int k = 0; k < n; k++) {
      int pu = batch.users[k] * dim;
      int qi = batch.items[k] * dim;
      float s = 0f;
      for (int d = 0; d < dim; d++) {
        s += p[pu + d] * q[qi + d];
      }
      touchedUsers.add(batch.users[k]);
      touchedItems.add(batch.items[k]);
      float label = batch.labels[k];
      float theta = batch.theta[k];
      float wPos = ClippedIps.positiveWeight(label, theta, objective.clip());
      float wNeg = ClippedIps.negativeWeight(label, theta, objective.clip(), objective.negativeWeight());
      total += loss.pairLoss(s, wPos, wNeg);
      float g = (float) loss.pairGradient(s, wPos, wNeg) * invNorm;
      if (g == 0f) {
        continue;
      }
      for (int d = 0; d < dim; d++) {
        float pud = p[pu + d];
        userGrad[pu + d] += g * q[qi + d];
        itemGrad[qi + d] += g * pud;
      }
    }
    return total / norm;
  }

  @Override
  public void adamStep(Adam adam) {
    step++;
    float lrT = adam.stepSize(step);
    adamTable(model.userFactors, userGrad, userM, userV, adam, lrT);
    adamTable(model.itemFactors, itemGrad, itemM, itemV, adam, lrT);
    touchedUsers.clear();
    touchedItems.clear();
  }

  @Override
  public void sparseAdamStep(Adam adam) {
    step++;
    float lrT = adam.stepSize(step);
    adamRows(model.userFactors, userGrad, userM, userV, touchedUsers, dim, adam, lrT);
    adamRows(model.itemFactors, itemGrad, itemM, itemV, touchedItems, dim, adam, lrT);
  }

  /** Adam on the rows in {@code rows} only, then clears them from the set. */
  private static void adamRows(float[] w, float[] grad, float[] m, float[] v, Touched rows, int dim,
      Adam adam, float lrT) {
    for (int r = 0; r < rows.size; r++) {
      int base = rows.rows[r] * dim;
      for (int d = 0; d < dim; d++) {
        adamElement(w, grad, m, v, base + d, adam, lrT);
      }
    }
    rows.clear();
  }

  private static void adamElement(float[] w, float[] grad, float[] m, float[] v, int k, Adam adam,
      float lrT) {
    float b1 = adam.beta1();
    float b2 = adam.beta2();
    float g = grad[k] + adam.l2() * w[k];
    float mk = b1 * m[k] + (1 - b1) * g;
    float vk = b2 * v[k] + (1 - b2) * g * g;
    m[k] = mk;
    v[k] = vk;
    w[k] -= lrT * mk / ((float) Math.sqrt(vk) + adam.epsilon());
    grad[k] = 0f;
  }

  @Override
  public int step() {
    return step;
  }

  @Override
  public void copyMoments(float[] userMoment1, float[] userMoment2, float[] itemMoment1,
      float[] itemMoment2) {
    System.arraycopy(userM, 0, userMoment1, 0, userM.length);
    System.arraycopy(userV, 0, userMoment2, 0, userV.length);
    System.arraycopy(itemM, 0, itemMoment1, 0, itemM.length);
    System.arraycopy(itemV, 0, itemMoment2, 0, itemV.length);
  }

  @Override
  public void copyRowMoments(boolean items, int[] rows, int count, float[] m, float[] v) {
    copyRows(items ? itemM : userM, items ? itemV : userV, dim, rows, count, m, v);
  }

  @Override
  public void zeroRows(boolean items, int[] rows, int count) {
    float[][] tables = items ? new float[][] {model.itemFactors, itemM, itemV, itemGrad}
        : new float[][] {model.userFactors, userM, userV, userGrad};
    for (int k = 0; k < count; k++) {
      for (float[] t : tables) {
        java.util.Arrays.fill(t, rows[k] * dim, (rows[k] + 1) * dim, 0f);
      }
    }
  }

  /** Row {@code rows[k]} of each table to offset {@code k * dim} of its destination. */
  public static void copyRows(float[] srcM, float[] srcV, int dim, int[] rows, int count, float[] m, float[] v) {
    for (int k = 0; k < count; k++) {
      System.arraycopy(srcM, rows[k] * dim, m, k * dim, dim);
      System.arraycopy(srcV, rows[k] * dim, v, k * dim, dim);
    }
  }

  @Override
  public void loadState(float[] userMoment1, float[] userMoment2, float[] itemMoment1,
      float[] itemMoment2, int step) {
    checkLength("user moment", userMoment1, userM.length);
    checkLength("user moment", userMoment2, userV.length);
    checkLength("item moment", itemMoment1, itemM.length);
    checkLength("item moment", itemMoment2, itemV.length);
    if (step < 0) {
      throw new IllegalArgumentException("step must be >= 0, got " + step);
    }
    System.arraycopy(userMoment1, 0, userM, 0, userM.length);
    System.arraycopy(userMoment2, 0, userV, 0, userV.length);
    System.arraycopy(itemMoment1, 0, itemM, 0, itemM.length);
    System.arraycopy(itemMoment2, 0, itemV, 0, itemV.length);
    java.util.Arrays.fill(userGrad, 0f);
    java.util.Arrays.fill(itemGrad, 0f);
    touchedUsers.clear();
    touchedItems.clear();
    this.step = step;
  }

  static void checkLength(String what, float[] a, int length) {
    if (a.length != length) {
      throw new IllegalArgumentException(what + " has " + a.length + " floats, the table " + length);
    }
  }

  /** A set of row indices in first-touch order, with O(1) add and clear proportional to its size. */
  static final class Touched {
    final int[] rows;
    private final boolean[] mark;
    int size;

    Touched(int capacity) {
      rows = new int[capacity];
      mark = new boolean[capacity];
    }

    void add(int row) {
      if (!mark[row]) {
        mark[row] = true;
        rows[size++] = row;
      }
    }

    void clear() {
      for (int r = 0; r < size; r++) {
        mark[rows[r]] = false;
      }
      size = 0;
    }
  }

  private static void adamTable(float[] w, float[] grad, float[] m, float[] v, Adam adam, float lrT) {
    float b1 = adam.beta1();
    float b2 = adam.beta2();
    float eps = adam.epsilon();
    float l2 = adam.l2();
    for (int k = 0; k < w.length; k++) {
      float g = grad[k] + l2 * w[k];
      float mk = b1 * m[k] + (1 - b1) * g;
      float vk = b2 * v[k] + (1 - b2) * g * g;
      m[k] = mk;
      v[k] = vk;
      w[k] -= lrT * mk / ((float) Math.sqrt(vk) + eps);
      grad[k] = 0f;
    }
  }

  @Override
  public void scores(int[] users, float[] out) {
    int items = model.numItems;
    float[] p = model.userFactors;
    float[] q = model.itemFactors;
    for (int k = 0; k < users.length; k++) {
      int pu = users[k] * dim;
      int base = k * items;
      for (int i = 0; i < items; i++) {
        int qi = i * dim;
        float s = 0f;
        for (int d = 0; d < dim; d++) {
          s += p[pu + d] * q[qi + d];
        }
        out[base + i] = s;
      }
    }
  }

  @Override
  public void copyGradients(float[] userGradient, float[] itemGradient) {
    System.arraycopy(userGrad, 0, userGradient, 0, userGrad.length);
    System.arraycopy(itemGrad, 0, itemGradient, 0, itemGrad.length);
  }

  @Override
  public void syncToModel() {
    // the tables are the model's own arrays
  }

  @Override
  public String path() {
    return "java";
  }

  @Override
  public String device() {
    return "java";
  }

  @Override
  public boolean ranOnOpenCL() {
    return false;
  }

  @Override
  public void close() {}
}
