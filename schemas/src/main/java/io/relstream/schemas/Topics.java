package io.relstream.schemas;

/** The one definition of the project's Kafka topic names. */
public final class Topics {
  private Topics() {}

  /** Raw impression and click events from producers and the HTTP collector, and its erasures of users. */
  public static final String EVENTS = "events";
  /** Validated, de-duplicated, joined interactions emitted by ingest. */
  public static final String INTERACTIONS = "interactions";
  /** Compacted: user and item factors and propensities published by training. */
  public static final String MODEL_UPDATES = "model-updates";
  /** Rejected input with the reason. */
  public static final String DEAD_LETTER = "dead-letter";
}
