package io.relstream.core.accel;

import io.relstream.core.kernel.Measured;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Exact top-k of arbitrary query vectors (a user's factors read at request time) against an
 * {@link ItemTiles} table, with per-query exclusions applied during the scan: the serving kernel.
 *
 * <p><b>Contract.</b> For query b the k items with the largest s = q<sub>b</sub>&middot;x<sub>i</sub>
 * under the total order of {@link TopKScorer} (s descending, item ascending), never an excluded item nor
 * a NaN score; scores are the sequential sum over d, so they have the bits of {@link ScalarTopK} and of
 * {@link io.relstream.core.topk.TopK#byDot}, and every path returns the same items in the same order.
 * Output for query b at {@code outItems[b * k + j]}; when fewer than k items are eligible the remaining
 * slots hold item -1 and score -&infin;.
 *
 * <p><b>Batches are blocked matrix products.</b> Tile by tile (each about 128 KiB, in L2), four queries at
 * a time are scored together ({@link VectorScan#block4}): the table streams from memory once per call
 * whatever the batch size, and inside a tile each loaded item vector serves four queries. Tiles are
 * split over {@code threads} threads (the calling thread is one), each with its own heaps, merged at the
 * end (the order is total, so the split does not change the result). Without the Vector API the same
 * loops run scalar (same bits, slower).
 *
 * <p>A scan of a candidate list ({@link #topKOf}) scores only those items (a re-ranking call).
 * Thread-safe: calls may run concurrently (each uses its own buffers); {@link #close()} stops the pool.
 */
public final class TileScan implements AutoCloseable {
  private final int threads;
  private final boolean vector;
  private final ExecutorService pool;

  /**
   * @param threads threads per call, &gt;= 1
   * @param vector use the Vector API kernels; requires {@link Accel#vectorUnavailable()} to be null
   */
  public TileScan(int threads, boolean vector) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1: " + threads);
    }
    if (vector && Accel.vectorUnavailable() != null) {
      throw new IllegalArgumentException("the Vector API is unavailable: " + Accel.vectorUnavailable());
    }
    this.threads = threads;
    this.vector = vector;
    this.pool = threads > 1 ? Executors.newFixedThreadPool(threads - 1, r -> {
      Thread t = new Thread(r, "relstream-tilescan");
      t.setDaemon(true);
      return t;
    }) : null;
  }

  /** The path: "java-tiled-vector" or "java-tiled-scalar". */
  public String path() {
    return vector ? "java-tiled-vector" : "java-tiled-scalar";
  }

  public int threads() {
    return threads;
  }

  /** "java (tiled, blocked 4 queries, vector API, 2 threads)". */
  public String device() {
    return "java (tiled, blocked 4 queries" + (vector ? ", vector API " + VectorScan.lanes() * 32 + "-bit" : ", scalar")
        + ", " + threads + (threads == 1 ? " thread)" : " threads)");
  }

  /**
   * Top k of {@code b} queries (row-major in {@code queries}, {@code b * dim} floats) over every item.
   *
   * @param excluded per query an ascending list of item indices never returned, or null (for all or one)
   */
  public void topK(ItemTiles t, float[] queries, int b, int k, int[][] excluded, int[] outItems, float[] outScores) {
    check(t, queries, b, k, excluded, outItems, outScores);
    if (b == 0) {
      return;
    }
    int count = t.tileCount();
    if (count == 0) {
      for (int u = 0; u < b; u++) {
        TopKHeap.init(outScores, outItems, u * k, k);
        emptyOut(outItems, outScores, u * k, k);
      }
      return;
    }
    TopKHeap.scanInParts(pool, threads, count, b, k, (from, to, hs, hi) -> scan(t, queries, b, k, excluded, from, to,
        hs, hi), outItems, outScores);
  }

  /**
   * Top k of {@code b} queries among {@code candidates} only (ascending, distinct item indices; the
   * caller has removed what it excludes).
   */
  public void topKOf(ItemTiles t, float[] queries, int b, int k, int[] candidates, int[] outItems,
      float[] outScores) {
    check(t, queries, b, k, null, outItems, outScores);
    float[] q = new float[t.dim()];
    for (int u = 0; u < b; u++) {
      System.arraycopy(queries, u * t.dim(), q, 0, t.dim());
      TopKHeap.init(outScores, outItems, u * k, k);
      for (int i : candidates) {
        if (i < 0 || i >= t.count()) {
          throw new IndexOutOfBoundsException("candidate " + i + " outside the table (" + t.count() + " rows)");
        }
        TopKHeap.offer(outScores, outItems, u * k, k, t.dot(i, q), i);
      }
      float[] hs = Arrays.copyOfRange(outScores, u * k, u * k + k);
      int[] hi = Arrays.copyOfRange(outItems, u * k, u * k + k);
      TopKHeap.drainSorted(hs, hi, 0, k, outItems, outScores, u * k);
    }
  }

  /**
   * The k best precomputed scores ({@code chunks[i / chunk][i % chunk]} for item i &lt; count; the same
   * order, NaN rule and output layout as {@link #topK}): over every item but {@code excluded} (ascending,
   * or null) when {@code candidates} is null, else over the candidates only (ascending, distinct; the
   * caller removed what it excludes). A ranking by a score column, such as a popularity fallback.
   */
  public static void topKOfScores(float[][] chunks, int chunk, int count, int k, int[] excluded,
      int[] candidates, int[] outItems, float[] outScores) {
    if (k < 1 || outItems.length < k || outScores.length < k) {
      throw new IllegalArgumentException("k must be >= 1 and fit the output: " + k);
    }
    float[] hs = new float[k];
    int[] hi = new int[k];
    TopKHeap.init(hs, hi, 0, k);
    if (candidates != null) {
      for (int i : candidates) {
        if (i < 0 || i >= count) {
          throw new IndexOutOfBoundsException("candidate " + i + " outside the table (" + count + " rows)");
        }
        TopKHeap.offer(hs, hi, 0, k, chunks[i / chunk][i % chunk], i);
      }
    } else {
      int p = 0;
      int pe = excluded == null ? 0 : excluded.length;
      for (int i = 0; i < count; i++) {
        float s = chunks[i / chunk][i % chunk];
        if (TopKHeap.better(s, i, hs[0], hi[0])) {
          while (p < pe && excluded[p] < i) {
            p++;
          }
          if (p < pe && excluded[p] == i) {
            continue;
          }
          TopKHeap.replaceRoot(hs, hi, 0, k, s, i);
        }
      }
    }
    TopKHeap.drainSorted(hs, hi, 0, k, outItems, outScores, 0);
  }

  private static void emptyOut(int[] outItems, float[] outScores, int base, int k) {
    for (int j = 0; j < k; j++) {
      outItems[base + j] = -1;
      outScores[base + j] = Float.NEGATIVE_INFINITY;
    }
  }

  private static void check(ItemTiles t, float[] queries, int b, int k, int[][] excluded, int[] outItems,
      float[] outScores) {
    if (k < 1) {
      throw new IllegalArgumentException("k must be >= 1: " + k);
    }
    if (b < 0 || queries.length < (long) b * t.dim()) {
      throw new IllegalArgumentException("queries hold " + queries.length + " floats, need " + b + " x " + t.dim());
    }
    if (outItems.length < (long) b * k || outScores.length < (long) b * k) {
      throw new IllegalArgumentException("output arrays hold " + Math.min(outItems.length, outScores.length)
          + " entries, need " + b + " x " + k);
    }
    if (excluded != null && excluded.length < b) {
      throw new IllegalArgumentException("exclusions for " + excluded.length + " queries, the batch has " + b);
    }
  }


  /** Tiles [from, to) for every query into heaps hs/hi (k per query). */
  private void scan(ItemTiles t, float[] q, int b, int k, int[][] excluded, int from, int to, float[] hs,
      int[] hi) {
    int dim = t.dim();
    int n = t.count();
    int tile = t.tileSize();
    float[] sc = new float[4 * tile];
    int[] sp = new int[b];
    for (int u = 0; u < b; u++) {
      TopKHeap.init(hs, hi, u * k, k);
      int[] ex = excluded == null ? null : excluded[u];
      if (ex != null) {
        sp[u] = TopKHeap.lowerBound(ex, 0, ex.length, from * tile);
      }
    }
    for (int ti = from; ti < to; ti++) {
      float[] x = t.tile(ti);
      int first = ti * tile;
      int m = Math.min(tile, n - first);
      for (int u0 = 0; u0 < b; u0 += 4) {
        int nb = Math.min(4, b - u0);
        if (vector && nb == 4) {
          VectorScan.block4(x, tile, dim, q, u0 * dim, (u0 + 1) * dim, (u0 + 2) * dim, (u0 + 3) * dim, sc);
        } else {
          for (int v = 0; v < nb; v++) {
            if (vector) {
              VectorScan.block1(x, tile, dim, q, (u0 + v) * dim, sc, v * tile);
            } else {
              scalarScores(x, tile, dim, q, (u0 + v) * dim, sc, v * tile);
            }
          }
        }
        for (int v = 0; v < nb; v++) {
          int u = u0 + v;
          int[] ex = excluded == null ? null : excluded[u];
          sp[u] = select(sc, v * tile, m, first, hs, hi, u * k, k, ex, sp[u]);
        }
      }
    }
  }

  private static void scalarScores(float[] x, int tile, int dim, float[] q, int qo, float[] sc, int off) {
    final int pw = ItemTiles.PANEL;
    Arrays.fill(sc, off, off + tile, 0f);
    for (int p = 0; p < tile; p += pw) {
      int base = p * dim;
      for (int d = 0; d < dim; d++) {
        float a = q[qo + d];
        int xo = base + d * pw;
        for (int j = 0; j < pw; j++) {
          sc[off + p + j] += x[xo + j] * a;
        }
      }
    }
  }

  /**
   * Offers sc[off .. off + m) (items first ..) to the heap at base, skipping excluded items (ex from
   * position p on); returns the advanced position.
   */
  private int select(float[] sc, int off, int m, int first, float[] hs, int[] hi, int base, int k, int[] ex,
      int p) {
    int pe = ex == null ? 0 : ex.length;
    int step = vector ? 4 * VectorScan.lanes() : m;
    for (int j0 = 0; j0 < m; j0 += step) {
      int end = Math.min(m, j0 + step);
      if (vector && end - j0 == step && !VectorScan.anyAtLeast(sc, off + j0, step, hs[base])) {
        continue;
      }
      for (int j = j0; j < end; j++) {
        float s = sc[off + j];
        int item = first + j;
        if (s > hs[base] || (s == hs[base] && item < hi[base])) {
          while (p < pe && ex[p] < item) {
            p++;
          }
          if (p < pe && ex[p] == item) {
            continue;
          }
          TopKHeap.replaceRoot(hs, hi, base, k, s, item);
        }
      }
    }
    while (p < pe && ex[p] < first + m) {
      p++;
    }
    return p;
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }

  /**
   * The chosen scan path.
   *
   * @param path "java-tiled-vector" or "java-tiled-scalar"
   * @param threads threads per call
   * @param reason the measured rates and every dropped candidate with its reason
   * @param rates queries/s per candidate, in measurement order
   */
  public record Choice(String path, int threads, String reason, Map<String, Double> rates) {
    /** A scan on this path. */
    public TileScan create() {
      return new TileScan(threads, path.equals("java-tiled-vector"));
    }
  }

  /**
   * Measures the candidates present (the Vector API kernels and the scalar loops, on one thread and on
   * every core) on a synthetic table of the real shape (at most 262,144 items of {@code dim}), top 10 of
   * one query and of a batch of 8, for about {@code budgetMillis} each, and returns the fastest (queries/s).
   * OpenCL is not a candidate: the OpenCL scorer scores the user rows of a resident {@code FactorModel}, not
   * query vectors read per request (named in the reason).
   */
  public static Choice select(int numItems, int dim, long budgetMillis) {
    int items = Math.max(1, Math.min(numItems, 1 << 18));
    SplittableRandom rng = new SplittableRandom(17);
    float[] rows = new float[items * dim];
    for (int j = 0; j < rows.length; j++) {
      rows[j] = (float) (rng.nextDouble() - 0.5);
    }
    ItemTiles t = ItemTiles.of(rows, items, dim);
    float[] queries = new float[8 * dim];
    for (int j = 0; j < queries.length; j++) {
      queries[j] = (float) (rng.nextDouble() - 0.5);
    }
    int cores = Runtime.getRuntime().availableProcessors();
    List<String> dropped = new ArrayList<>();
    if (Accel.vectorUnavailable() != null) {
      dropped.add("java-tiled-vector: " + Accel.vectorUnavailable());
    }
    dropped.add("opencl: no query-vector kernel (the OpenCL scorer ranks a resident FactorModel's users)");
    Map<String, Double> rates = new LinkedHashMap<>();
    // two rounds over every candidate, the second one kept: the first warms the JIT for all of them (the
    // candidates share the selection code, so a single round favoured whichever ran later)
    for (int round = 0; round < 2; round++) {
    for (boolean v : Accel.vectorUnavailable() == null ? new boolean[] {true, false} : new boolean[] {false}) {
      for (int th : cores > 1 ? new int[] {cores, 1} : new int[] {1}) {
        try (TileScan s = new TileScan(th, v)) {
          int[] oi = new int[8 * 10];
          float[] os = new float[8 * 10];
          double one = Measured.rate(() -> s.topK(t, queries, 1, 10, null, oi, os), 1, budgetMillis);
          double eight = Measured.rate(() -> s.topK(t, queries, 8, 10, null, oi, os), 8, budgetMillis);
          // the harmonic mean of the two: a path must be good alone and in batches
          rates.put(s.path() + ":" + th, 2 / (1 / one + 1 / eight));
        }
      }
    }
    }
    String best = Measured.fastest(rates);
    int colon = best.lastIndexOf(':');
    Choice c = new Choice(best.substring(0, colon), Integer.parseInt(best.substring(colon + 1)),
        Measured.reason(rates, dropped, "queries/s"), Map.copyOf(rates));
    System.getLogger("io.relstream.core.accel").log(System.Logger.Level.INFO,
        "kernel scan: {0} on {1} threads ({2})", c.path(), c.threads(), c.reason());
    return c;
  }
}
