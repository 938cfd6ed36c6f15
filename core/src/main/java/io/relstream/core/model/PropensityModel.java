package io.relstream.core.model;

/** Which propensity a model trains with. */
public enum PropensityModel {
  /** &theta; = 1 for every pair: the naive estimator (MF, WMF). */
  NONE,
  /** &theta;_i = (n_i / max_j n_j)^&eta; from training clicks, as in the paper. */
  POPULARITY
}
