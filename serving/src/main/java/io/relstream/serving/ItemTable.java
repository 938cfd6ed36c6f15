package io.relstream.serving;

import io.relstream.core.accel.ItemTiles;
import io.relstream.core.topk.DebiasedPopularity;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An immutable snapshot of the item rows that top-k scans: the factors as {@link ItemTiles} (the scan's
 * layout), and per item its propensity &theta;, clicks and debiased-popularity score, with the model
 * version of the last batch applied. Items are kept <b>sorted by id</b>, so an index tie in the scan is a
 * tie broken by item id, and the ranking does not depend on the order in which rows arrived.
 *
 * <p><b>Copy-on-write.</b> {@link #with} returns a new snapshot and leaves this one untouched: updating
 * existing items copies only the tiles and attribute chunks they live in ({@link #CHUNK} items each) and
 * shares the rest, in O(touched chunks); a batch that adds or removes items rebuilds the snapshot in
 * O(count * dim + m log m). A reader that holds a snapshot therefore sees every row of a batch before or
 * after it, never a half-written vector, with no lock, and a newer snapshot never has a lower version.
 */
final class ItemTable {
  /** Items per attribute chunk. */
  static final int CHUNK = 4096;

  private final DebiasedPopularity popularity;
  private final int dim;
  private final int count;
  private final String[] ids;
  private final Map<String, Integer> index;
  private final ItemTiles tiles;
  private final double[][] propensity;
  private final double[][] clicks;
  private final float[][] popScore;
  private final long modelVersion;
  private final long updatedAtMs;
  /** When this server built the snapshot (wall clock, epoch ms; -1 for the empty table). */
  private final long publishedAtMs;

  private ItemTable(DebiasedPopularity popularity, int dim, int count, String[] ids, Map<String, Integer> index,
      ItemTiles tiles, double[][] propensity, double[][] clicks, float[][] popScore, long modelVersion,
      long updatedAtMs) {
    this(popularity, dim, count, ids, index, tiles, propensity, clicks, popScore, modelVersion, updatedAtMs,
        System.currentTimeMillis());
  }

  private ItemTable(DebiasedPopularity popularity, int dim, int count, String[] ids, Map<String, Integer> index,
      ItemTiles tiles, double[][] propensity, double[][] clicks, float[][] popScore, long modelVersion,
      long updatedAtMs, long publishedAtMs) {
    this.publishedAtMs = publishedAtMs;
    this.popularity = popularity;
    this.dim = dim;
    this.count = count;
    this.ids = ids;
    this.index = index;
    this.tiles = tiles;
    this.propensity = propensity;
    this.clicks = clicks;
    this.popScore = popScore;
    this.modelVersion = modelVersion;
    this.updatedAtMs = updatedAtMs;
  }

  /** The empty table. */
  static ItemTable empty(DebiasedPopularity popularity) {
    return new ItemTable(popularity, 0, 0, new String[0], Map.of(), null, new double[0][], new double[0][],
        new float[0][], -1, -1, -1);
  }

  int count() {
    return count;
  }

  int dim() {
    return dim;
  }

  /** Highest model version applied to this snapshot (-1: none). */
  long modelVersion() {
    return modelVersion;
  }

  /**
   * The newest timestamp of an item row in the snapshot (the trainer's {@code ModelUpdate.timestamp}, epoch
   * ms; -1 when empty): the model's age is the time since.
   */
  long updatedAtMs() {
    return updatedAtMs;
  }

  /** When this server built the snapshot from the updates it applied (wall clock; -1: the empty table). */
  long publishedAtMs() {
    return publishedAtMs;
  }

  /** Index of {@code id}, or -1. */
  int indexOf(String id) {
    Integer i = index.get(id);
    return i == null ? -1 : i;
  }

  String id(int i) {
    return ids[i];
  }

  double propensity(int i) {
    return propensity[i / CHUNK][i % CHUNK];
  }

  float popularityScore(int i) {
    return popScore[i / CHUNK][i % CHUNK];
  }

  /** The factor table (null while empty). */
  ItemTiles tiles() {
    return tiles;
  }

  /** The popularity scores in chunks of {@link #CHUNK}. */
  float[][] popularityChunks() {
    return popScore;
  }

  /**
   * This table with rows inserted or replaced (later entries for the same id win) at model version
   * {@code max(this version, version)}, updated at the newest row timestamp. Every vector must have the table's dimension (the first row sets it).
   */
  ItemTable with(List<Map.Entry<String, Values.ItemRow>> rows, long version) {
    return with(rows, List.of(), version);
  }

  /**
   * As {@link #with(List, long)}, and without the items {@code removed} (unknown ids are ignored; an id that
   * is also among {@code rows} is kept with its new row). Removing rebuilds the snapshot.
   */
  ItemTable with(List<Map.Entry<String, Values.ItemRow>> rows, java.util.Collection<String> removed, long version) {
    int d = dim;
    Map<String, Values.ItemRow> fresh = new HashMap<>();
    Map<Integer, Values.ItemRow> changed = new HashMap<>();
    for (Map.Entry<String, Values.ItemRow> e : rows) {
      Values.ItemRow row = e.getValue();
      if (d == 0) {
        d = row.vector().length;
      } else if (row.vector().length != d) {
        throw new IllegalArgumentException("item " + e.getKey() + " has dimension " + row.vector().length
            + ", the table " + d);
      }
      int i = indexOf(e.getKey());
      if (i >= 0) {
        changed.put(i, row);
      } else {
        fresh.put(e.getKey(), row);
      }
    }
    Set<Integer> drop = new HashSet<>();
    for (String id : removed) {
      int i = indexOf(id);
      if (i >= 0 && !changed.containsKey(i)) {
        drop.add(i);
      }
    }
    long v = Math.max(modelVersion, version);
    long nowMs = updatedAtMs;
    for (Map.Entry<String, Values.ItemRow> e : rows) {
      nowMs = Math.max(nowMs, e.getValue().timestamp());
    }
    if (!fresh.isEmpty() || !drop.isEmpty()) {
      return rebuild(d, fresh, changed, drop, v, nowMs);
    }
    if (changed.isEmpty()) {
      return new ItemTable(popularity, d, count, ids, index, tiles, propensity, clicks, popScore, v, nowMs);
    }
    int[] at = new int[changed.size()];
    float[] vectors = new float[at.length * d];
    double[][] p = propensity.clone();
    double[][] c = clicks.clone();
    float[][] s = popScore.clone();
    boolean[] copied = new boolean[p.length];
    int r = 0;
    for (Map.Entry<Integer, Values.ItemRow> e : changed.entrySet()) {
      int i = e.getKey();
      Values.ItemRow row = e.getValue();
      at[r] = i;
      System.arraycopy(row.vector(), 0, vectors, r * d, d);
      r++;
      int ch = i / CHUNK;
      if (!copied[ch]) {
        p[ch] = p[ch].clone();
        c[ch] = c[ch].clone();
        s[ch] = s[ch].clone();
        copied[ch] = true;
      }
      setAttributes(p, c, s, i, row);
    }
    return new ItemTable(popularity, d, count, ids, index, tiles.withRows(at, vectors), p, c, s, v, nowMs);
  }

  private void setAttributes(double[][] p, double[][] c, float[][] s, int i, Values.ItemRow row) {
    p[i / CHUNK][i % CHUNK] = row.propensity();
    c[i / CHUNK][i % CHUNK] = row.clicks();
    s[i / CHUNK][i % CHUNK] = (float) popularity.score(row.clicks(), row.propensity());
  }

  /** Merges new ids into the sorted order and leaves out the dropped indices; every array is rebuilt. */
  private ItemTable rebuild(int d, Map<String, Values.ItemRow> fresh, Map<Integer, Values.ItemRow> changed,
      Set<Integer> drop, long version, long nowMs) {
    String[] added = fresh.keySet().toArray(new String[0]);
    Arrays.sort(added);
    int n = count - drop.size() + added.length;
    String[] nextIds = new String[n];
    float[] vectors = new float[n * d];
    int chunks = (n + CHUNK - 1) / CHUNK;
    double[][] p = new double[chunks][CHUNK];
    double[][] c = new double[chunks][CHUNK];
    float[][] s = new float[chunks][CHUNK];
    float[] buf = new float[d];
    int a = 0;
    int b = 0;
    for (int i = 0; i < n; i++) {
      while (a < count && drop.contains(a)) {
        a++;
      }
      if (b >= added.length || (a < count && ids[a].compareTo(added[b]) < 0)) {
        nextIds[i] = ids[a];
        Values.ItemRow row = changed.get(a);
        if (row != null) {
          System.arraycopy(row.vector(), 0, vectors, i * d, d);
          setAttributes(p, c, s, i, row);
        } else {
          tiles.row(a, buf, 0);
          System.arraycopy(buf, 0, vectors, i * d, d);
          p[i / CHUNK][i % CHUNK] = propensity(a);
          c[i / CHUNK][i % CHUNK] = clicks[a / CHUNK][a % CHUNK];
          s[i / CHUNK][i % CHUNK] = popularityScore(a);
        }
        a++;
      } else {
        nextIds[i] = added[b];
        Values.ItemRow row = fresh.get(added[b]);
        System.arraycopy(row.vector(), 0, vectors, i * d, d);
        setAttributes(p, c, s, i, row);
        b++;
      }
    }
    Map<String, Integer> nextIndex = new HashMap<>(n * 2);
    for (int i = 0; i < n; i++) {
      nextIndex.put(nextIds[i], i);
    }
    return new ItemTable(popularity, d, n, nextIds, nextIndex, ItemTiles.of(vectors, n, d), p, c, s, version,
        nowMs);
  }

  /** The ids, in index order (for tests). */
  List<String> ids() {
    return new ArrayList<>(Arrays.asList(ids).subList(0, count));
  }
}
