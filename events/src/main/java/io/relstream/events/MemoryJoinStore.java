package io.relstream.events;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/** A {@link JoinStore} in a sorted map: for a replay, which holds one log's join state in memory. */
public final class MemoryJoinStore<V> implements JoinStore<V> {
  private final TreeMap<String, V> map = new TreeMap<>();

  @Override
  public V get(String key) {
    return map.get(key);
  }

  @Override
  public void put(String key, V value) {
    map.put(key, value);
  }

  @Override
  public void delete(String key) {
    map.remove(key);
  }

  @Override
  public List<String> keysBetween(String from, String to) {
    return from.compareTo(to) > 0 ? List.of() : new ArrayList<>(map.subMap(from, true, to, true).keySet());
  }

  /** Entries held. */
  public int size() {
    return map.size();
  }
}
