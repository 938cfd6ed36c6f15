package io.relstream.core.online;

import java.util.Arrays;

/** Open-addressing set of non-negative longs (linear probing, load at most 1/2, no removal). */
final class LongSet {
  private static final long EMPTY = -1L;
  private long[] keys = empty(64);
  private int size;

  private static long[] empty(int capacity) {
    long[] k = new long[capacity];
    Arrays.fill(k, EMPTY);
    return k;
  }

  int size() {
    return size;
  }

  boolean contains(long key) {
    int mask = keys.length - 1;
    for (int s = hash(key) & mask; ; s = (s + 1) & mask) {
      if (keys[s] == key) {
        return true;
      }
      if (keys[s] == EMPTY) {
        return false;
      }
    }
  }

  /** Adds {@code key} (&ge; 0); returns false when it was present. */
  boolean add(long key) {
    if (key < 0) {
      throw new IllegalArgumentException("keys must be >= 0");
    }
    if (2 * (size + 1) > keys.length) {
      long[] old = keys;
      keys = empty(old.length * 2);
      size = 0;
      for (long k : old) {
        if (k != EMPTY) {
          add(k);
        }
      }
    }
    int mask = keys.length - 1;
    int s = hash(key) & mask;
    while (keys[s] != EMPTY) {
      if (keys[s] == key) {
        return false;
      }
      s = (s + 1) & mask;
    }
    keys[s] = key;
    size++;
    return true;
  }

  /** Removes {@code key} (backward-shift deletion, so probes stay unbroken); returns false when absent. */
  boolean remove(long key) {
    int mask = keys.length - 1;
    int s = hash(key) & mask;
    while (keys[s] != key) {
      if (keys[s] == EMPTY) {
        return false;
      }
      s = (s + 1) & mask;
    }
    int hole = s;
    for (int j = (s + 1) & mask; keys[j] != EMPTY; j = (j + 1) & mask) {
      int home = hash(keys[j]) & mask;
      boolean stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
      if (!stays) {
        keys[hole] = keys[j];
        hole = j;
      }
    }
    keys[hole] = EMPTY;
    size--;
    return true;
  }

  /** The keys in increasing order. */
  long[] sorted() {
    long[] out = new long[size];
    int n = 0;
    for (long k : keys) {
      if (k != EMPTY) {
        out[n++] = k;
      }
    }
    Arrays.sort(out);
    return out;
  }

  private static int hash(long key) {
    long h = key * 0x9E3779B97F4A7C15L;
    h ^= h >>> 29;
    h *= 0xBF58476D1CE4E5B9L;
    return (int) (h ^ (h >>> 32));
  }
}
