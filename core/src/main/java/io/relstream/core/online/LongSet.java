package io.relstream.core.online;

import io.relstream.core.propensity.LinearProbing;
import java.util.Arrays;

/**
 * Open-addressing set of non-negative longs (linear probing, load at most 1/2, removal by backward shift:
 * {@link LinearProbing}).
 */
final class LongSet {
  private long[] keys = LinearProbing.emptyKeys(64);
  private int size;

  int size() {
    return size;
  }

  boolean contains(long key) {
    return LinearProbing.slotOf(keys, key) >= 0;
  }

  /** Adds {@code key} (&ge; 0); returns false when it was present. */
  boolean add(long key) {
    if (key < 0) {
      throw new IllegalArgumentException("keys must be >= 0");
    }
    if (LinearProbing.slotOf(keys, key) >= 0) {
      return false;
    }
    if (2 * (size + 1) > keys.length) {
      long[] old = keys;
      keys = LinearProbing.emptyKeys(old.length * 2);
      for (long k : old) {
        if (k != LinearProbing.EMPTY) {
          keys[LinearProbing.freeSlotFor(keys, k)] = k;
        }
      }
    }
    keys[LinearProbing.freeSlotFor(keys, key)] = key;
    size++;
    return true;
  }

  /** Removes {@code key}; returns false when absent. */
  boolean remove(long key) {
    int s = LinearProbing.slotOf(keys, key);
    if (s < 0) {
      return false;
    }
    LinearProbing.delete(keys, s, null);
    size--;
    return true;
  }

  /** The keys in increasing order. */
  long[] sorted() {
    long[] out = new long[size];
    int n = 0;
    for (long k : keys) {
      if (k != LinearProbing.EMPTY) {
        out[n++] = k;
      }
    }
    Arrays.sort(out);
    return out;
  }
}
