package io.relstream.core.online;

import java.util.Arrays;

/** A set of non-negative ints in first-added order, with O(1) add and a clear proportional to its size. */
final class IndexSet {
  private int[] order = new int[16];
  private int size;
  private boolean[] member = new boolean[16];

  void add(int k) {
    if (k >= member.length) {
      member = Arrays.copyOf(member, Math.max(k + 1, 2 * member.length));
    }
    if (!member[k]) {
      member[k] = true;
      if (size == order.length) {
        order = Arrays.copyOf(order, 2 * size);
      }
      order[size++] = k;
    }
  }

  int get(int k) {
    return order[k];
  }

  int size() {
    return size;
  }

  void clear() {
    for (int k = 0; k < size; k++) {
      member[order[k]] = false;
    }
    size = 0;
  }
}
