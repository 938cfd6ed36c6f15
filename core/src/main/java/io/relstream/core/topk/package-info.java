/**
 * Top-k selection for serving: exact brute-force scoring of one query against a row-major item table
 * ({@link io.relstream.core.topk.TopK}) and the inverse-propensity popularity used for users without
 * a vector ({@link io.relstream.core.topk.DebiasedPopularity}).
 *
 * <p>Every ranking here is deterministic: higher score first, equal scores by lower item index first,
 * NaN scores never returned.
 */
package io.relstream.core.topk;
