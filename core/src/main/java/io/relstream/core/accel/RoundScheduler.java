package io.relstream.core.accel;

import io.relstream.core.kernel.Batch;

/**
 * The deterministic conflict schedule of the OpenCL trainer ({@link Conflicts#ROUNDS}). Pair k
 * of a batch gets the round 1 + max(round of the last earlier pair with the same user, round of the last
 * earlier pair with the same item) (0 when there is none). Pairs of one round touch disjoint rows, and
 * two pairs sharing a row keep their batch order across rounds, so applying the rounds in order, each in
 * any order or in parallel, gives exactly the sequential result.
 *
 * <p>{@link #schedule} copies the pairs into {@link #users}, {@link #items}, {@link #labels},
 * {@link #theta} sorted by round (stably) and sets {@link #roundStart}: round r holds positions
 * [roundStart[r], roundStart[r + 1]). The last round of each row seen in the batch is kept in two
 * open-addressing tables of at least twice the capacity (user and item), emptied after each batch by
 * clearing only the slots it used, so a batch costs O(pairs), not O(rows). Tables sized to the batch
 * stay in the caches better than arrays indexed by row (8 MiB for a million users), and cost memory in
 * proportion to the batch, not the model. Not thread-safe.
 */
final class RoundScheduler {
  final int[] users;
  final int[] items;
  final float[] labels;
  final float[] theta;
  final int[] roundStart;
  /** Per row seen in this batch: ((row + 1) &lt;&lt; 32) | round of its last pair; 0 marks an empty slot. */
  private final long[] userSlots;
  private final long[] itemSlots;
  /** The slots this batch filled, for emptying them afterwards. */
  private final int[] usedUserSlots;
  private final int[] usedItemSlots;
  private final int mask;
  private final int slotShift;
  private final int[] pairRound;
  private final int[] roundCount;

  RoundScheduler(int capacity) {
    users = new int[capacity];
    items = new int[capacity];
    labels = new float[capacity];
    theta = new float[capacity];
    roundStart = new int[capacity + 1];
    int slots = Integer.highestOneBit(Math.max(1, capacity - 1)) << 2; // a power of two, >= 2 x capacity
    mask = slots - 1;
    slotShift = 32 - Integer.numberOfTrailingZeros(slots);
    userSlots = new long[slots];
    itemSlots = new long[slots];
    usedUserSlots = new int[capacity];
    usedItemSlots = new int[capacity];
    pairRound = new int[capacity];
    roundCount = new int[capacity + 1];
  }

  int capacity() {
    return users.length;
  }

  private int slot(int row) {
    return (row * 0x9E3779B9) >>> slotShift; // the top bits of a multiplicative hash
  }

  /**
   * Schedules pairs [from, from + m) of the batch (m at most the capacity); returns the round count.
   */
  int schedule(Batch batch, int from, int m) {
    int rounds = 0;
    int[] bu = batch.users;
    int[] bi = batch.items;
    long[] us = userSlots;
    long[] is = itemSlots;
    int usersSeen = 0;
    int itemsSeen = 0;
    for (int j = 0; j < m; j++) {
      int u = bu[from + j];
      int i = bi[from + j];
      long ku = (u + 1L) << 32;
      long ki = (i + 1L) << 32;
      int su = slot(u);
      while (us[su] != 0 && (us[su] & 0xffffffff00000000L) != ku) {
        su = (su + 1) & mask;
      }
      int si = slot(i);
      while (is[si] != 0 && (is[si] & 0xffffffff00000000L) != ki) {
        si = (si + 1) & mask;
      }
      long mu = us[su];
      long mi = is[si];
      int ru = mu == 0 ? -1 : (int) mu;
      int ri = mi == 0 ? -1 : (int) mi;
      if (mu == 0) {
        usedUserSlots[usersSeen++] = su;
      }
      if (mi == 0) {
        usedItemSlots[itemsSeen++] = si;
      }
      int r = Math.max(ru, ri) + 1;
      us[su] = ku | r;
      is[si] = ki | r;
      pairRound[j] = r;
      if (r == rounds) {
        roundCount[r] = 0;
        rounds++;
      }
      roundCount[r]++;
    }
    for (int k = 0; k < usersSeen; k++) {
      us[usedUserSlots[k]] = 0L;
    }
    for (int k = 0; k < itemsSeen; k++) {
      is[usedItemSlots[k]] = 0L;
    }
    roundStart[0] = 0;
    for (int r = 0; r < rounds; r++) {
      roundStart[r + 1] = roundStart[r] + roundCount[r];
      roundCount[r] = roundStart[r]; // write cursor
    }
    for (int j = 0; j < m; j++) {
      int at = roundCount[pairRound[j]]++;
      users[at] = bu[from + j];
      items[at] = bi[from + j];
      labels[at] = batch.labels[from + j];
      theta[at] = batch.theta[from + j];
    }
    return rounds;
  }
}
