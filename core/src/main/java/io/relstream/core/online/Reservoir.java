package io.relstream.core.online;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The most recent {@code capacity} trained stream events (u, i, Y, &theta;) as dense indices, in a ring:
 * once full, each new event overwrites the oldest. The arrays grow by doubling up to the capacity, so a
 * short stream does not hold the whole bound. Which slot holds which event is a pure function of the
 * events added, and {@link #draw} takes its slot from the generator it is given, so a replay of the same
 * events with the same generators draws the same events.
 *
 * <p>Memory: 16 bytes per held event (int u, int i, float Y, float &theta;), at most 16 &times; capacity.
 * Not thread-safe.
 */
final class Reservoir {
  private static final int INITIAL = 1024;

  private final int capacity;
  private int[] user = new int[0];
  private int[] item = new int[0];
  private float[] label = new float[0];
  private float[] theta = new float[0];
  private int size;
  /** The slot the next event goes to once the ring is full. */
  private int head;

  Reservoir(int capacity) {
    if (capacity < 0) {
      throw new IllegalArgumentException("capacity must be >= 0, got " + capacity);
    }
    this.capacity = capacity;
  }

  int capacity() {
    return capacity;
  }

  int size() {
    return size;
  }

  void add(int u, int i, float y, float t) {
    if (capacity == 0) {
      return;
    }
    int slot;
    if (size < capacity) {
      if (size == user.length) {
        grow(Math.min(capacity, Math.max(INITIAL, 2 * user.length)));
      }
      slot = size++;
    } else {
      slot = head;
      head = head + 1 == capacity ? 0 : head + 1;
    }
    user[slot] = u;
    item[slot] = i;
    label[slot] = y;
    theta[slot] = t;
  }

  private void grow(int n) {
    user = Arrays.copyOf(user, n);
    item = Arrays.copyOf(item, n);
    label = Arrays.copyOf(label, n);
    theta = Arrays.copyOf(theta, n);
  }

  /** A slot drawn uniformly from the held events; size() must be positive. */
  int draw(SplittableRandom rng) {
    return rng.nextInt(size);
  }

  int user(int slot) {
    return user[slot];
  }

  int item(int slot) {
    return item[slot];
  }

  float label(int slot) {
    return label[slot];
  }

  float theta(int slot) {
    return theta[slot];
  }

  /**
   * Drops every event of user {@code u}, keeping the others in age order (oldest first, from slot 0, so
   * head is 0 afterwards); returns how many were dropped.
   */
  int removeUser(int u) {
    int n = 0;
    int[] ku = new int[size];
    int[] ki = new int[size];
    float[] ky = new float[size];
    float[] kt = new float[size];
    for (int k = 0; k < size; k++) {
      int slot = size < capacity ? k : (head + k) % capacity;
      if (user[slot] != u) {
        ku[n] = user[slot];
        ki[n] = item[slot];
        ky[n] = label[slot];
        kt[n] = theta[slot];
        n++;
      }
    }
    int dropped = size - n;
    if (dropped == 0) {
      return 0;
    }
    System.arraycopy(ku, 0, user, 0, n);
    System.arraycopy(ki, 0, item, 0, n);
    System.arraycopy(ky, 0, label, 0, n);
    System.arraycopy(kt, 0, theta, 0, n);
    size = n;
    head = 0;
    return dropped;
  }

  int head() {
    return head;
  }

  /** The slots of the {@code n} most recent adds (n at most the size), newest first. */
  int[] recentSlots(int n) {
    int count = Math.min(n, size);
    int[] out = new int[count];
    int last = size < capacity ? size - 1 : (head == 0 ? capacity - 1 : head - 1);
    for (int k = 0; k < count; k++) {
      int s = last - k;
      out[k] = s < 0 ? s + capacity : s;
    }
    return out;
  }

  /** An empty ring of {@code size} slots with its head, to be filled by {@link #set}; checked as {@link #read}. */
  static Reservoir sized(int capacity, int size, int head) {
    if (size < 0 || size > capacity || head < 0 || (head > 0 && head >= size) || (head > 0 && size < capacity)) {
      throw new IllegalArgumentException("bad reservoir size " + size + " / head " + head + " for capacity "
          + capacity);
    }
    Reservoir r = new Reservoir(capacity);
    r.grow(size == capacity ? capacity : Math.min(capacity, Math.max(INITIAL, size)));
    r.size = size;
    r.head = head;
    return r;
  }

  void set(int slot, int u, int i, float y, float t) {
    user[slot] = u;
    item[slot] = i;
    label[slot] = y;
    theta[slot] = t;
  }

  /** int size, int head, then size x (int u, int i, float Y, float &theta;) in slot order. */
  void write(DataOutputStream out) throws IOException {
    out.writeInt(size);
    out.writeInt(head);
    for (int k = 0; k < size; k++) {
      out.writeInt(user[k]);
      out.writeInt(item[k]);
      out.writeFloat(label[k]);
      out.writeFloat(theta[k]);
    }
  }

  /** The reservoir {@link #write} wrote, checked against the capacity and the id maps' sizes. */
  static Reservoir read(DataInputStream in, int capacity, int numUsers, int numItems) throws IOException {
    Reservoir r = new Reservoir(capacity);
    int size = in.readInt();
    int head = in.readInt();
    if (size < 0 || size > capacity || head < 0 || (head > 0 && head >= size) || (head > 0 && size < capacity)) {
      throw new IllegalArgumentException("bad reservoir size " + size + " / head " + head + " for capacity "
          + capacity);
    }
    r.grow(size == capacity ? capacity : Math.min(capacity, Math.max(INITIAL, size)));
    for (int k = 0; k < size; k++) {
      r.user[k] = in.readInt();
      r.item[k] = in.readInt();
      r.label[k] = in.readFloat();
      r.theta[k] = in.readFloat();
      if (r.user[k] < 0 || r.user[k] >= numUsers || r.item[k] < 0 || r.item[k] >= numItems) {
        throw new IllegalArgumentException("reservoir event outside the id maps");
      }
    }
    r.size = size;
    r.head = head;
    return r;
  }
}
