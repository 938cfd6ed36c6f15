package io.relstream.events;

import java.util.ArrayList;
import java.util.List;

/**
 * The value of a join-index key: the events held under it, each as a 19-digit zero-padded timestamp
 * followed by the length-prefixed event id ({@code len:id}), in ascending (timestamp, id) order. The
 * empty list is null (the key is deleted). Lists are short: the events of one (user, item) or one
 * (requestId, item) within the join window.
 */
public final class IndexList {
  private IndexList() {}

  /** One entry. */
  public record Entry(long timestamp, String eventId) {}

  /** How many events the list holds (0 for null), without parsing it. */
  public static int size(String value) {
    if (value == null) {
      return 0;
    }
    int n = 0;
    int pos = 0;
    while (pos < value.length()) {
      int colon = value.indexOf(':', pos + 19);
      int len = Integer.parseInt(value, pos + 19, colon, 10);
      pos = colon + 1 + len;
      n++;
    }
    return n;
  }

  public static List<Entry> parse(String value) {
    List<Entry> out = new ArrayList<>();
    if (value == null) {
      return out;
    }
    int at = 0;
    while (at < value.length()) {
      long ts = Long.parseLong(value.substring(at, at + 19));
      at += 19;
      int colon = value.indexOf(':', at);
      int len = Integer.parseInt(value.substring(at, colon));
      out.add(new Entry(ts, value.substring(colon + 1, colon + 1 + len)));
      at = colon + 1 + len;
    }
    return out;
  }

  public static String format(List<Entry> entries) {
    if (entries.isEmpty()) {
      return null;
    }
    StringBuilder b = new StringBuilder();
    for (Entry e : entries) {
      b.append(Joiner.pad(e.timestamp())).append(e.eventId().length()).append(':').append(e.eventId());
    }
    return b.toString();
  }

  /** The list with (timestamp, eventId) inserted in order. */
  public static String add(String value, long timestamp, String eventId) {
    List<Entry> es = parse(value);
    Entry e = new Entry(Math.max(0, timestamp), eventId);
    int k = 0;
    while (k < es.size() && compare(es.get(k), e) < 0) {
      k++;
    }
    es.add(k, e);
    return format(es);
  }

  /** The list without eventId, or null when nothing is left. */
  public static String remove(String value, String eventId) {
    List<Entry> es = parse(value);
    es.removeIf(e -> e.eventId().equals(eventId));
    return format(es);
  }

  /** Every id, in event id order (the order of the v1 prefix scan). */
  public static List<String> ids(String value) {
    List<String> ids = new ArrayList<>();
    for (Entry e : parse(value)) {
      ids.add(e.eventId());
    }
    ids.sort(null);
    return ids;
  }

  /** Ids with from &lt;= timestamp &lt;= to (from below 0 counts as 0), in (timestamp, id) order. */
  public static List<String> idsBetween(String value, long from, long to) {
    List<String> ids = new ArrayList<>();
    long lo = Math.max(0, from);
    for (Entry e : parse(value)) {
      if (e.timestamp() >= lo && e.timestamp() <= to) {
        ids.add(e.eventId());
      }
    }
    return ids;
  }

  private static int compare(Entry a, Entry b) {
    int c = Long.compare(a.timestamp(), b.timestamp());
    return c != 0 ? c : a.eventId().compareTo(b.eventId());
  }
}
