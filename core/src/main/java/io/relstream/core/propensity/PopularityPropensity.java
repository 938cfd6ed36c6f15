package io.relstream.core.propensity;

import java.util.Arrays;

/**
 * The popularity propensity of Rel-MF, maintained incrementally from a click stream:
 * <pre>
 *   &theta;_i = (n_i / max_j n_j)^&eta;,      &theta;_i in [0, 1],   &eta; &ge; 0 (default 0.5)
 * </pre>
 * where n_i is the (optionally exponentially decayed) number of clicks on item i. Items never clicked
 * have &theta;_i = 0, as does every item before the first click.
 *
 * <p>With half-life h, a click at t_k counts 2^(-(t - t_k)/h) at time t. Counts are stored scaled
 * relative to a reference time (see {@link io.relstream.core.propensity the package}), so each
 * {@link #observeClick} is O(1) amortised, the ratio n_i / max_j n_j is decay-free and the maximum is
 * exact. Clicks may arrive out of order; an older click simply adds a smaller weight.
 *
 * <p>{@link #fromCounts} and {@link #fromClicks} compute the same &theta; in one batch pass. Item indices
 * are dense and 0-based; arrays grow as items appear. Not thread-safe.
 */
public final class PopularityPropensity {

  /** The paper's &eta;. */
  public static final double DEFAULT_ETA = 0.5;

  /** Half-life value meaning "no decay": every click counts 1 forever. */
  public static final long NO_DECAY = 0L;

  /** First four bytes of a {@link #snapshot()}: "RSPP". */
  public static final int SNAPSHOT_MAGIC = 0x52535050;
  /** Format version of {@link #snapshot()}. */
  public static final int SNAPSHOT_VERSION = 1;

  private final double eta;
  private final ScaledClock clock;
  /** Scaled count of item i: sum over its clicks of 2^((t_k - t_ref)/h); exact integers without decay. */
  private double[] counts = new double[16];
  private int numItems;
  /** max_j counts[j], in the same scale. */
  private double max;
  private long clicks;
  private long rescales;

  /** No decay, &eta; = {@value #DEFAULT_ETA}. */
  public PopularityPropensity() {
    this(DEFAULT_ETA, NO_DECAY);
  }

  /**
   * @param eta &eta; &ge; 0
   * @param halfLifeMillis h &gt; 0 in milliseconds, or {@link #NO_DECAY}
   */
  public PopularityPropensity(double eta, long halfLifeMillis) {
    this.eta = checkEta(eta);
    this.clock = new ScaledClock(halfLifeMillis);
  }

  /** Adds one click on {@code item} (&ge; 0) at {@code timestampMillis} (ignored without decay). */
  public void observeClick(int item, long timestampMillis) {
    if (item < 0) {
      throw new IllegalArgumentException("item must be >= 0, got " + item);
    }
    long k = clock.advance(timestampMillis);
    if (k > 0) {
      for (int j = 0; j < numItems; j++) {
        counts[j] = ScaledClock.rescale(counts[j], k);
      }
      max = ScaledClock.rescale(max, k);
      rescales++;
    }
    ensureItems(item + 1);
    double c = counts[item] + clock.weight(timestampMillis);
    counts[item] = c;
    if (c > max) {
      max = c;
    }
    clicks++;
  }

  /**
   * Makes items [0, n) known (with &theta; = 0 until clicked), so that {@link #thetas()} covers them.
   */
  public void ensureItems(int n) {
    if (n > counts.length) {
      counts = Arrays.copyOf(counts, Math.max(n, 2 * counts.length));
    }
    if (n > numItems) {
      numItems = n;
    }
  }

  /** &theta;_i in [0, 1]; 0 for an item never clicked or never seen. */
  public float theta(int item) {
    if (item < 0 || item >= numItems) {
      return 0f;
    }
    return thetaOf(counts[item], max, eta);
  }

  /** &theta; of items 0 .. {@link #numItems()} - 1. */
  public float[] thetas() {
    return thetas(numItems);
  }

  /** &theta; of items 0 .. length - 1 (0 beyond the items seen). */
  public float[] thetas(int length) {
    float[] out = new float[length];
    for (int i = 0; i < Math.min(length, numItems); i++) {
      out[i] = thetaOf(counts[i], max, eta);
    }
    return out;
  }

  /**
   * The decayed click count n_i at time {@code atMillis} (the plain count without decay). Counts that
   * have decayed below about 2^-1000 of the largest may read 0.
   */
  public double count(int item, long atMillis) {
    if (item < 0 || item >= numItems) {
      return 0;
    }
    return counts[item] * clock.decayTo(atMillis);
  }

  /** One more than the largest item index seen (or made known by {@link #ensureItems}). */
  public int numItems() {
    return numItems;
  }

  /** Number of clicks observed. */
  public long clicks() {
    return clicks;
  }

  public double eta() {
    return eta;
  }

  /** h in milliseconds, or {@link #NO_DECAY}. */
  public long halfLifeMillis() {
    return clock.halfLifeMillis();
  }

  /**
   * Batch &theta;_i = (n_i / max_j n_j)^&eta; from per-item counts (any non-negative reals, e.g. decayed
   * counts); items with n_i = 0 and all items when every count is 0 get 0.
   */
  public static float[] fromCounts(double[] counts, double eta) {
    checkEta(eta);
    double max = 0;
    for (double c : counts) {
      if (!(c >= 0) || Double.isInfinite(c)) {
        throw new IllegalArgumentException("counts must be finite and >= 0, got " + c);
      }
      max = Math.max(max, c);
    }
    float[] out = new float[counts.length];
    for (int i = 0; i < counts.length; i++) {
      out[i] = thetaOf(counts[i], max, eta);
    }
    return out;
  }

  /** {@link #fromCounts(double[], double)} for integer click counts. */
  public static float[] fromCounts(long[] counts, double eta) {
    double[] c = new double[counts.length];
    for (int i = 0; i < counts.length; i++) {
      c[i] = counts[i];
    }
    return fromCounts(c, eta);
  }

  /**
   * Batch &theta; from a click log: click k is on {@code items[k]} at {@code timestampsMillis[k]}. With
   * half-life h &gt; 0, n_i = sum over clicks on i of 2^((t_k - T)/h) with T the latest timestamp (any
   * common T gives the same &theta;); without decay n_i is the number of clicks. Returns an array of
   * length max(numItems, largest item + 1).
   *
   * @param timestampsMillis may be null when {@code halfLifeMillis == NO_DECAY}
   */
  public static float[] fromClicks(
      int[] items, long[] timestampsMillis, int numItems, double eta, long halfLifeMillis) {
    if (halfLifeMillis < 0) {
      throw new IllegalArgumentException("half-life must be > 0 ms, or 0 for no decay; got " + halfLifeMillis);
    }
    boolean decay = halfLifeMillis > 0;
    if (decay && (timestampsMillis == null || timestampsMillis.length != items.length)) {
      throw new IllegalArgumentException("need one timestamp per click");
    }
    int n = numItems;
    long latest = Long.MIN_VALUE;
    for (int k = 0; k < items.length; k++) {
      if (items[k] < 0) {
        throw new IllegalArgumentException("item must be >= 0, got " + items[k]);
      }
      n = Math.max(n, items[k] + 1);
      if (decay) {
        latest = Math.max(latest, timestampsMillis[k]);
      }
    }
    double[] counts = new double[n];
    for (int k = 0; k < items.length; k++) {
      counts[items[k]] += decay
          ? Math.pow(2.0, (double) Math.subtractExact(timestampsMillis[k], latest) / halfLifeMillis)
          : 1.0;
    }
    return fromCounts(counts, eta);
  }

  /** (count / max)^&eta;, 0 when count is 0; also 0 when &eta; = 0 and the item was never clicked. */
  static float thetaOf(double count, double max, double eta) {
    if (!(count > 0) || !(max > 0)) {
      return 0f;
    }
    double ratio = Math.min(count / max, 1.0);
    return (float) Math.pow(ratio, eta);
  }

  private static double checkEta(double eta) {
    if (!(eta >= 0) || Double.isInfinite(eta)) {
      throw new IllegalArgumentException("eta must be finite and >= 0, got " + eta);
    }
    return eta;
  }

  // ---------------------------------------------------------------- rows (for a store keyed by item)

  /** How many times every stored count was rescaled at once: when it moves, every item's row changed. */
  public long rescales() {
    return rescales;
  }

  /** The stored (scaled) count of {@code item}, what a row keeps; 0 beyond the known items. */
  public double storedCount(int item) {
    return item >= 0 && item < numItems ? counts[item] : 0;
  }

  /** Puts back a stored count read from a row (making the item known). */
  public void restoreStoredCount(int item, double scaled) {
    ensureItems(item + 1);
    counts[item] = scaled;
  }

  /** Everything but the per-item counts: &eta;, the clock, the item count, the maximum, the click count. */
  public void writeGlobals(java.io.DataOutput out) throws java.io.IOException {
    out.writeDouble(eta);
    clock.write(out);
    out.writeInt(numItems);
    out.writeDouble(max);
    out.writeLong(clicks);
  }

  /** An estimator from {@link #writeGlobals}, its counts 0 until {@link #restoreStoredCount}. */
  public static PopularityPropensity readGlobals(java.io.DataInput in) throws java.io.IOException {
    double eta = in.readDouble();
    ScaledClock clock = ScaledClock.read(in);
    PopularityPropensity p;
    try {
      p = new PopularityPropensity(eta, clock.halfLifeMillis());
    } catch (IllegalArgumentException e) {
      throw new java.io.IOException(e.getMessage());
    }
    p.clock.restoreFrom(clock);
    int n = in.readInt();
    if (n < 0) {
      throw new java.io.IOException("bad item count " + n);
    }
    p.ensureItems(n);
    p.max = in.readDouble();
    p.clicks = in.readLong();
    return p;
  }

  /**
   * The whole state as bytes: magic {@link #SNAPSHOT_MAGIC}, version, &eta;, the clock (h, t_ref), the
   * scaled counts of the known items, the maximum and the click count. {@link #restore} of these bytes
   * continues exactly (bit for bit) as this instance would.
   */
  public byte[] snapshot() {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(64 + 8 * numItems);
    try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
      out.writeInt(SNAPSHOT_MAGIC);
      out.writeInt(SNAPSHOT_VERSION);
      out.writeDouble(eta);
      clock.write(out);
      out.writeInt(numItems);
      for (int i = 0; i < numItems; i++) {
        out.writeDouble(counts[i]);
      }
      out.writeDouble(max);
      out.writeLong(clicks);
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
  public static PopularityPropensity restore(byte[] snapshot) {
    try (java.io.DataInputStream in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(snapshot))) {
      int magic = in.readInt();
      int version = in.readInt();
      if (magic != SNAPSHOT_MAGIC || version != SNAPSHOT_VERSION) {
        throw new IllegalArgumentException(String.format(
            "not a popularity propensity snapshot (magic %08x, version %d)", magic, version));
      }
      double eta = in.readDouble();
      ScaledClock clock = ScaledClock.read(in);
      PopularityPropensity p = new PopularityPropensity(eta, clock.halfLifeMillis());
      p.clock.restoreFrom(clock);
      int n = in.readInt();
      if (n < 0) {
        throw new IllegalArgumentException("bad item count " + n);
      }
      p.ensureItems(n);
      for (int i = 0; i < n; i++) {
        p.counts[i] = in.readDouble();
      }
      p.max = in.readDouble();
      p.clicks = in.readLong();
      if (in.read() != -1) {
        throw new IllegalArgumentException("trailing bytes after a popularity propensity snapshot");
      }
      return p;
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("truncated popularity propensity snapshot: " + e, e);
    }
  }
}
