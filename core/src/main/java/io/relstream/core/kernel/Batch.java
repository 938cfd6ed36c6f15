package io.relstream.core.kernel;

/**
 * A mini-batch of (user, item, click, &theta;) tuples in parallel arrays. Reusable: {@link #clear()}
 * and {@link #add} refill it without allocating.
 */
public final class Batch {
  public final int[] users;
  public final int[] items;
  public final float[] labels;
  public final float[] theta;
  private int size;

  public Batch(int capacity) {
    users = new int[capacity];
    items = new int[capacity];
    labels = new float[capacity];
    theta = new float[capacity];
  }

  public int size() {
    return size;
  }

  public int capacity() {
    return users.length;
  }

  public void clear() {
    size = 0;
  }

  public void add(int user, int item, float label, float propensity) {
    users[size] = user;
    items[size] = item;
    labels[size] = label;
    theta[size] = propensity;
    size++;
  }
}
