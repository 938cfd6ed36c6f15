package io.relstream.core.propensity;

/** Temporary: replaced by the incremental estimator. */
public final class PopularityPropensity {
  private PopularityPropensity() {}

  public static float[] fromCounts(long[] counts, float eta) {
    long max = 0;
    for (long c : counts) max = Math.max(max, c);
    float[] t = new float[counts.length];
    for (int i = 0; i < counts.length; i++) t[i] = max == 0 ? 0f : (float) Math.pow((double) counts[i] / max, eta);
    return t;
  }
}
