package io.relstream.core.online;

import io.relstream.core.propensity.ExposurePropensity;
import io.relstream.core.propensity.PopularityPropensity;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;

/**
 * The propensity &theta; of each streamed interaction, from the core estimators over string ids.
 *
 * <p>Per event (user u, item i, time t, clicked?, shown?, position p, logged probability &pi;) it first
 * updates the counts, then answers &theta; of the event:
 * <ul>
 *   <li>a click adds to i's decayed click count n_i ({@link PopularityPropensity}): &theta;<sup>pop</sup>_i
 *       = (n_i / max_j n_j)^&eta;;</li>
 *   <li>an impression (clicked or not) adds (u, i) to the decayed distinct-user exposure counts
 *       ({@link ExposurePropensity}): &theta;<sup>exp</sup>_i = E_i / A, exposed users over active users;</li>
 *   <li>an impression with a position adds to that position's decayed impression count, a click with a
 *       position to its click count ({@link #positionClickRate}).</li>
 * </ul>
 * {@link Mode#AUTO} (the default) answers &pi; when it is in (0, 1], else &theta;<sup>exp</sup>_i once any
 * impression has been observed, else &theta;<sup>pop</sup>_i. {@link Mode#EXPOSURE} and
 * {@link Mode#POPULARITY} always answer that estimate. The global quantities (max_j n_j, A) need every
 * event, so one instance must see the whole stream (the Flink job runs it at parallelism 1).
 *
 * <p>{@link #snapshot()}/{@link #restore} carry the whole state (versioned, magic {@link #MAGIC}).
 * Not thread-safe.
 */
public final class OnlinePropensity {

  /** First four bytes of a snapshot: "RSOP". */
  public static final int MAGIC = 0x52534f50;
  /** Snapshot format version. */
  public static final int VERSION = 1;

  /** Which &theta; to answer. */
  public enum Mode {
    /** Logged &pi; when present, else exposure-based once impressions exist, else popularity. */
    AUTO,
    /** Always the exposure estimate E_i / A. */
    EXPOSURE,
    /** Always the popularity estimate (n_i / max n)^&eta;. */
    POPULARITY;

    public static Mode parse(String s) {
      try {
        return valueOf(s.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("unknown propensity mode '" + s + "' (expected auto, exposure or popularity)");
      }
    }
  }

  /** Where an answered &theta; came from. */
  public enum Source { LOGGED, EXPOSURE, POPULARITY }

  /**
   * The answer for one event.
   *
   * @param theta &theta; in [0, 1]
   * @param clicks the item's decayed click count n_i at the event's time
   * @param source which estimate &theta; is
   */
  public record Estimate(float theta, double clicks, Source source) {}

  private final Mode mode;
  private final IdIndex users;
  private final IdIndex items;
  private final PopularityPropensity clicks;
  private final ExposurePropensity exposure;
  private final PopularityPropensity positionShown;
  private final PopularityPropensity positionClicked;

  /**
   * @param eta &eta; of the popularity estimate
   * @param halfLifeMillis decay half-life h of every count, or 0 for none
   */
  public OnlinePropensity(Mode mode, double eta, long halfLifeMillis) {
    this(mode, new IdIndex(), new IdIndex(), new PopularityPropensity(eta, halfLifeMillis),
        new ExposurePropensity(halfLifeMillis), new PopularityPropensity(1.0, halfLifeMillis),
        new PopularityPropensity(1.0, halfLifeMillis));
  }

  private OnlinePropensity(Mode mode, IdIndex users, IdIndex items, PopularityPropensity clicks,
      ExposurePropensity exposure, PopularityPropensity positionShown, PopularityPropensity positionClicked) {
    this.mode = mode;
    this.users = users;
    this.items = items;
    this.clicks = clicks;
    this.exposure = exposure;
    this.positionShown = positionShown;
    this.positionClicked = positionClicked;
  }

  public Mode mode() {
    return mode;
  }

  /**
   * Observes one interaction and returns its &theta;.
   *
   * @param clicked Y = 1
   * @param shown whether the interaction is an impression (false for a click without one)
   * @param position the slot it was shown in, or -1 when not logged
   * @param logged the logging policy's probability, NaN when not logged
   */
  public Estimate observe(String user, String item, long timestampMillis, boolean clicked, boolean shown,
      int position, double logged) {
    int u = users.indexOf(user);
    int i = items.indexOf(item);
    clicks.ensureItems(i + 1);
    exposure.ensureItems(i + 1);
    if (clicked) {
      clicks.observeClick(i, timestampMillis);
      if (position >= 0) {
        positionClicked.observeClick(position, timestampMillis);
      }
    }
    if (shown) {
      exposure.observeImpression(u, i, timestampMillis, logged);
      if (position >= 0) {
        positionShown.observeClick(position, timestampMillis);
      }
    }
    double n = clicks.count(i, timestampMillis);
    switch (mode) {
      case EXPOSURE:
        return new Estimate(exposure.theta(i), n, Source.EXPOSURE);
      case POPULARITY:
        return new Estimate(clicks.theta(i), n, Source.POPULARITY);
      default:
        if (ExposurePropensity.isLoggedPropensity(logged)) {
          return new Estimate((float) logged, n, Source.LOGGED);
        }
        if (exposure.impressions() > 0) {
          return new Estimate(exposure.theta(i), n, Source.EXPOSURE);
        }
        return new Estimate(clicks.theta(i), n, Source.POPULARITY);
    }
  }

  /** The item's decayed click count at {@code atMillis}; 0 for an unknown item. */
  public double clicks(String item, long atMillis) {
    int i = items.find(item);
    return i < 0 ? 0 : clicks.count(i, atMillis);
  }

  /** Decayed clicks / decayed impressions at a position (NaN before any impression there). */
  public double positionClickRate(int position, long atMillis) {
    double shown = positionShown.count(position, atMillis);
    return shown > 0 ? positionClicked.count(position, atMillis) / shown : Double.NaN;
  }

  /** Known distinct items. */
  public int numItems() {
    return items.size();
  }

  /**
   * The whole state: int MAGIC, int VERSION, int mode, the user and item id maps, then the four core
   * estimators' own snapshots (each as int length + bytes): clicks, exposure, position impressions,
   * position clicks.
   */
  public byte[] snapshot() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(MAGIC);
      out.writeInt(VERSION);
      out.writeInt(mode.ordinal());
      users.write(out);
      items.write(out);
      for (byte[] b : new byte[][] {clicks.snapshot(), exposure.snapshot(), positionShown.snapshot(),
          positionClicked.snapshot()}) {
        out.writeInt(b.length);
        out.write(b);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** Continues from {@link #snapshot()} bytes; IllegalArgumentException when they are not such bytes. */
  public static OnlinePropensity restore(byte[] snapshot) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(snapshot))) {
      int magic = in.readInt();
      int version = in.readInt();
      if (magic != MAGIC || version != VERSION) {
        throw new IllegalArgumentException(String.format(
            "not an online propensity snapshot (magic %08x, version %d)", magic, version));
      }
      int m = in.readInt();
      if (m < 0 || m >= Mode.values().length) {
        throw new IllegalArgumentException("bad propensity mode " + m);
      }
      IdIndex users = IdIndex.read(in);
      IdIndex items = IdIndex.read(in);
      PopularityPropensity clicks = PopularityPropensity.restore(block(in));
      ExposurePropensity exposure = ExposurePropensity.restore(block(in));
      PopularityPropensity shown = PopularityPropensity.restore(block(in));
      PopularityPropensity clicked = PopularityPropensity.restore(block(in));
      if (in.read() != -1) {
        throw new IllegalArgumentException("trailing bytes after an online propensity snapshot");
      }
      return new OnlinePropensity(Mode.values()[m], users, items, clicks, exposure, shown, clicked);
    } catch (IOException e) {
      throw new IllegalArgumentException("truncated online propensity snapshot: " + e, e);
    }
  }

  private static byte[] block(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > in.available()) {
      throw new IOException("bad block length " + n);
    }
    byte[] b = new byte[n];
    in.readFully(b);
    return b;
  }
}
