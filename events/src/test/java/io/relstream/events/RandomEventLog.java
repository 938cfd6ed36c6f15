package io.relstream.events;

import io.relstream.schemas.avro.Click;
import io.relstream.schemas.avro.Event;
import io.relstream.schemas.avro.Impression;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * A seeded log of events that exercises every join rule near its boundaries: impressions with and without
 * requestIds, clicks on time, at the edge of the window and past it, clicks delivered before their
 * impression, repeated clicks, clicks without any impression, duplicates of earlier events, and delivery out
 * of time order by up to 1.5 windows (stragglers arrive after stream time passed their deadline).
 */
public final class RandomEventLog {
  private RandomEventLog() {}

  private record Delivery(long at, int seq, Event event) {}

  /**
   * @param n how many events
   * @param start the earliest timestamp
   * @param windowMs the join window the log is meant for
   * @param arrival the arrival time stamped into every event (at least the latest timestamp)
   */
  public static List<Event> generate(long seed, int n, long start, long windowMs, long arrival) {
    Random r = new Random(seed);
    List<Delivery> out = new ArrayList<>();
    long t = start;
    int w = (int) windowMs;
    for (int k = 0; out.size() < n; k++) {
      t += r.nextInt(Math.max(1, w / 6));
      String user = "u" + r.nextInt(12);
      String item = "i" + r.nextInt(8);
      String req = r.nextBoolean() ? "r" + r.nextInt(40) : null;
      Impression imp = Impression.newBuilder().setEventId("imp-" + k).setUser(user).setItem(item).setTimestamp(t)
          .setRequestId(req).setPosition(1 + r.nextInt(5))
          .setPropensity(r.nextBoolean() ? 0.05 + 0.9 * r.nextDouble() : null).build();
      deliver(out, r, t, Event.newBuilder().setPayload(imp).setArrivalTime(arrival).build(), w);
      double u = r.nextDouble();
      if (u < 0.5) {
        long lag = r.nextInt(10) == 0 ? windowMs + 1 + r.nextInt(1000) : r.nextInt(w + 1);
        long ct = t + lag;
        deliver(out, r, ct, click("clk-" + k, user, item, ct, r.nextInt(4) == 0 ? null : req, arrival), w);
        if (r.nextInt(10) == 0) {
          deliver(out, r, ct + 5, click("again-" + k, user, item, ct + 5, req, arrival), w);
        }
      } else if (u < 0.6) {
        deliver(out, r, t, click("orphan-" + k, user, "i" + r.nextInt(8), t + r.nextInt(1000), null, arrival), w);
      }
      if (r.nextInt(15) == 0) {
        Delivery d = out.get(r.nextInt(out.size()));
        out.add(new Delivery(d.at() + r.nextInt(w), out.size(), d.event())); // a duplicate, delivered again
      }
    }
    out.sort(Comparator.comparingLong(Delivery::at).thenComparingInt(Delivery::seq));
    List<Event> log = new ArrayList<>(out.size());
    for (Delivery d : out) {
      log.add(d.event());
    }
    return log;
  }

  /** Mostly on time; sometimes early (before events it follows), sometimes late by up to 1.5 windows. */
  private static void deliver(List<Delivery> out, Random r, long ts, Event e, int w) {
    double d = r.nextDouble();
    long at = d < 0.1 ? ts - r.nextInt(Math.max(1, w / 2)) : d < 0.2 ? ts + r.nextInt(w + w / 2) : ts;
    out.add(new Delivery(at, out.size(), e));
  }

  private static Event click(String id, String user, String item, long ts, String req, long arrival) {
    return Event.newBuilder().setPayload(Click.newBuilder().setEventId(id).setUser(user).setItem(item).setTimestamp(ts)
        .setRequestId(req).build()).setArrivalTime(arrival).build();
  }
}
