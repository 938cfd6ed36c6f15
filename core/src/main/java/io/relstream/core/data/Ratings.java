package io.relstream.core.data;

/**
 * Explicit ratings as parallel arrays of (user, item, rating) triples with dense 0-based indices.
 * Ratings are integers 1..5.
 */
public record Ratings(int[] users, int[] items, byte[] ratings) {

  /** Ratings at or above this value count as relevant (a click). */
  public static final int RELEVANT_AT = 4;

  public Ratings {
    if (users.length != items.length || users.length != ratings.length) {
      throw new IllegalArgumentException("ratings arrays differ in length");
    }
  }

  public int size() {
    return users.length;
  }

  public boolean relevant(int k) {
    return ratings[k] >= RELEVANT_AT;
  }

  /** The ratings at the given positions, in that order. */
  public Ratings select(int[] positions) {
    int[] u = new int[positions.length];
    int[] i = new int[positions.length];
    byte[] r = new byte[positions.length];
    for (int k = 0; k < positions.length; k++) {
      u[k] = users[positions[k]];
      i[k] = items[positions[k]];
      r[k] = ratings[positions[k]];
    }
    return new Ratings(u, i, r);
  }
}
