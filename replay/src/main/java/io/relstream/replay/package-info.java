/**
 * Offline replay: trains core's models on logged data and reports ranking metrics.
 *
 * <p>Reporting: {@link io.relstream.replay.ModelMetrics} holds one model's per-metric
 * {@link io.relstream.replay.Stat} (mean &plusmn; std over seeds); {@code Plots} draws them as PNG
 * line charts and {@code MarkdownReport} renders them as a markdown report that links those charts.
 */
package io.relstream.replay;
