package io.relstream.core.online;

import java.util.List;

/**
 * What one trained mini-batch changed.
 *
 * @param modelVersion the batch counter after this batch (1 for the first batch), strictly increasing
 * @param timestamp the newest event time (epoch ms) among all events trained so far
 * @param events events of the stream in this batch (sampled negatives not counted)
 * @param loss the clipped-IPS batch loss before the step
 * @param users rows of every user the batch touched, in first-appearance order
 * @param items rows of every item the batch touched (its events and its sampled negatives)
 */
public record BatchUpdate(long modelVersion, long timestamp, int events, double loss, List<ModelRow> users,
    List<ModelRow> items) {}
