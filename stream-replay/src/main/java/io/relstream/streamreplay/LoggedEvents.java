package io.relstream.streamreplay;

import io.relstream.core.data.ImplicitFeedback;
import io.relstream.core.data.Ratings;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.InteractionSource;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A data set's training ratings as the interactions ingest would have emitted for them, in a seeded
 * order, {@code passes} times: event k (k = 0, 1, ... over all passes) is the k-th rating of the
 * order, at {@code T0 + 120 s * k} (the demo loader's spacing).
 *
 * <ul>
 *   <li>{@link Log#CLICKS} (the paper's setting): only ratings &ge; 4 are seen, each a click without an
 *       impression ({@code CLICK_WITHOUT_IMPRESSION}, label 1, no propensity), 30 s after its slot, as
 *       a click follows its impression in the demo. With no impression in the stream the propensity
 *       operator answers popularity.</li>
 *   <li>{@link Log#IMPRESSIONS}: every rating is an impression; one &ge; 4 was clicked
 *       ({@code CLICKED_IMPRESSION}, label 1), any other was not ({@code UNCLICKED_IMPRESSION}, label 0).
 *       One impression is one interaction, as ingest joins a click to its impression.</li>
 * </ul>
 * Pass p &gt; 0 repeats the same ratings in a fresh order drawn from the same generator, so a seed fixes
 * every pass. Ids are those of the files: Coat's 0-based row and column, Yahoo! R3's 1-based ids.
 *
 * <p>{@link #ofInteractions}: an own event log's joined interactions ({@link EventLog}) in time order;
 * pass p &gt; 0 feeds them again in the same order, each event id suffixed {@code #p} and its timestamp
 * moved on by p times the log's span, so time keeps moving forward.
 */
final class LoggedEvents implements Serializable {
  private static final long serialVersionUID = 1L;

  /** 2026-01-01T00:00:00Z: the first event's slot. */
  static final long T0 = 1_767_225_600_000L;
  static final long SPACING_MS = 120_000L;
  static final long CLICK_DELAY_MS = 30_000L;

  /** Which part of the log the stream sees. */
  enum Log {
    CLICKS, IMPRESSIONS;

    static Log parse(String s) {
      return switch (s.toLowerCase(Locale.ROOT)) {
        case "clicks" -> CLICKS;
        case "impressions" -> IMPRESSIONS;
        default -> throw new IllegalArgumentException("--log must be clicks or impressions, got '" + s + "'");
      };
    }

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final String dataset;
  private final Log log;
  private final int idOffset;
  private final int perPass;
  private final int[] users;
  private final int[] items;
  private final boolean[] clicked;
  /** An event log's interactions (null for a data set's ratings). */
  private final List<Interaction> joined;
  private final long span;
  private final int joinedPasses;

  private LoggedEvents(String dataset, Log log, int idOffset, int perPass, int[] users, int[] items,
      boolean[] clicked, List<Interaction> joined, long span, int joinedPasses) {
    this.joined = joined;
    this.joinedPasses = joinedPasses;
    this.span = span;
    this.dataset = dataset;
    this.log = log;
    this.idOffset = idOffset;
    this.perPass = perPass;
    this.users = users;
    this.items = items;
    this.clicked = clicked;
  }

  /**
   * The events of {@code data}'s training ratings.
   *
   * @param seed fixes the order of every pass
   */
  static LoggedEvents of(ImplicitFeedback data, Log log, long seed, int passes) {
    Ratings r = data.train;
    int[] seen = new int[r.size()];
    int n = 0;
    for (int k = 0; k < r.size(); k++) {
      if (log == Log.IMPRESSIONS || r.relevant(k)) {
        seen[n++] = k;
      }
    }
    int total = Math.multiplyExact(n, passes);
    int[] users = new int[total];
    int[] items = new int[total];
    boolean[] clicked = new boolean[total];
    SplittableRandom rng = new SplittableRandom(seed ^ 0x5DEECE66DL);
    int[] order = java.util.Arrays.copyOf(seen, n);
    for (int p = 0; p < passes; p++) {
      for (int k = n - 1; k > 0; k--) { // Fisher-Yates, continuing the generator from pass to pass
        int j = rng.nextInt(k + 1);
        int t = order[k];
        order[k] = order[j];
        order[j] = t;
      }
      for (int k = 0; k < n; k++) {
        int at = p * n + k;
        users[at] = r.users()[order[k]];
        items[at] = r.items()[order[k]];
        clicked[at] = r.relevant(order[k]);
      }
    }
    String name = data.dataset.name();
    return new LoggedEvents(name, log, idOffset(name), n, users, items, clicked, null, 0, 0);
  }

  /** An event log's joined interactions (time order), {@code passes} times. */
  static LoggedEvents ofInteractions(String name, List<Interaction> joined, int passes) {
    if (joined.isEmpty()) {
      throw new IllegalArgumentException(name + ": no interaction to replay");
    }
    long span = joined.get(joined.size() - 1).getTimestamp() - joined.get(0).getTimestamp() + 1;
    Math.multiplyExact(joined.size(), passes); // the log's events over all passes must fit an int
    return new LoggedEvents(name, null, 0, joined.size(), null, null, null, new ArrayList<>(joined), span, passes);
  }

  /** What a file id is over the 0-based index: Yahoo! R3's ids are 1-based, Coat's positions 0-based. */
  static int idOffset(String dataset) {
    return dataset.equals("yahoo-r3") ? 1 : 0;
  }

  /** Events of one pass. */
  int perPass() {
    return perPass;
  }

  /** Events over all passes. */
  int size() {
    return joined != null ? perPass * joinedPasses : users.length;
  }

  /** The part of a data set the stream sees; null for an event log. */
  Log log() {
    return log;
  }

  /** Event k. */
  Interaction event(int k) {
    if (joined != null) {
      int pass = k / perPass;
      Interaction i = joined.get(k % perPass);
      return pass == 0 ? i : Interaction.newBuilder(i).setEventId(i.getEventId() + "#" + pass)
          .setTimestamp(i.getTimestamp() + pass * span).build();
    }
    String user = Integer.toString(users[k] + idOffset);
    String item = Integer.toString(items[k] + idOffset);
    long slot = T0 + SPACING_MS * k;
    int pass = k / perPass;
    Interaction.Builder b = Interaction.newBuilder().setUser(user).setItem(item).setRequestId(null)
        .setPosition(null).setPropensity(null);
    if (log == Log.CLICKS) {
      return b.setEventId(dataset + "-clk-" + user + "-" + item + "-" + pass).setTimestamp(slot + CLICK_DELAY_MS)
          .setLabel(1).setSource(InteractionSource.CLICK_WITHOUT_IMPRESSION).build();
    }
    return b.setEventId(dataset + "-imp-" + user + "-" + item + "-" + pass).setTimestamp(slot)
        .setLabel(clicked[k] ? 1 : 0)
        .setSource(clicked[k] ? InteractionSource.CLICKED_IMPRESSION : InteractionSource.UNCLICKED_IMPRESSION)
        .build();
  }

  /** Every event in order. */
  List<Interaction> all() {
    List<Interaction> out = new ArrayList<>(size());
    for (int k = 0; k < size(); k++) {
      out.add(event(k));
    }
    return out;
  }
}
