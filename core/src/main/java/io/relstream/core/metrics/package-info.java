/**
 * Ranking metrics on a missing-at-random test set: the "paper" protocol of the Rel-MF reference
 * evaluation and a "standard" binary protocol. See {@link io.relstream.core.metrics.RankingMetrics}.
 */
package io.relstream.core.metrics;
