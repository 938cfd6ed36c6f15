package io.relstream.core.propensity;


/**
 * Open-addressing hash table from a (user, item) pair (both &ge; 0) to the pair's latest impression:
 * its time, its scaled weight and the logging propensity it carried (NaN when none). Linear probing,
 * load factor at most 1/2, removal by backward shift ({@link LinearProbing}). Not thread-safe.
 */
final class PairTable {
  private static final long EMPTY = LinearProbing.EMPTY;

  private long[] keys;
  private long[] times;
  private double[] weights;
  private float[] logged;
  private int size;

  PairTable() {
    allocate(64);
  }

  private void allocate(int capacity) {
    keys = LinearProbing.emptyKeys(capacity);
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
    return LinearProbing.slotOf(keys, key);
  }

  /** Inserts an absent key and returns its slot. */
  int insert(long key, long time, double weight, float loggedPropensity) {
    if (2 * (size + 1) > keys.length) {
      grow();
    }
    int s = LinearProbing.freeSlotFor(keys, key);
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

  /** Removes {@code key}; returns false when absent. */
  boolean remove(long key) {
    int s = LinearProbing.slotOf(keys, key);
    if (s < 0) {
      return false;
    }
    LinearProbing.delete(keys, s, (from, to) -> {
      times[to] = times[from];
      weights[to] = weights[from];
      logged[to] = logged[from];
    });
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
