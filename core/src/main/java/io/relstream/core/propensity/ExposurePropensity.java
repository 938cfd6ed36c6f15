package io.relstream.core.propensity;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Item exposure propensity estimated from logged impressions, counting distinct users:
 * <pre>
 *   &theta;_i = E_i / A,      E_i = sum over users u shown i of 2^(-(t - t_{u,i})/h),
 *                             A   = sum over users u shown anything of 2^(-(t - t_u)/h)
 * </pre>
 * where t_{u,i} is the latest impression of i to u and t_u the latest impression to u. Without decay
 * (h = &infin;, {@link #NO_DECAY}) E_i is the number of users exposed to i and A the number of active
 * users, so &theta;_i in [0, 1] is the fraction of active users who were shown i. With decay every
 * term is stored scaled relative to a common reference time (see {@link io.relstream.core.propensity
 * the package}), so the decay cancels in the ratio; when a pair or a user is seen again its older
 * contribution is replaced by the newer one (impressions older than the stored latest are ignored).
 * Since t_{u,i} &le; t_u, E_i &le; A and &theta;_i &le; 1 (clamped against rounding).
 *
 * <p>Where the log carries the logging policy's probability p of an impression, p is the propensity of
 * that event: {@link #theta(int, double)} returns p when p in (0, 1], else the estimate, and
 * {@link #theta(int, int)} does the same with the probability logged on the pair's latest impression.
 *
 * <p>{@link #fromImpressions} computes the same &theta; in one batch pass. User and item indices are
 * dense and 0-based; arrays grow as they appear. Not thread-safe.
 */
public final class ExposurePropensity {

  /** Half-life value meaning "no decay". */
  public static final long NO_DECAY = 0L;

  /** First four bytes of a {@link #snapshot()}: "RSPE". */
  public static final int SNAPSHOT_MAGIC = 0x52535045;
  /** Format version of {@link #snapshot()}. */
  public static final int SNAPSHOT_VERSION = 1;

  private final ScaledClock clock;
  private PairTable pairs = new PairTable();
  /** E_i, scaled. */
  private double[] exposed = new double[16];
  private int numItems;
  /** Latest scaled weight and time of each user; seen[u] when u had an impression. */
  private double[] userWeight = new double[16];
  private long[] userTime = new long[16];
  private boolean[] seen = new boolean[16];
  private int numUsers;
  private int activeUsers;
  /** A, scaled. */
  private double active;
  private long impressions;
  private long rescales;

  /** No decay. */
  public ExposurePropensity() {
    this(NO_DECAY);
  }

  /** @param halfLifeMillis h &gt; 0 in milliseconds, or {@link #NO_DECAY} */
  public ExposurePropensity(long halfLifeMillis) {
    this.clock = new ScaledClock(halfLifeMillis);
  }

  /** True when p is a usable logged propensity: p in (0, 1]. NaN (no probability logged) is not. */
  public static boolean isLoggedPropensity(double p) {
    return p > 0 && p <= 1;
  }

  /**
   * Records that {@code item} was shown to {@code user} at {@code timestampMillis}.
   *
   * @param loggedPropensity the logging policy's probability of this impression, or NaN when the log
   *     has none (any value outside (0, 1] is treated as none)
   */
  public void observeImpression(int user, int item, long timestampMillis, double loggedPropensity) {
    if (user < 0 || item < 0) {
      throw new IllegalArgumentException("user and item must be >= 0, got " + user + ", " + item);
    }
    long k = clock.advance(timestampMillis);
    if (k > 0) {
      rescaleAll(k);
    }
    double w = clock.weight(timestampMillis);
    float logged = isLoggedPropensity(loggedPropensity) ? (float) loggedPropensity : Float.NaN;
    ensureUsers(user + 1);
    ensureItems(item + 1);
    impressions++;

    if (!seen[user]) {
      seen[user] = true;
      activeUsers++;
      userTime[user] = timestampMillis;
      userWeight[user] = w;
      active += w;
    } else if (timestampMillis > userTime[user]) {
      active += w - userWeight[user];
      userTime[user] = timestampMillis;
      userWeight[user] = w;
    }

    long key = PairTable.key(user, item);
    int slot = pairs.find(key);
    if (slot < 0) {
      pairs.insert(key, timestampMillis, w, logged);
      exposed[item] += w;
    } else if (timestampMillis > pairs.time(slot)) {
      exposed[item] += w - pairs.weight(slot);
      pairs.update(slot, timestampMillis, w, logged);
    } else if (timestampMillis == pairs.time(slot)) {
      pairs.update(slot, timestampMillis, pairs.weight(slot), logged); // same weight; latest log wins
    }
  }

  private void rescaleAll(long k) {
    for (int i = 0; i < numItems; i++) {
      exposed[i] = ScaledClock.rescale(exposed[i], k);
    }
    for (int u = 0; u < numUsers; u++) {
      userWeight[u] = ScaledClock.rescale(userWeight[u], k);
    }
    active = ScaledClock.rescale(active, k);
    pairs.rescale(k);
    rescales++;
  }

  /** Makes items [0, n) known (&theta; = 0 until shown), so that {@link #thetas()} covers them. */
  public void ensureItems(int n) {
    if (n > exposed.length) {
      exposed = Arrays.copyOf(exposed, Math.max(n, 2 * exposed.length));
    }
    numItems = Math.max(numItems, n);
  }

  private void ensureUsers(int n) {
    if (n > seen.length) {
      int cap = Math.max(n, 2 * seen.length);
      userWeight = Arrays.copyOf(userWeight, cap);
      userTime = Arrays.copyOf(userTime, cap);
      seen = Arrays.copyOf(seen, cap);
    }
    numUsers = Math.max(numUsers, n);
  }

  /** The estimate &theta;_i = E_i / A in [0, 1]; 0 for an item never shown or before any impression. */
  public float theta(int item) {
    if (item < 0 || item >= numItems) {
      return 0f;
    }
    return thetaOf(exposed[item], active);
  }

  /** {@code loggedPropensity} when it is in (0, 1], else the estimate {@link #theta(int)}. */
  public float theta(int item, double loggedPropensity) {
    return isLoggedPropensity(loggedPropensity) ? (float) loggedPropensity : theta(item);
  }

  /**
   * The probability logged with the latest impression of {@code item} to {@code user} when it is in
   * (0, 1], else the estimate {@link #theta(int)}.
   */
  public float theta(int user, int item) {
    if (user >= 0 && item >= 0) {
      int slot = pairs.find(PairTable.key(user, item));
      if (slot >= 0 && isLoggedPropensity(pairs.logged(slot))) {
        return pairs.logged(slot);
      }
    }
    return theta(item);
  }

  /** &theta; of items 0 .. {@link #numItems()} - 1. */
  public float[] thetas() {
    return thetas(numItems);
  }

  /** &theta; of items 0 .. length - 1 (0 beyond the items seen). */
  public float[] thetas(int length) {
    float[] out = new float[length];
    for (int i = 0; i < Math.min(length, numItems); i++) {
      out[i] = thetaOf(exposed[i], active);
    }
    return out;
  }

  /** E_i decayed to {@code atMillis}: the number of users shown i without decay. */
  public double exposedUsers(int item, long atMillis) {
    if (item < 0 || item >= numItems) {
      return 0;
    }
    return exposed[item] * clock.decayTo(atMillis);
  }

  /** A decayed to {@code atMillis}: the number of active users without decay. */
  public double activeUsers(long atMillis) {
    return active * clock.decayTo(atMillis);
  }

  /** Distinct users with at least one impression. */
  public int distinctUsers() {
    return activeUsers;
  }

  /** Distinct (user, item) pairs with at least one impression. */
  public int distinctPairs() {
    return pairs.size();
  }

  public long impressions() {
    return impressions;
  }

  public int numItems() {
    return numItems;
  }

  /** h in milliseconds, or {@link #NO_DECAY}. */
  public long halfLifeMillis() {
    return clock.halfLifeMillis();
  }

  /**
   * Batch &theta; from an impression log (impression k: {@code users[k]} was shown {@code items[k]} at
   * {@code timestampsMillis[k]}). With half-life h &gt; 0, E_i = sum over distinct pairs (u, i) of
   * 2^((t_{u,i} - T)/h) and A = sum over distinct users of 2^((t_u - T)/h), with latest times t_{u,i},
   * t_u and T the latest timestamp; without decay they are the distinct counts. Returns an array of
   * length max(numItems, largest item + 1).
   *
   * @param timestampsMillis may be null when {@code halfLifeMillis == NO_DECAY}
   */
  public static float[] fromImpressions(
      int[] users, int[] items, long[] timestampsMillis, int numItems, long halfLifeMillis) {
    if (halfLifeMillis < 0) {
      throw new IllegalArgumentException("half-life must be > 0 ms, or 0 for no decay; got " + halfLifeMillis);
    }
    if (users.length != items.length) {
      throw new IllegalArgumentException("need one user per item");
    }
    boolean decay = halfLifeMillis > 0;
    if (decay && (timestampsMillis == null || timestampsMillis.length != items.length)) {
      throw new IllegalArgumentException("need one timestamp per impression");
    }
    int n = numItems;
    long latest = Long.MIN_VALUE;
    Map<Long, Long> pairLatest = new HashMap<>();
    Map<Integer, Long> userLatest = new HashMap<>();
    for (int k = 0; k < items.length; k++) {
      if (users[k] < 0 || items[k] < 0) {
        throw new IllegalArgumentException("user and item must be >= 0");
      }
      n = Math.max(n, items[k] + 1);
      long t = decay ? timestampsMillis[k] : 0L;
      latest = Math.max(latest, t);
      pairLatest.merge(PairTable.key(users[k], items[k]), t, Math::max);
      userLatest.merge(users[k], t, Math::max);
    }
    double[] exposed = new double[n];
    for (Map.Entry<Long, Long> e : pairLatest.entrySet()) {
      int item = (int) (e.getKey() & 0xffffffffL);
      exposed[item] += weight(e.getValue(), latest, halfLifeMillis);
    }
    double active = 0;
    for (long t : userLatest.values()) {
      active += weight(t, latest, halfLifeMillis);
    }
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = thetaOf(exposed[i], active);
    }
    return out;
  }

  private static double weight(long t, long latest, long halfLifeMillis) {
    return halfLifeMillis > 0
        ? Math.pow(2.0, (double) Math.subtractExact(t, latest) / halfLifeMillis)
        : 1.0;
  }

  static float thetaOf(double exposed, double active) {
    if (!(exposed > 0) || !(active > 0)) {
      return 0f;
    }
    return (float) Math.min(exposed / active, 1.0);
  }

  /**
   * Forgets {@code user}: its pairs leave the table and their weights leave each E_i, its latest weight
   * leaves A, and it no longer counts as active; returns the items it had been shown (their rows changed).
   */
  public int[] eraseUser(int user) {
    if (user < 0 || user >= numUsers) {
      return new int[0];
    }
    java.util.List<Long> mine = new java.util.ArrayList<>();
    pairs.forEachKey(k -> {
      if ((int) (k >>> 32) == user) {
        mine.add(k);
      }
    });
    int[] items = new int[mine.size()];
    for (int k = 0; k < items.length; k++) {
      long key = mine.get(k);
      int item = (int) key;
      int slot = pairs.find(key);
      exposed[item] = Math.max(0, exposed[item] - pairs.weight(slot));
      pairs.remove(key);
      items[k] = item;
    }
    if (seen[user]) {
      active = Math.max(0, active - userWeight[user]);
      activeUsers--;
      seen[user] = false;
      userWeight[user] = 0;
      userTime[user] = 0;
    }
    return items;
  }

  // ------------------------------------------------- rows (for a store keyed by user, item and pair)

  /** How many times every stored weight was rescaled at once: when it moves, every row changed. */
  public long rescales() {
    return rescales;
  }

  /** The stored (scaled) E_i, what an item row keeps; 0 beyond the known items. */
  public double storedExposure(int item) {
    return item >= 0 && item < numItems ? exposed[item] : 0;
  }

  /** Puts back a stored E_i read from a row (making the item known). */
  public void restoreStoredExposure(int item, double scaled) {
    ensureItems(item + 1);
    exposed[item] = scaled;
  }

  /** Whether {@code user} had an impression. */
  public boolean userSeen(int user) {
    return user >= 0 && user < numUsers && seen[user];
  }

  /** The user's stored (scaled) latest weight. */
  public double storedUserWeight(int user) {
    return userSeen(user) ? userWeight[user] : 0;
  }

  /** The user's latest impression time. */
  public long userTime(int user) {
    return userSeen(user) ? userTime[user] : 0;
  }

  /** Puts back a user's latest impression read from a row (the counters come with the globals). */
  public void restoreUser(int user, boolean wasSeen, double scaledWeight, long time) {
    ensureUsers(user + 1);
    seen[user] = wasSeen;
    userWeight[user] = scaledWeight;
    userTime[user] = time;
  }

  /** Calls {@code action} with (user, item) of every pair shown. */
  public void forEachPair(java.util.function.BiConsumer<Integer, Integer> action) {
    pairs.forEachKey(k -> action.accept((int) (k >>> 32), (int) k));
  }

  /**
   * Writes the pair's latest impression (long time, double stored weight, float logged propensity) and
   * returns true, or writes nothing and returns false when the pair was never shown.
   */
  public boolean writePair(int user, int item, java.nio.ByteBuffer out) {
    int slot = pairs.find(PairTable.key(user, item));
    if (slot < 0) {
      return false;
    }
    out.putLong(pairs.time(slot)).putDouble(pairs.weight(slot)).putFloat(pairs.logged(slot));
    return true;
  }

  /** Bytes {@link #writePair} writes. */
  public static final int PAIR_BYTES = 20;

  /** Puts back a pair's latest impression as {@link #writePair} wrote it. */
  public void restorePair(int user, int item, long time, double weight, float logged) {
    if (user < 0 || item < 0) {
      throw new IllegalArgumentException("bad pair " + user + ", " + item);
    }
    long key = PairTable.key(user, item);
    int slot = pairs.find(key);
    if (slot < 0) {
      pairs.insert(key, time, weight, logged);
    } else {
      pairs.update(slot, time, weight, logged);
    }
  }

  /** Everything but the rows: the clock, item and user counts, active users, A, impressions. */
  public void writeGlobals(java.io.DataOutput out) throws java.io.IOException {
    clock.write(out);
    out.writeInt(numItems);
    out.writeInt(numUsers);
    out.writeInt(activeUsers);
    out.writeDouble(active);
    out.writeLong(impressions);
  }

  /** An estimator from {@link #writeGlobals}, its rows empty until restored one by one. */
  public static ExposurePropensity readGlobals(java.io.DataInput in) throws java.io.IOException {
    ScaledClock clock = ScaledClock.read(in);
    ExposurePropensity p = new ExposurePropensity(clock.halfLifeMillis());
    p.clock.restoreFrom(clock);
    int items = in.readInt();
    int users = in.readInt();
    if (items < 0 || users < 0) {
      throw new java.io.IOException("bad counts " + items + " / " + users);
    }
    p.ensureItems(items);
    p.ensureUsers(users);
    p.activeUsers = in.readInt();
    p.active = in.readDouble();
    p.impressions = in.readLong();
    return p;
  }

  /**
   * The whole state as bytes: magic {@link #SNAPSHOT_MAGIC}, version, the clock, E_i of the known items,
   * the users' latest weights and times, A, the counters and the pair table (with each pair's latest
   * time, weight and logged propensity). {@link #restore} of these bytes continues bit for bit as this
   * instance would.
   */
  public byte[] snapshot() {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(
        64 + 8 * numItems + 17 * numUsers + 28 * pairs.size());
    try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
      out.writeInt(SNAPSHOT_MAGIC);
      out.writeInt(SNAPSHOT_VERSION);
      clock.write(out);
      out.writeInt(numItems);
      for (int i = 0; i < numItems; i++) {
        out.writeDouble(exposed[i]);
      }
      out.writeInt(numUsers);
      for (int u = 0; u < numUsers; u++) {
        out.writeBoolean(seen[u]);
        out.writeDouble(userWeight[u]);
        out.writeLong(userTime[u]);
      }
      out.writeInt(activeUsers);
      out.writeDouble(active);
      out.writeLong(impressions);
      pairs.write(out);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * Rebuilds an estimator from {@link #snapshot()} bytes.
   *
   * @throws IllegalArgumentException when the bytes are not such a snapshot (magic, version, truncated)
   */
  public static ExposurePropensity restore(byte[] snapshot) {
    try (java.io.DataInputStream in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(snapshot))) {
      int magic = in.readInt();
      int version = in.readInt();
      if (magic != SNAPSHOT_MAGIC || version != SNAPSHOT_VERSION) {
        throw new IllegalArgumentException(String.format(
            "not an exposure propensity snapshot (magic %08x, version %d)", magic, version));
      }
      ScaledClock clock = ScaledClock.read(in);
      ExposurePropensity p = new ExposurePropensity(clock.halfLifeMillis());
      p.clock.restoreFrom(clock);
      int items = in.readInt();
      if (items < 0) {
        throw new IllegalArgumentException("bad item count " + items);
      }
      p.ensureItems(items);
      for (int i = 0; i < items; i++) {
        p.exposed[i] = in.readDouble();
      }
      int users = in.readInt();
      if (users < 0) {
        throw new IllegalArgumentException("bad user count " + users);
      }
      p.ensureUsers(users);
      for (int u = 0; u < users; u++) {
        p.seen[u] = in.readBoolean();
        p.userWeight[u] = in.readDouble();
        p.userTime[u] = in.readLong();
      }
      p.activeUsers = in.readInt();
      p.active = in.readDouble();
      p.impressions = in.readLong();
      p.pairs = PairTable.read(in);
      if (in.read() != -1) {
        throw new IllegalArgumentException("trailing bytes after an exposure propensity snapshot");
      }
      return p;
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("truncated exposure propensity snapshot: " + e, e);
    }
  }
}
