package io.relstream.core.accel;

/**
 * An immutable item table in tiles, the layout {@link TileScan} scores from: tile t holds items
 * tT .. tT + T - 1 as panels of {@value #PANEL} items, each panel dimension-major: coordinate d of item
 * tT + j lies at {@code ((j / P) * dim + d) * P + j % P} (P = {@value #PANEL}). Scoring a panel is then a sum
 * over d of (P item lanes) x (one query coordinate), with no horizontal sums, and the scan reads the
 * table strictly sequentially (one prefetchable stream, as a GEMM reads a packed panel). The last tile
 * is padded with zeros.
 *
 * <p><b>Updates are copy-on-write per tile</b> ({@link #withRows}): the new table shares every tile it
 * did not touch and owns fresh copies of the touched ones, so a reader holding a table sees every row
 * either before or after an update, never a mix, with no lock; a writer pays O(touched tiles x T x dim).
 *
 * <p>T is a multiple of 64 chosen so a tile holds about 128 KiB (it stays in L2 while every query of a
 * batch is scored against it); at least 64.
 */
public final class ItemTiles {
  /** Items per panel (the width of one register block of the scan). */
  static final int PANEL = 32;
  private final int count;
  private final int dim;
  private final int tile;
  private final float[][] tiles;

  /** Offset of coordinate d of item j of a tile. */
  private int at(int j, int d) {
    return ((j / PANEL) * dim + d) * PANEL + j % PANEL;
  }

  private ItemTiles(int count, int dim, int tile, float[][] tiles) {
    this.count = count;
    this.dim = dim;
    this.tile = tile;
    this.tiles = tiles;
  }

  /** Tile length for rows of {@code dim} floats. */
  static int tileFor(int dim) {
    return Math.max(64, (32768 / Math.max(1, dim)) / 64 * 64);
  }

  /**
   * The table of {@code count} rows of {@code dim} floats taken from a row-major array
   * ({@code rows[i * dim + d]}); the array is copied.
   */
  public static ItemTiles of(float[] rows, int count, int dim) {
    if (dim < 1 || count < 0) {
      throw new IllegalArgumentException("need dim >= 1 and count >= 0: " + count + " x " + dim);
    }
    return new ItemTiles(count, dim, tileFor(dim), new float[0][]).fill(rows);
  }

  private ItemTiles fill(float[] rows) {
    if (rows.length < (long) count * dim) {
      throw new IllegalArgumentException("rows hold " + rows.length + " floats, need " + count + " x " + dim
          + " (dim >= 1)");
    }
    float[][] filled = new float[(count + tile - 1) / tile][];
    for (int t = 0; t < filled.length; t++) {
      float[] dst = new float[tile * dim];
      int first = t * tile;
      int m = Math.min(tile, count - first);
      for (int j = 0; j < m; j++) {
        int src = (first + j) * dim;
        for (int d = 0; d < dim; d++) {
          dst[at(j, d)] = rows[src + d];
        }
      }
      filled[t] = dst;
    }
    return new ItemTiles(count, dim, tile, filled);
  }

  /** An empty table of dimension {@code dim}. */
  public static ItemTiles empty(int dim) {
    return of(new float[0], 0, dim);
  }

  /**
   * A table equal to this one with row {@code indices[r]} replaced by {@code rows[r * dim ..]}; this
   * table is unchanged. Later entries for the same index win.
   */
  public ItemTiles withRows(int[] indices, float[] rows) {
    if (rows.length < (long) indices.length * dim) {
      throw new IllegalArgumentException("rows hold " + rows.length + " floats, need " + indices.length + " x " + dim);
    }
    float[][] next = tiles.clone();
    boolean[] copied = new boolean[tiles.length];
    for (int r = 0; r < indices.length; r++) {
      int i = indices[r];
      if (i < 0 || i >= count) {
        throw new IndexOutOfBoundsException("row " + i + " outside the table (" + count + " rows)");
      }
      int t = i / tile;
      if (!copied[t]) {
        next[t] = next[t].clone();
        copied[t] = true;
      }
      float[] dst = next[t];
      int j = i - t * tile;
      for (int d = 0; d < dim; d++) {
        dst[at(j, d)] = rows[r * dim + d];
      }
    }
    return new ItemTiles(count, dim, tile, next);
  }

  public int count() {
    return count;
  }

  public int dim() {
    return dim;
  }

  /** Items per tile (T). */
  public int tileSize() {
    return tile;
  }

  int tileCount() {
    return tiles.length;
  }

  float[] tile(int t) {
    return tiles[t];
  }

  /** Row {@code i} into {@code out[off .. off + dim)}. */
  public void row(int i, float[] out, int off) {
    float[] src = tiles[i / tile];
    int j = i % tile;
    for (int d = 0; d < dim; d++) {
      out[off + d] = src[at(j, d)];
    }
  }

  /** Row {@code i}, a fresh array. */
  public float[] row(int i) {
    float[] out = new float[dim];
    row(i, out, 0);
    return out;
  }

  /**
   * q &middot; row i summed in order over d ({@code s += q[d] * x[d]}): the same bits as the reference
   * dot and as {@link TileScan}'s scores.
   */
  public float dot(int i, float[] q) {
    float[] src = tiles[i / tile];
    int j = i % tile;
    float s = 0f;
    for (int d = 0; d < dim; d++) {
      s += q[d] * src[at(j, d)];
    }
    return s;
  }
}
