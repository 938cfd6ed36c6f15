package io.relstream.core.accel;

/**
 * Fixed-size heaps of (score, item) stored in parallel arrays at an offset, shared by the Java top-k
 * paths and the host side of the OpenCL one. The order is total: a is better than b when
 * a.score &gt; b.score, or the scores are equal and a.item &lt; b.item. The heap's root is its worst
 * entry; a heap starts full of sentinels (-&infin;, {@link #NO_ITEM}), worse than any real entry.
 */
final class TopKHeap {
  /** Item of a sentinel entry: worse than any real item of equal score. */
  static final int NO_ITEM = Integer.MAX_VALUE;

  private TopKHeap() {}

  static void init(float[] scores, int[] items, int base, int k) {
    for (int j = 0; j < k; j++) {
      scores[base + j] = Float.NEGATIVE_INFINITY;
      items[base + j] = NO_ITEM;
    }
  }

  static boolean better(float s, int item, float otherS, int otherItem) {
    return s > otherS || (s == otherS && item < otherItem);
  }

  /** Offers (s, item); keeps the k best. NaN scores are never taken. */
  static void offer(float[] scores, int[] items, int base, int k, float s, int item) {
    if (better(s, item, scores[base], items[base])) {
      replaceRoot(scores, items, base, k, s, item);
    }
  }

  /** Replaces the root (the worst entry) by (s, item) and restores the heap. */
  static void replaceRoot(float[] scores, int[] items, int base, int k, float s, int item) {
    siftDown(scores, items, base, k, 0, s, item);
  }

  private static void siftDown(float[] scores, int[] items, int base, int size, int from, float s,
      int item) {
    int pos = from;
    while (true) {
      int l = 2 * pos + 1;
      if (l >= size) {
        break;
      }
      int w = l;
      int r = l + 1;
      if (r < size && better(scores[base + l], items[base + l], scores[base + r], items[base + r])) {
        w = r; // the worse child
      }
      float cs = scores[base + w];
      int ci = items[base + w];
      if (better(s, item, cs, ci)) {
        scores[base + pos] = cs;
        items[base + pos] = ci;
        pos = w;
      } else {
        break;
      }
    }
    scores[base + pos] = s;
    items[base + pos] = item;
  }

  /**
   * Sorts the heap at {@code base} best first (heapsort, in place) and writes it to the output, with
   * sentinels as item -1 and score -&infin;.
   */
  static void drainSorted(float[] scores, int[] items, int base, int k, int[] outItems, float[] outScores,
      int outBase) {
    for (int end = k - 1; end > 0; end--) {
      float ws = scores[base];
      int wi = items[base];
      float ls = scores[base + end];
      int li = items[base + end];
      scores[base + end] = ws;
      items[base + end] = wi;
      siftDown(scores, items, base, end, 0, ls, li);
    }
    for (int j = 0; j < k; j++) {
      int it = items[base + j];
      outItems[outBase + j] = it == NO_ITEM ? -1 : it;
      outScores[outBase + j] = it == NO_ITEM ? Float.NEGATIVE_INFINITY : scores[base + j];
    }
  }

  /** Checks the common arguments of {@link TopKScorer#topK}. */
  static void checkArgs(io.relstream.core.model.FactorModel model, int[] users, int k, SeenItems seen,
      int[] outItems, float[] outScores) {
    if (k < 1) {
      throw new IllegalArgumentException("k must be >= 1: " + k);
    }
    long need = (long) users.length * k;
    if (outItems.length < need || outScores.length < need) {
      throw new IllegalArgumentException("output arrays hold " + Math.min(outItems.length, outScores.length)
          + " entries, need " + users.length + " x " + k);
    }
    if (seen != null && seen.users() != users.length) {
      throw new IllegalArgumentException("seen items describe " + seen.users() + " users, the batch has "
          + users.length);
    }
    for (int u : users) {
      if (u < 0 || u >= model.numUsers) {
        throw new IndexOutOfBoundsException("user " + u + " outside the model (" + model.numUsers + " users)");
      }
    }
  }

  /** First index in {@code items[from, to)} holding a value &gt;= key (the list is increasing). */
  static int lowerBound(int[] items, int from, int to, int key) {
    int lo = from;
    int hi = to;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (items[mid] < key) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** One part of a split scan: items of units [from, to) into heaps hs/hi ({@code k} per query). */
  interface PartScan {
    void scan(int from, int to, float[] hs, int[] hi);
  }

  /**
   * Splits {@code count} scan units (tiles) into at most {@code threads} parts, scans the parts on
   * {@code pool} (the last on the caller's thread; all on it when {@code pool} is null), merges the parts'
   * heaps and writes each query's top {@code k}, best first, to {@code outItems}/{@code outScores}.
   */
  static void scanInParts(java.util.concurrent.ExecutorService pool, int threads, int count, int b, int k,
      PartScan part, int[] outItems, float[] outScores) {
    int parts = Math.max(1, Math.min(threads, count));
    float[][] heapS = new float[parts][];
    int[][] heapI = new int[parts][];
    java.util.List<java.util.concurrent.Future<?>> pending = new java.util.ArrayList<>();
    for (int w = 0; w < parts; w++) {
      int from = (int) ((long) count * w / parts);
      int to = (int) ((long) count * (w + 1) / parts);
      heapS[w] = new float[b * k];
      heapI[w] = new int[b * k];
      float[] hs = heapS[w];
      int[] hi = heapI[w];
      Runnable job = () -> part.scan(from, to, hs, hi);
      if (w < parts - 1 && pool != null) {
        pending.add(pool.submit(job));
      } else {
        job.run();
      }
    }
    for (java.util.concurrent.Future<?> f : pending) {
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while scoring", e);
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IllegalStateException("scoring thread failed", e.getCause());
      }
    }
    float[] hs = heapS[0];
    int[] hi = heapI[0];
    for (int w = 1; w < parts; w++) {
      for (int e = 0; e < b * k; e++) {
        int item = heapI[w][e];
        if (item != NO_ITEM) {
          offer(hs, hi, (e / k) * k, k, heapS[w][e], item);
        }
      }
    }
    for (int u = 0; u < b; u++) {
      drainSorted(hs, hi, u * k, k, outItems, outScores, u * k);
    }
  }
}
