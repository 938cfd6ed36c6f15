package io.relstream.events;

import java.util.List;

/**
 * A key-value store the join keeps its state in: a Kafka Streams store in the ingest app, a sorted map
 * ({@link MemoryJoinStore}) in a replay. Keys are strings compared as such.
 *
 * @param <V> the value type
 */
public interface JoinStore<V> {
  /** The value under {@code key}, or null. */
  V get(String key);

  void put(String key, V value);

  void delete(String key);

  /** The keys {@code k} with {@code from <= k <= to}, in ascending order (a snapshot: the caller may delete). */
  List<String> keysBetween(String from, String to);
}
