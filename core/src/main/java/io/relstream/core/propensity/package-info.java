/**
 * Incremental estimators of the exposure propensity &theta; used by the clipped-IPS estimator
 * ({@link io.relstream.core.estimator.ClippedIps}).
 *
 * <h2>Popularity propensity (the paper's choice)</h2>
 * <pre>
 *   &theta;_i = (n_i / max_j n_j)^&eta;,      &eta; &ge; 0 (default 0.5),   &theta;_i in [0, 1]
 * </pre>
 * where n_i is the number of clicks on item i ({@link io.relstream.core.propensity.PopularityPropensity}).
 * Items never clicked get &theta;_i = 0; the estimator handles that safely (w = 0 when Y = 0, and the
 * divisor is floored or clipped when Y = 1).
 *
 * <h2>Exposure propensity from impressions</h2>
 * <pre>
 *   &theta;_i = |{u : u was shown i}| / |{u : u was shown anything}|,      &theta;_i in [0, 1]
 * </pre>
 * counting distinct users ({@link io.relstream.core.propensity.ExposurePropensity}). When the log
 * carries the logging policy's probability p of an impression, p in (0, 1] is used as &theta; of that
 * event instead of the estimate.
 *
 * <h2>Exponential time decay, kept exact in O(1) per event</h2>
 * With half-life h, an event at time t_k contributes 2^(-(t - t_k)/h) at time t. Because every
 * contribution decays by the same factor 2^(-&Delta;/h) over any interval &Delta;, the decay cancels
 * in every ratio (n_i / max_j n_j, exposed / active). Both estimators therefore store
 * <em>scaled</em> contributions relative to a reference time t<sub>ref</sub>,
 * <pre>
 *   event at t_k adds  2^((t_k - t_ref) / h)          (so the decayed value at t is stored * 2^(-(t - t_ref)/h))
 * </pre>
 * and never touch old values when time advances. In the scaled representation counts only grow, so
 * the running maximum max_j n_j is monotone and maintained exactly with one comparison per event.
 * To keep the scaled values finite, when an event lies more than 512
 * half-lives after t<sub>ref</sub>, the
 * reference time moves forward by a whole number k of half-lives (k h milliseconds, exact in
 * {@code long}) and every stored value is multiplied by 2^(-k) with {@link java.lang.Math#scalb}, which
 * is exact in binary floating point (barring underflow of values already 2^-1000 below the
 * largest), so ratios are unchanged bit for bit. That O(stored values) pass happens at most once per
 * 512 half-lives of stream time, so
 * the amortised cost per event stays O(1). Without decay every event adds exactly 1.
 *
 * <p>Both estimators are single-threaded (one instance per operator / key group) and grow their
 * dense int-indexed arrays as new users and items appear.
 */
package io.relstream.core.propensity;
