package io.relstream.core.accel;

import io.relstream.core.model.FactorModel;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The fast plain-Java top-k: same items, order and score bits as {@link ScalarTopK}.
 *
 * <p><b>Layout.</b> At construction and on {@link #refresh()} the item table is copied into tiles of
 * T items stored dimension-major: tile t holds q<sub>tT + j</sub>[d] at {@code d * T + j}. Scoring a
 * tile for one user is then {@code acc[j] += p[d] * tile[d * T + j]} for d = 0..dim-1, an axpy over j
 * that C2 vectorises with no reassociation, so every score is the same sequential sum over d as the
 * reference. T is chosen so a tile (T x dim floats) stays in L2 while every user of the batch is
 * scored against it: the item table streams from memory once per call, whatever the batch size.
 *
 * <p>With the Vector API present ({@link Accel#vectorUnavailable()} null) the axpy is an explicit
 * vector loop with the same per-element float operations (C2 leaves the loop scalar: acc and the tile
 * are both float arrays that it cannot prove distinct), so the bits do not change.
 *
 * <p><b>Threads.</b> Tiles are split into {@code threads} contiguous ranges; each thread keeps its own
 * heaps per user and the heaps are merged at the end (the order is total, so the result does not depend
 * on the split).
 */
final class JavaTopK implements TopKScorer {
  private final FactorModel model;
  private final int threads;
  private final int tile;
  private final ExecutorService pool;
  /** Use the Vector API axpy ({@link VectorRows#axpy}: same bits as the loop, which C2 leaves scalar). */
  private final boolean vector = Accel.vectorUnavailable() == null;
  private float[][] tiles;

  JavaTopK(FactorModel model, int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1: " + threads);
    }
    this.model = model;
    this.threads = threads;
    // ~128 KiB per tile, a multiple of 16 items, at least 16
    this.tile = Math.max(16, (32768 / model.dim) / 16 * 16);
    this.pool = threads > 1 ? Executors.newFixedThreadPool(threads - 1, r -> {
      Thread t = new Thread(r, "relstream-topk");
      t.setDaemon(true);
      return t;
    }) : null;
    refresh();
  }

  @Override
  public void refresh() {
    int n = model.numItems;
    int dim = model.dim;
    int count = (n + tile - 1) / tile;
    float[][] next = tiles != null && tiles.length == count ? tiles : new float[count][tile * dim];
    float[] q = model.itemFactors;
    for (int t = 0; t < count; t++) {
      float[] dst = next[t];
      int first = t * tile;
      int m = Math.min(tile, n - first);
      for (int j = 0; j < m; j++) {
        int src = (first + j) * dim;
        for (int d = 0; d < dim; d++) {
          dst[d * tile + j] = q[src + d];
        }
      }
    }
    tiles = next;
  }

  @Override
  public void topK(int[] users, int k, SeenItems seen, int[] outItems, float[] outScores) {
    TopKHeap.checkArgs(model, users, k, seen, outItems, outScores);
    int b = users.length;
    if (b == 0) {
      return;
    }
    int count = tiles.length;
    TopKHeap.scanInParts(pool, threads, count, b, k, (from, to, hs, hi) -> scan(users, k, seen, from, to, hs, hi),
        outItems, outScores);
  }

  /** Tiles [from, to) for every user of the batch into heaps hs/hi (one of k per user). */
  private void scan(int[] users, int k, SeenItems seen, int from, int to, float[] hs, int[] hi) {
    int b = users.length;
    int dim = model.dim;
    int n = model.numItems;
    int tileLen = tile;
    float[] uvec = new float[b * dim];
    for (int u = 0; u < b; u++) {
      System.arraycopy(model.userFactors, users[u] * dim, uvec, u * dim, dim);
      TopKHeap.init(hs, hi, u * k, k);
    }
    int[] sp = new int[b];
    int[] se = new int[b];
    int[] seenItems = seen == null ? null : seen.items();
    for (int u = 0; u < b; u++) {
      if (seen != null) {
        se[u] = seen.start()[u + 1];
        sp[u] = TopKHeap.lowerBound(seenItems, seen.start()[u], se[u], from * tileLen);
      }
    }
    float[] acc = new float[tileLen];
    for (int t = from; t < to; t++) {
      float[] tl = tiles[t];
      int first = t * tileLen;
      int m = Math.min(tileLen, n - first);
      for (int u = 0; u < b; u++) {
        java.util.Arrays.fill(acc, 0f);
        int uo = u * dim;
        for (int d = 0; d < dim; d++) {
          axpy(acc, uvec[uo + d], tl, d * tileLen, tileLen);
        }
        int base = u * k;
        float rootS = hs[base];
        int rootI = hi[base];
        int p = sp[u];
        int pe = se[u];
        for (int j = 0; j < m; j++) {
          float s = acc[j];
          int item = first + j;
          if (s > rootS || (s == rootS && item < rootI)) {
            while (p < pe && seenItems[p] < item) {
              p++;
            }
            if (p < pe && seenItems[p] == item) {
              continue;
            }
            TopKHeap.replaceRoot(hs, hi, base, k, s, item);
            rootS = hs[base];
            rootI = hi[base];
          }
        }
        // advance the seen pointer past this tile (it is only moved lazily above)
        while (p < pe && seenItems[p] < first + m) {
          p++;
        }
        sp[u] = p;
      }
    }
  }

  private void axpy(float[] acc, float a, float[] x, int off, int len) {
    if (vector) {
      VectorRows.axpy(acc, a, x, off, len);
      return;
    }
    for (int j = 0; j < len; j++) {
      acc[j] += a * x[off + j];
    }
  }

  @Override
  public String path() {
    return "java";
  }

  @Override
  public String device() {
    return "java (tiled" + (vector ? ", vector API" : "") + ", " + threads
        + (threads == 1 ? " thread)" : " threads)");
  }

  @Override
  public boolean ranOnOpenCL() {
    return false;
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }
}
