package io.relstream.core.synthetic;

import io.relstream.core.data.Ratings;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A {@link SemiSyntheticLog} as an own event log with logged propensities, and missing-at-random
 * (MAR) evaluation sets drawn from the same truth.
 *
 * <p><b>Stream.</b> Every exposed pair (O_{u,i} = 1) is one impression of item i to user u with the
 * logged propensity &pi; = &theta;_{u,i} (the logging policy's exposure probability, known here), and
 * it is clicked when Y_{u,i} = 1. The impressions come in a seeded random order (Fisher-Yates from
 * {@code orderSeed}), impression k at {@link #T0} + {@value #SPACING_MS} ms &middot; k, its click
 * {@value #CLICK_DELAY_MS} ms later. Ids: the decimal index, for users and items alike (two name spaces).
 *
 * <p><b>MAR sets.</b> {@link #marSet} draws, per user, {@code perUser} distinct items uniformly
 * (independently of exposure, as Yahoo! R3's and Coat's test sets are) with rating 5 when R_{u,i} = 1
 * and 1 otherwise: relevance observed without exposure bias. Different seeds give a validation set and a
 * test set of the same truth.
 */
public final class SemiSyntheticEvents {
  /** 2026-01-01T00:00:00Z: the first impression. */
  public static final long T0 = 1_767_225_600_000L;
  public static final long SPACING_MS = 60_000L;
  public static final long CLICK_DELAY_MS = 5_000L;

  private final SemiSyntheticLog log;
  private final int[] users;
  private final int[] items;

  private SemiSyntheticEvents(SemiSyntheticLog log, int[] users, int[] items) {
    this.log = log;
    this.users = users;
    this.items = items;
  }

  /** The exposed pairs of {@code log} in the order drawn from {@code orderSeed}. */
  public static SemiSyntheticEvents of(SemiSyntheticLog log, long orderSeed) {
    int n = 0;
    for (int u = 0; u < log.numUsers(); u++) {
      for (int i = 0; i < log.numItems(); i++) {
        if (log.observed(u, i)) n++;
      }
    }
    int[] us = new int[n];
    int[] is = new int[n];
    int k = 0;
    for (int u = 0; u < log.numUsers(); u++) {
      for (int i = 0; i < log.numItems(); i++) {
        if (log.observed(u, i)) {
          us[k] = u;
          is[k] = i;
          k++;
        }
      }
    }
    SplittableRandom rng = new SplittableRandom(SemiSyntheticLog.mix(orderSeed, 0x4f52444552L));
    for (int a = n - 1; a > 0; a--) {
      int b = rng.nextInt(a + 1);
      int t = us[a];
      us[a] = us[b];
      us[b] = t;
      t = is[a];
      is[a] = is[b];
      is[b] = t;
    }
    return new SemiSyntheticEvents(log, us, is);
  }

  public SemiSyntheticLog log() {
    return log;
  }

  /** Impressions in the stream. */
  public int size() {
    return users.length;
  }

  public int user(int k) {
    return users[k];
  }

  public int item(int k) {
    return items[k];
  }

  /** Y of impression k. */
  public boolean clicked(int k) {
    return log.clicked(users[k], items[k]);
  }

  /** The logged propensity &pi; of impression k: &theta;_{u,i}. */
  public float propensity(int k) {
    return log.theta(users[k], items[k]);
  }

  public long timestamp(int k) {
    return T0 + SPACING_MS * k;
  }

  public static String userId(int u) {
    return Integer.toString(u);
  }

  public static String itemId(int i) {
    return Integer.toString(i);
  }

  /**
   * {@code perUser} distinct items per user, uniform (a partial Fisher-Yates from a generator seeded by
   * (seed, u)), rated 5 when relevant (R_{u,i} = 1) and 1 otherwise; users in order.
   */
  public Ratings marSet(int perUser, long seed) {
    int ni = log.numItems();
    int per = Math.min(perUser, ni);
    int nu = log.numUsers();
    int[] us = new int[nu * per];
    int[] is = new int[nu * per];
    byte[] rs = new byte[nu * per];
    int[] perm = new int[ni];
    int k = 0;
    for (int u = 0; u < nu; u++) {
      for (int i = 0; i < ni; i++) perm[i] = i;
      SplittableRandom rng = new SplittableRandom(SemiSyntheticLog.mix(SemiSyntheticLog.mix(seed, 0x4d4152L), u));
      for (int a = 0; a < per; a++) {
        int b = a + rng.nextInt(ni - a);
        int t = perm[a];
        perm[a] = perm[b];
        perm[b] = t;
        us[k] = u;
        is[k] = perm[a];
        rs[k] = (byte) (log.relevant(u, perm[a]) ? 5 : 1);
        k++;
      }
    }
    return new Ratings(us, is, rs);
  }

  /**
   * The stream as the collector's NDJSON: per impression {@code {"type":"impression", "eventId",
   * "user", "item", "timestamp", "requestId", "propensity"}} and, when clicked, {@code {"type":"click",
   * ...}} with the same requestId {@value #CLICK_DELAY_MS} ms later.
   */
  public void writeNdjson(Path file) throws IOException {
    try (BufferedWriter w = writer(file)) {
      for (int k = 0; k < size(); k++) {
        String common = String.format(Locale.ROOT, "\"user\":\"%s\",\"item\":\"%s\"", userId(users[k]),
            itemId(items[k]));
        w.write(String.format(Locale.ROOT,
            "{\"type\":\"impression\",\"eventId\":\"imp-%d\",%s,\"timestamp\":%d,\"requestId\":\"r%d\","
                + "\"propensity\":%s}%n", k, common, timestamp(k), k, Float.toString(propensity(k))));
        if (clicked(k)) {
          w.write(String.format(Locale.ROOT,
              "{\"type\":\"click\",\"eventId\":\"clk-%d\",%s,\"timestamp\":%d,\"requestId\":\"r%d\"}%n", k, common,
              timestamp(k) + CLICK_DELAY_MS, k));
        }
      }
    }
  }

  /**
   * The log in Yahoo! R3's file format, for the replay's {@code --dataset yahoo-r3 --data-dir dir}: the
   * training file holds every impression, rated 5 when clicked and 1 when not (so {@code --log clicks}
   * sees the clicks, {@code --log impressions} every exposure), the test file {@code test}'s MAR ratings,
   * 5 relevant and 1 not; 1-based ids, tab-separated.
   */
  public void writeYahooR3(Ratings test, Path dir) throws IOException {
    try (BufferedWriter w = writer(dir.resolve("ydata-ymusic-rating-study-v1_0-train.txt"))) {
      for (int k = 0; k < size(); k++) {
        w.write((users[k] + 1) + "\t" + (items[k] + 1) + "\t" + (clicked(k) ? 5 : 1) + "\n");
      }
    }
    try (BufferedWriter w = writer(dir.resolve("ydata-ymusic-rating-study-v1_0-test.txt"))) {
      for (int k = 0; k < test.size(); k++) {
        w.write((test.users()[k] + 1) + "\t" + (test.items()[k] + 1) + "\t" + (test.relevant(k) ? 5 : 1) + "\n");
      }
    }
  }

  /** {@code user TAB item TAB label} (1 relevant, 0 not) per rating of {@code set}. */
  public static void writeLabels(Ratings set, Path file) throws IOException {
    try (BufferedWriter w = writer(file)) {
      for (int k = 0; k < set.size(); k++) {
        w.write(userId(set.users()[k]) + "\t" + itemId(set.items()[k]) + "\t" + (set.relevant(k) ? 1 : 0) + "\n");
      }
    }
  }

  private static BufferedWriter writer(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    return Files.newBufferedWriter(file, StandardCharsets.UTF_8);
  }
}
