package io.relstream.core.online;

/**
 * Receives the rows of a row layout ({@link OnlineTrainer#writeChangedRows},
 * {@link OnlinePropensity#writeChangedRows}), one value per key; a later value for a key replaces it, and
 * a null value deletes the key (an erased user's rows).
 */
@FunctionalInterface
public interface RowWriter {
  void put(String key, byte[] value);
}
