package io.relstream.core.accel;

/**
 * The exclude-seen mask of a batch of users in CSR form: the items of the b-th user of the batch are
 * {@code items[start[b] .. start[b + 1])}, strictly increasing. Items listed here are never returned.
 */
public record SeenItems(int[] start, int[] items) {

  public SeenItems {
    if (start == null || items == null || start.length == 0 || start[0] != 0) {
      throw new IllegalArgumentException("seen items: start must begin with 0");
    }
    for (int b = 0; b + 1 < start.length; b++) {
      if (start[b + 1] < start[b] || start[b + 1] > items.length) {
        throw new IllegalArgumentException("seen items: start is not a non-decreasing offset array");
      }
      for (int j = start[b] + 1; j < start[b + 1]; j++) {
        if (items[j] <= items[j - 1]) {
          throw new IllegalArgumentException("seen items of user #" + b + " are not strictly increasing");
        }
      }
    }
  }

  /** No exclusions for {@code users} users. */
  public static SeenItems none(int users) {
    return new SeenItems(new int[users + 1], new int[0]);
  }

  /** Number of users it describes. */
  public int users() {
    return start.length - 1;
  }
}
