package io.relstream.streamtrain;

import java.util.Objects;

/**
 * A training example between the propensity and trainer operators: an interaction with its &theta;
 * and the item's decayed click count. A Flink POJO (public fields, no-arg constructor), so it is
 * serialised by Flink's PojoSerializer, never Kryo.
 */
public class Example {
  public String user;
  public String item;
  /** 1 clicked, 0 shown without a click. */
  public int label;
  /** &theta; of this event. */
  public float theta;
  /** The item's decayed click count at the event's time. */
  public double clicks;
  /** Epoch milliseconds. */
  public long timestamp;
  /** Not an interaction: the user asked to be erased (item empty, label 0). */
  public boolean erase;

  public Example() {}

  /** The marker that tells the trainer to forget {@code user}, in order with its events. */
  public static Example erasure(String user, long timestamp) {
    Example e = new Example(user, "", 0, 0f, 0, timestamp);
    e.erase = true;
    return e;
  }

  public Example(String user, String item, int label, float theta, double clicks, long timestamp) {
    this.user = user;
    this.item = item;
    this.label = label;
    this.theta = theta;
    this.clicks = clicks;
    this.timestamp = timestamp;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Example)) {
      return false;
    }
    Example e = (Example) o;
    return label == e.label && Float.compare(theta, e.theta) == 0 && Double.compare(clicks, e.clicks) == 0
        && timestamp == e.timestamp && erase == e.erase && Objects.equals(user, e.user)
        && Objects.equals(item, e.item);
  }

  @Override
  public int hashCode() {
    return Objects.hash(user, item, label, theta, clicks, timestamp, erase);
  }

  @Override
  public String toString() {
    return erase ? "Example{erase " + user + ", t=" + timestamp + "}" : "Example{" + user + ", " + item + ", y=" + label + ", theta=" + theta + ", clicks=" + clicks
        + ", t=" + timestamp + "}";
  }
}
