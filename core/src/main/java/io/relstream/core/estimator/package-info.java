/**
 * The clipped inverse-propensity-score (IPS) estimator: per-pair weights and the local losses they
 * multiply. See {@link io.relstream.core.estimator.ClippedIps} for the formula.
 */
package io.relstream.core.estimator;
