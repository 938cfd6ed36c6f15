package io.relstream.core.metrics;

import io.relstream.core.data.Ratings;
import java.util.Arrays;
import java.util.function.IntPredicate;

/** Test ratings grouped by user (CSR): for user slot k, entries [offsets[k], offsets[k+1]). */
public final class TestSet {
  final int[] users;
  final int[] offsets;
  final int[] items;
  final byte[] ratings;

  private TestSet(int[] users, int[] offsets, int[] items, byte[] ratings) {
    this.users = users;
    this.offsets = offsets;
    this.items = items;
    this.ratings = ratings;
  }

  /** Groups ratings by user, keeping only items that pass {@code keepItem}; users left empty are dropped. */
  public static TestSet of(Ratings r, int numUsers, IntPredicate keepItem) {
    int[] count = new int[numUsers];
    int kept = 0;
    for (int k = 0; k < r.size(); k++) {
      if (keepItem.test(r.items()[k])) {
        count[r.users()[k]]++;
        kept++;
      }
    }
    int nonEmpty = 0;
    for (int c : count) {
      if (c > 0) nonEmpty++;
    }
    int[] users = new int[nonEmpty];
    int[] offsets = new int[nonEmpty + 1];
    int[] slot = new int[numUsers];
    Arrays.fill(slot, -1);
    int s = 0;
    for (int u = 0; u < numUsers; u++) {
      if (count[u] > 0) {
        users[s] = u;
        slot[u] = s;
        offsets[s + 1] = offsets[s] + count[u];
        s++;
      }
    }
    int[] items = new int[kept];
    byte[] ratings = new byte[kept];
    int[] fill = Arrays.copyOf(offsets, nonEmpty);
    for (int k = 0; k < r.size(); k++) {
      if (keepItem.test(r.items()[k])) {
        int at = fill[slot[r.users()[k]]]++;
        items[at] = r.items()[k];
        ratings[at] = r.ratings()[k];
      }
    }
    return new TestSet(users, offsets, items, ratings);
  }

  public static TestSet of(Ratings r, int numUsers) {
    return of(r, numUsers, i -> true);
  }

  public int userCount() {
    return users.length;
  }

  /** The largest number of test items of one user. */
  public int maxItemsPerUser() {
    int max = 0;
    for (int s = 0; s < users.length; s++) {
      max = Math.max(max, offsets[s + 1] - offsets[s]);
    }
    return max;
  }

  public int size() {
    return items.length;
  }
}
