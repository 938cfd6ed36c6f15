package io.relstream.core.online;

/**
 * One changed row of the model after a batch.
 *
 * @param id the user or item id
 * @param vector its factors (a copy, length d)
 * @param theta for an item, the latest propensity &theta; it was trained with; NaN for a user
 * @param clicks for an item, the latest decayed click count reported with it; NaN for a user
 */
public record ModelRow(String id, float[] vector, float theta, double clicks) {}
