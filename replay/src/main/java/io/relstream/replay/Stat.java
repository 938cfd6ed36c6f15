package io.relstream.replay;

/**
 * Mean and (sample or population, as the caller computed it) standard deviation of one metric over
 * seeds. A {@code NaN} mean means "not measured"; a {@code NaN} std is drawn as no error bar.
 *
 * @param mean mean over seeds
 * @param std standard deviation over seeds, &ge; 0
 */
public record Stat(double mean, double std) {}
