package io.relstream.replay;

import java.util.Map;

/**
 * Replay results of one model, aggregated over seeds.
 *
 * <p>Metric keys are {@code FAMILY@K}: the paper protocol's {@code DCG@K}, {@code Recall@K},
 * {@code MAP@K} and the standard protocol's {@code nDCG@K}, {@code StdRecall@K}, for K in
 * {1, 3, 5} (any K is accepted).
 *
 * @param model model name as reported ("relmf", "mf", ...)
 * @param config the run's configuration, key to value (rendered with {@code String.valueOf})
 * @param trainSeconds wall-clock training time, averaged over seeds
 * @param all metrics over all test users
 * @param rare metrics on the rare-item subset of the test set
 */
public record ModelMetrics(
    String model,
    Map<String, Object> config,
    double trainSeconds,
    Map<String, Stat> all,
    Map<String, Stat> rare) {}
