package io.relstream.core.propensity;

/**
 * The scaled-time representation of exponential decay shared by the propensity estimators.
 *
 * <p>With half-life h milliseconds, an event at time t is stored as the weight
 * <pre>
 *   w(t) = 2^((t - t_ref) / h)
 * </pre>
 * where t<sub>ref</sub> is a reference time fixed at the first event. Every stored value decays by
 * the same factor, so ratios of stored sums equal ratios of decayed sums at any time. Before an event
 * more than {@link #RESCALE_HALF_LIVES} half-lives after t<sub>ref</sub> is weighted, {@link #advance}
 * moves t<sub>ref</sub> forward by k whole half-lives and returns k; the caller must then multiply every
 * stored value by 2^(-k) ({@link #rescale}), which is exact in binary floating point. Weights are then
 * at most 2^RESCALE_HALF_LIVES, so sums of up to 2^400 of them stay finite.
 *
 * <p>Without decay ({@code halfLifeMillis == 0}) every weight is exactly 1 and nothing is rescaled.
 * Timestamps are milliseconds; differences between timestamps must fit in a {@code long}.
 */
final class ScaledClock {

  /** Rescale once an event is this many half-lives after the reference time. */
  static final int RESCALE_HALF_LIVES = 512;

  private final long halfLifeMillis;
  private boolean started;
  private long refMillis;

  /** @param halfLifeMillis h &gt; 0, or 0 for no decay */
  ScaledClock(long halfLifeMillis) {
    if (halfLifeMillis < 0) {
      throw new IllegalArgumentException("half-life must be > 0 ms, or 0 for no decay; got " + halfLifeMillis);
    }
    this.halfLifeMillis = halfLifeMillis;
  }

  boolean decays() {
    return halfLifeMillis > 0;
  }

  long halfLifeMillis() {
    return halfLifeMillis;
  }

  /**
   * Prepares weighting an event at {@code t}: fixes t<sub>ref</sub> at the first event and returns the
   * number k &ge; 0 of half-lives t<sub>ref</sub> moved forward. When k &gt; 0 every stored value must
   * be multiplied by 2^(-k) before {@link #weight} is added.
   */
  long advance(long t) {
    if (!decays()) {
      return 0;
    }
    if (!started) {
      started = true;
      refMillis = t;
      return 0;
    }
    long ahead = Math.subtractExact(t, refMillis);
    if (ahead <= (long) RESCALE_HALF_LIVES * halfLifeMillis) {
      return 0;
    }
    long k = ahead / halfLifeMillis;
    refMillis += k * halfLifeMillis;
    return k;
  }

  /** w(t) = 2^((t - t_ref) / h); exactly 1 without decay. Call {@link #advance} first. */
  double weight(long t) {
    if (!decays()) {
      return 1.0;
    }
    return Math.pow(2.0, (double) Math.subtractExact(t, refMillis) / halfLifeMillis);
  }

  /**
   * The factor 2^(-(t - t_ref)/h) that turns a stored (scaled) value into its decayed value at time t;
   * 1 without decay or before the first event.
   */
  double decayTo(long t) {
    if (!decays() || !started) {
      return 1.0;
    }
    return Math.pow(2.0, -(double) Math.subtractExact(t, refMillis) / halfLifeMillis);
  }

  /** x * 2^(-k), exact in binary floating point unless the result is subnormal. */
  static double rescale(double x, long k) {
    return Math.scalb(x, (int) -Math.min(k, 4096));
  }

  /** Takes t_ref (and whether it is fixed) from {@code other}, which must have the same h. */
  void restoreFrom(ScaledClock other) {
    if (other.halfLifeMillis != halfLifeMillis) {
      throw new IllegalArgumentException("half-lives differ");
    }
    started = other.started;
    refMillis = other.refMillis;
  }

  /** Writes h, whether the reference time is fixed, and t_ref. */
  void write(java.io.DataOutput out) throws java.io.IOException {
    out.writeLong(halfLifeMillis);
    out.writeBoolean(started);
    out.writeLong(refMillis);
  }

  /** Reads what {@link #write} wrote. */
  static ScaledClock read(java.io.DataInput in) throws java.io.IOException {
    long h = in.readLong();
    if (h < 0) {
      throw new java.io.IOException("bad half-life " + h);
    }
    ScaledClock c = new ScaledClock(h);
    c.started = in.readBoolean();
    c.refMillis = in.readLong();
    return c;
  }
}
