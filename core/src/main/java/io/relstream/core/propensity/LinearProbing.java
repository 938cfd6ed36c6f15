package io.relstream.core.propensity;

import java.util.Arrays;

/**
 * The probing shared by the core's open-addressing tables of non-negative long keys ({@code PairTable}, the
 * trainer's click set): power-of-two capacity, linear probing, {@link #EMPTY} for a free slot, and deletion by
 * backward shift, so that probe sequences stay unbroken without tombstones.
 */
public final class LinearProbing {
  /** A free slot's key. */
  public static final long EMPTY = -1L;

  private LinearProbing() {}

  /** Moves a table's values with its keys during a deletion. */
  @FunctionalInterface
  public interface Move {
    void move(int from, int to);
  }

  /** {@code capacity} free slots (a power of two). */
  public static long[] emptyKeys(int capacity) {
    long[] k = new long[capacity];
    Arrays.fill(k, EMPTY);
    return k;
  }

  /** A well-mixed hash of {@code key}. */
  public static int hash(long key) {
    long h = key * 0x9E3779B97F4A7C15L;
    h ^= h >>> 29;
    h *= 0xBF58476D1CE4E5B9L;
    return (int) (h ^ (h >>> 32));
  }

  /** The slot holding {@code key}, or -1. */
  public static int slotOf(long[] keys, long key) {
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

  /** The slot where absent {@code key} goes: the first free one on its probe sequence. */
  public static int freeSlotFor(long[] keys, long key) {
    int mask = keys.length - 1;
    int s = hash(key) & mask;
    while (keys[s] != EMPTY) {
      s = (s + 1) & mask;
    }
    return s;
  }

  /**
   * Frees occupied {@code slot}: each later key of the run whose home lies outside the gap moves back into
   * it ({@code values} moves its values, when not null), then the last gap is freed.
   */
  public static void delete(long[] keys, int slot, Move values) {
    int mask = keys.length - 1;
    int hole = slot;
    for (int j = (slot + 1) & mask; keys[j] != EMPTY; j = (j + 1) & mask) {
      int home = hash(keys[j]) & mask;
      boolean stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
      if (!stays) {
        keys[hole] = keys[j];
        if (values != null) {
          values.move(j, hole);
        }
        hole = j;
      }
    }
    keys[hole] = EMPTY;
  }
}
