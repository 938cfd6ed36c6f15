package io.relstream.core.accel;

import io.relstream.core.kernel.Batch;
import java.util.Arrays;

/**
 * The deterministic conflict schedule of the OpenCL trainer ({@link Conflicts#ROUNDS}). Pair k
 * of a batch gets the round 1 + max(round of the last earlier pair with the same user, round of the last
 * earlier pair with the same item) (0 when there is none). Pairs of one round touch disjoint rows, and
 * two pairs sharing a row keep their batch order across rounds, so applying the rounds in order, each in
 * any order or in parallel, gives exactly the sequential result.
 *
 * <p>{@link #schedule} copies the pairs into {@link #users}, {@link #items}, {@link #labels},
 * {@link #theta} sorted by round (stably) and sets {@link #roundStart}: round r holds positions
 * [roundStart[r], roundStart[r + 1]). Scratch per row is reused across batches with an epoch stamp, so a
 * batch costs O(pairs), not O(rows). Not thread-safe.
 */
final class RoundScheduler {
  final int[] users;
  final int[] items;
  final float[] labels;
  final float[] theta;
  final int[] roundStart;
  /** Per row: (epoch &lt;&lt; 32) | round of its last pair in this batch; one load per row, not two. */
  private final long[] userMark;
  private final long[] itemMark;
  private final int[] pairRound;
  private final int[] roundCount;
  private int epoch;

  RoundScheduler(int numUsers, int numItems, int capacity) {
    users = new int[capacity];
    items = new int[capacity];
    labels = new float[capacity];
    theta = new float[capacity];
    roundStart = new int[capacity + 1];
    userMark = new long[numUsers];
    itemMark = new long[numItems];
    pairRound = new int[capacity];
    roundCount = new int[capacity + 1];
  }

  int capacity() {
    return users.length;
  }

  /** Schedules pairs [from, from + m) of the batch (m at most the capacity); returns the round count. */
  int schedule(Batch batch, int from, int m) {
    if (++epoch == Integer.MAX_VALUE) {
      Arrays.fill(userMark, 0L);
      Arrays.fill(itemMark, 0L);
      epoch = 1;
    }
    long e = (long) epoch << 32;
    int rounds = 0;
    int[] bu = batch.users;
    int[] bi = batch.items;
    for (int j = 0; j < m; j++) {
      int u = bu[from + j];
      int i = bi[from + j];
      long mu = userMark[u];
      long mi = itemMark[i];
      int ru = (mu & 0xffffffff00000000L) == e ? (int) mu : -1;
      int ri = (mi & 0xffffffff00000000L) == e ? (int) mi : -1;
      int r = Math.max(ru, ri) + 1;
      userMark[u] = e | r;
      itemMark[i] = e | r;
      pairRound[j] = r;
      if (r == rounds) {
        roundCount[r] = 0;
        rounds++;
      }
      roundCount[r]++;
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
