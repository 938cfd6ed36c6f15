package io.relstream.core.propensity;

import java.util.Arrays;

/**
 * Open-addressing hash table from a (user, item) pair (both &ge; 0) to the pair's latest impression:
 * its time, its scaled weight and the logging propensity it carried (NaN when none). Linear probing,
 * load factor at most 1/2, no removal. Not thread-safe.
 */
final class PairTable {
  private static final long EMPTY = -1L;

  private long[] keys;
  private long[] times;
  private double[] weights;
  private float[] logged;
  private int size;

  PairTable() {
    allocate(64);
  }

  private void allocate(int capacity) {
    keys = new long[capacity];
    Arrays.fill(keys, EMPTY);
    times = new long[capacity];
    weights = new double[capacity];
    logged = new float[capacity];
  }

  static long key(int user, int item) {
    return ((long) user << 32) | (item & 0xffffffffL);
  }

  int size() {
    return size;
  }

  /** Slot of {@code key}, or -1 when absent. */
  int find(long key) {
    int mask = keys.length - 1;
    for (int s = hash(key) & mask; ; s = (s + 1) & mask) {
      long k = keys[s];
      if (k == key) {
        return s;
      }
      if (k == EMPTY) {
        return -1;
      }
    }
  }

  /** Inserts an absent key and returns its slot. */
  int insert(long key, long time, double weight, float loggedPropensity) {
    if (2 * (size + 1) > keys.length) {
      grow();
    }
    int mask = keys.length - 1;
    int s = hash(key) & mask;
    while (keys[s] != EMPTY) {
      s = (s + 1) & mask;
    }
    keys[s] = key;
    times[s] = time;
    weights[s] = weight;
    logged[s] = loggedPropensity;
    size++;
    return s;
  }

  long time(int slot) {
    return times[slot];
  }

  double weight(int slot) {
    return weights[slot];
  }

  float logged(int slot) {
    return logged[slot];
  }

  void update(int slot, long time, double weight, float loggedPropensity) {
    times[slot] = time;
    weights[slot] = weight;
    logged[slot] = loggedPropensity;
  }

  /** Removes {@code key} (backward-shift deletion); returns false when absent. */
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
        times[hole] = times[j];
        weights[hole] = weights[j];
        logged[hole] = logged[j];
        hole = j;
      }
    }
    keys[hole] = EMPTY;
    size--;
    return true;
  }

  /** Calls {@code action} with every stored key. */
  void forEachKey(java.util.function.LongConsumer action) {
    for (long k : keys) {
      if (k != EMPTY) {
        action.accept(k);
      }
    }
  }

  /** Multiplies every stored weight by 2^(-k). */
  void rescale(long k) {
    for (int s = 0; s < keys.length; s++) {
      if (keys[s] != EMPTY) {
        weights[s] = ScaledClock.rescale(weights[s], k);
      }
    }
  }

  private void grow() {
    long[] oldKeys = keys;
    long[] oldTimes = times;
    double[] oldWeights = weights;
    float[] oldLogged = logged;
    allocate(oldKeys.length * 2);
    size = 0;
    for (int s = 0; s < oldKeys.length; s++) {
      if (oldKeys[s] != EMPTY) {
        insert(oldKeys[s], oldTimes[s], oldWeights[s], oldLogged[s]);
      }
    }
  }

  private static int hash(long key) {
    long h = key * 0x9E3779B97F4A7C15L;
    h ^= h >>> 29;
    h *= 0xBF58476D1CE4E5B9L;
    return (int) (h ^ (h >>> 32));
  }

  /** Writes the occupied slots in slot order (capacity first, so a read rebuilds the same layout). */
  void write(java.io.DataOutput out) throws java.io.IOException {
    out.writeInt(keys.length);
    out.writeInt(size);
    for (int s = 0; s < keys.length; s++) {
      if (keys[s] != EMPTY) {
        out.writeInt(s);
        out.writeLong(keys[s]);
        out.writeLong(times[s]);
        out.writeDouble(weights[s]);
        out.writeFloat(logged[s]);
      }
    }
  }

  /** Reads what {@link #write} wrote. */
  static PairTable read(java.io.DataInput in) throws java.io.IOException {
    int capacity = in.readInt();
    int size = in.readInt();
    if (capacity < 64 || Integer.bitCount(capacity) != 1 || size < 0 || 2 * (long) size > capacity) {
      throw new java.io.IOException("bad pair table shape " + capacity + " / " + size);
    }
    PairTable t = new PairTable();
    t.allocate(capacity);
    for (int k = 0; k < size; k++) {
      int s = in.readInt();
      if (s < 0 || s >= capacity || t.keys[s] != EMPTY) {
        throw new java.io.IOException("bad pair table slot " + s);
      }
      t.keys[s] = in.readLong();
      t.times[s] = in.readLong();
      t.weights[s] = in.readDouble();
      t.logged[s] = in.readFloat();
    }
    t.size = size;
    return t;
  }
}
