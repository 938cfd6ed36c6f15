package io.relstream.core.accel;

import io.relstream.core.model.FactorModel;

/**
 * The reference top-k: for each user, every item's score as a sequential dot product
 * s = sum over d in order of p[d] q[d], offered to a heap of the k best ({@link TopKHeap}'s order),
 * skipping seen items and NaN scores. Reads the bound model directly.
 */
final class ScalarTopK implements TopKScorer {
  private final FactorModel model;

  ScalarTopK(FactorModel model) {
    this.model = model;
  }

  @Override
  public void topK(int[] users, int k, SeenItems seen, int[] outItems, float[] outScores) {
    TopKHeap.checkArgs(model, users, k, seen, outItems, outScores);
    int dim = model.dim;
    float[] p = model.userFactors;
    float[] q = model.itemFactors;
    float[] hs = new float[k];
    int[] hi = new int[k];
    for (int b = 0; b < users.length; b++) {
      TopKHeap.init(hs, hi, 0, k);
      int pu = users[b] * dim;
      int sp = seen == null ? 0 : seen.start()[b];
      int se = seen == null ? 0 : seen.start()[b + 1];
      for (int i = 0; i < model.numItems; i++) {
        while (sp < se && seen.items()[sp] < i) {
          sp++;
        }
        if (sp < se && seen.items()[sp] == i) {
          continue;
        }
        int qi = i * dim;
        float s = 0f;
        for (int d = 0; d < dim; d++) {
          s += p[pu + d] * q[qi + d];
        }
        if (!Float.isNaN(s)) {
          TopKHeap.offer(hs, hi, 0, k, s, i);
        }
      }
      TopKHeap.drainSorted(hs, hi, 0, k, outItems, outScores, b * k);
    }
  }

  @Override
  public void refresh() {}

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
