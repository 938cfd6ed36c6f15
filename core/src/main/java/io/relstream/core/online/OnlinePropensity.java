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

  // changed since the last writeChangedRows (the row layout)
  private final IndexSet changedUsers = new IndexSet();
  private final IndexSet changedItems = new IndexSet();
  private LongSet changedPairs = new LongSet();
  private long[] changedPairList = new long[16];
  private int changedPairCount;
  private boolean allChanged;
  private long rescalesWritten;
  /** Erased since the last writeChangedRows: index, id, items it had been shown. */
  private final java.util.List<Object[]> erased = new java.util.ArrayList<>();

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
      long pair = ((long) u << 32) | i;
      if (changedPairs.add(pair)) {
        if (changedPairCount == changedPairList.length) {
          changedPairList = java.util.Arrays.copyOf(changedPairList, 2 * changedPairCount);
        }
        changedPairList[changedPairCount++] = pair;
      }
    }
    changedUsers.add(u);
    changedItems.add(i);
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

  /**
   * Forgets {@code user}: its latest impression, its (user, item) exposures and their weight in each
   * item's E_i and in A, and its id (a later event of the same id is a new user). Click counts n_i are
   * per item and keep the user's past clicks. Returns false when the user is unknown.
   */
  public boolean eraseUser(String user) {
    int u = users.find(user);
    if (u < 0) {
      return false;
    }
    int[] shown = exposure.eraseUser(u);
    for (int i : shown) {
      changedItems.add(i);
    }
    erased.add(new Object[] {u, user, shown});
    users.erase(u);
    return true;
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

  // ------------------------------------------------------------------ row layout

  /** First four bytes of {@link #globals()}: "RSOQ". */
  public static final int GLOBALS_MAGIC = 0x52534f51;
  /** Format version of {@link #globals()} and of the rows {@link #writeChangedRows} writes. */
  public static final int ROWS_VERSION = 1;
  private static final byte USER_ROW = 'U';
  private static final byte ITEM_ROW = 'I';
  private static final byte PAIR_ROW = 'P';
  private static final byte ERASED_USER_ROW = 'X';

  /** The row layout's key of a user's row. */
  public static String userKey(String user) {
    return "pu:" + user;
  }

  /** The row layout's key of an item's row. */
  public static String itemKey(String item) {
    return "pi:" + item;
  }

  /** The row layout's key of the hole an erased user left at its index. */
  static String erasedUserKey(int index) {
    return "px:" + index;
  }

  /** The row layout's key of a (user, item) exposure, by dense indices (the id rows name them). */
  static String pairKey(int user, int item) {
    return "pp:" + user + ":" + item;
  }

  /**
   * Writes every row changed since the previous call and forgets the changes: the estimator as one value
   * per key, for a store that checkpoints what changed (Flink keyed state on RocksDB with incremental
   * checkpoints). With {@link #globals()} taken at the same moment, the rows written so far (each key's
   * latest value) restore ({@link #restore(byte[], Iterable)}) an estimator that answers bit for bit as
   * this one. Rows, big-endian:
   * <pre>
   *   user (key pu:ID): byte 'U', int index, int len, UTF-8 id, boolean shown anything,
   *                     double stored latest weight, long latest impression time
   *   item (key pi:ID): byte 'I', int index, int len, UTF-8 id, double stored click count n_i,
   *                     double stored exposure E_i
   *   pair (key pp:U:I, dense indices): byte 'P', int u, int i, long latest time, double stored weight,
   *                     float logged propensity
   * </pre>
   * An event changes its user, its item and (an impression) its pair; the rare rescale of the stored
   * weights (every 512 half-lives) changes every row, and the next call writes them all.
   *
   * @return the number of rows written
   */
  public int writeChangedRows(RowWriter out) {
    if (exposure.rescales() + clicks.rescales() != rescalesWritten) {
      markAllChanged();
    }
    int written = 0;
    try {
      if (allChanged) {
        for (int u = 0; u < users.size(); u++) {
          changedUsers.add(u);
          if (users.id(u) == null) {
            out.put(erasedUserKey(u), holeRow(u));
          }
        }
        for (int i = 0; i < items.size(); i++) changedItems.add(i);
        int[] pairs = {0};
        exposure.forEachPair((u, i) -> {
          out.put(pairKey(u, i), pairRow(u, i));
          pairs[0]++;
        });
        written += pairs[0];
      } else {
        for (int k = 0; k < changedPairCount; k++) {
          long p = changedPairList[k];
          if (users.id((int) (p >>> 32)) != null) {
            out.put(pairKey((int) (p >>> 32), (int) p), pairRow((int) (p >>> 32), (int) p));
            written++;
          }
        }
      }
      for (Object[] e : erased) {
        int u = (Integer) e[0];
        out.put(userKey((String) e[1]), null);
        for (int i : (int[]) e[2]) {
          out.put(pairKey(u, i), null);
        }
        out.put(erasedUserKey(u), holeRow(u));
        written++;
      }
      for (int k = 0; k < changedUsers.size(); k++) {
        int u = changedUsers.get(k);
        if (users.id(u) == null) {
          continue; // erased above
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(40);
        DataOutputStream o = new DataOutputStream(bytes);
        o.writeByte(USER_ROW);
        o.writeInt(u);
        writeId(o, users.id(u));
        o.writeBoolean(exposure.userSeen(u));
        o.writeDouble(exposure.storedUserWeight(u));
        o.writeLong(exposure.userTime(u));
        out.put(userKey(users.id(u)), bytes.toByteArray());
        written++;
      }
      for (int k = 0; k < changedItems.size(); k++) {
        int i = changedItems.get(k);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(40);
        DataOutputStream o = new DataOutputStream(bytes);
        o.writeByte(ITEM_ROW);
        o.writeInt(i);
        writeId(o, items.id(i));
        o.writeDouble(clicks.storedCount(i));
        o.writeDouble(exposure.storedExposure(i));
        out.put(itemKey(items.id(i)), bytes.toByteArray());
        written++;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    changedUsers.clear();
    changedItems.clear();
    changedPairs = new LongSet();
    changedPairCount = 0;
    allChanged = false;
    erased.clear();
    rescalesWritten = exposure.rescales() + clicks.rescales();
    return written;
  }

  /** Makes the next {@link #writeChangedRows} write every row (moving a restored snapshot into rows). */
  public void markAllChanged() {
    allChanged = true;
  }

  private byte[] pairRow(int u, int i) {
    java.nio.ByteBuffer o = java.nio.ByteBuffer.allocate(9 + ExposurePropensity.PAIR_BYTES);
    o.put(PAIR_ROW).putInt(u).putInt(i);
    if (!exposure.writePair(u, i, o)) {
      throw new IllegalStateException("pair " + u + ", " + i + " changed but is not stored");
    }
    return o.array();
  }

  /** The row an erased user leaves at its index: byte 'X', int index. */
  private static byte[] holeRow(int u) {
    return java.nio.ByteBuffer.allocate(5).put(ERASED_USER_ROW).putInt(u).array();
  }

  private static void writeId(DataOutputStream o, String id) throws IOException {
    byte[] b = id.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    o.writeInt(b.length);
    o.write(b);
  }

  /**
   * Everything but the rows, small whatever the number of users and items: int GLOBALS_MAGIC, int
   * ROWS_VERSION, int mode, int numUsers, int numItems, the click estimator's and the exposure
   * estimator's globals, the two position estimators' snapshots (int length + bytes each).
   */
  public byte[] globals() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(GLOBALS_MAGIC);
      out.writeInt(ROWS_VERSION);
      out.writeInt(mode.ordinal());
      out.writeInt(users.size());
      out.writeInt(items.size());
      clicks.writeGlobals(out);
      exposure.writeGlobals(out);
      for (byte[] b : new byte[][] {positionShown.snapshot(), positionClicked.snapshot()}) {
        out.writeInt(b.length);
        out.write(b);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * An estimator from {@link #globals()} and the latest value of every key {@link #writeChangedRows}
   * wrote up to the same moment (any order).
   *
   * @throws IllegalArgumentException when the globals or a row are malformed, or a counted id has no row
   */
  public static OnlinePropensity restore(byte[] globals, Iterable<byte[]> rows) {
    RowRestore r = new RowRestore(globals);
    for (byte[] row : rows) {
      r.add(row);
    }
    return r.finish();
  }

  /** {@link #restore(byte[], Iterable)} fed one row at a time (for a store that pushes its values). */
  public static final class RowRestore {
    private final Mode mode;
    private final PopularityPropensity clicks;
    private final ExposurePropensity exposure;
    private final PopularityPropensity shown;
    private final PopularityPropensity clicked;
    private final String[] userIds;
    private final String[] itemIds;
    private final boolean[] erasedUsers;

    /** Reads the globals; IllegalArgumentException when they are not of this layout. */
    public RowRestore(byte[] globals) {
      try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(globals))) {
        int magic = in.readInt();
        int version = in.readInt();
        if (magic != GLOBALS_MAGIC || version != ROWS_VERSION) {
          throw new IllegalArgumentException(String.format(
              "not the globals of a propensity row layout (magic %08x, version %d)", magic, version));
        }
        int m = in.readInt();
        if (m < 0 || m >= Mode.values().length) {
          throw new IllegalArgumentException("bad propensity mode " + m);
        }
        mode = Mode.values()[m];
        int nu = in.readInt();
        int ni = in.readInt();
        if (nu < 0 || ni < 0) {
          throw new IllegalArgumentException("bad id counts " + nu + " / " + ni);
        }
        clicks = PopularityPropensity.readGlobals(in);
        exposure = ExposurePropensity.readGlobals(in);
        shown = PopularityPropensity.restore(block(in));
        clicked = PopularityPropensity.restore(block(in));
        if (in.read() != -1) {
          throw new IllegalArgumentException("trailing bytes after the propensity globals");
        }
        userIds = new String[nu];
        itemIds = new String[ni];
        erasedUsers = new boolean[nu];
      } catch (IOException e) {
        throw new IllegalArgumentException("truncated propensity globals: " + e, e);
      }
    }

    /** One stored row (any order). */
    public void add(byte[] row) {
      try {
        java.nio.ByteBuffer r = java.nio.ByteBuffer.wrap(row);
        byte kind = r.get();
        int nu = userIds.length;
        int ni = itemIds.length;
        if (kind == PAIR_ROW) {
          int u = r.getInt();
          int i = r.getInt();
          if (u < 0 || u >= nu || i < 0 || i >= ni) {
            throw new IllegalArgumentException("pair " + u + ", " + i + " outside the id counts");
          }
          exposure.restorePair(u, i, r.getLong(), r.getDouble(), r.getFloat());
          return;
        }
        if (kind == ERASED_USER_ROW) {
          erasedUsers[RowBytes.readIndex(r, nu, "erased user")] = true;
          return;
        }
        if (kind != USER_ROW && kind != ITEM_ROW) {
          throw new IllegalArgumentException("unknown propensity row kind " + kind);
        }
        String[] ids = kind == USER_ROW ? userIds : itemIds;
        int index = RowBytes.readIndex(r, ids.length, kind == USER_ROW ? "user row" : "item row");
        ids[index] = RowBytes.readId(r);
        if (kind == USER_ROW) {
          boolean seen = r.get() != 0;
          double w = r.getDouble();
          long t = r.getLong();
          if (seen) {
            exposure.restoreUser(index, true, w, t);
          }
        } else {
          clicks.restoreStoredCount(index, r.getDouble());
          exposure.restoreStoredExposure(index, r.getDouble());
        }
      } catch (java.nio.BufferUnderflowException e) {
        throw new IllegalArgumentException("truncated propensity row", e);
      }
    }

    /** The estimator; IllegalArgumentException when a counted id had no row. */
    public OnlinePropensity finish() {
      IdIndex u = new IdIndex();
      u.addAll(userIds, erasedUsers, "user");
      IdIndex i = new IdIndex();
      i.addAll(itemIds, "item");
      return new OnlinePropensity(mode, u, i, clicks, exposure, shown, clicked);
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
