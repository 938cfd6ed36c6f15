package io.relstream.serving;

import io.relstream.core.accel.TileScan;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/**
 * Full scans of the item table for many queries at once. Requests put their queries on a queue; one
 * dispatcher thread takes every query waiting (up to {@code maxBatch}) that was made against the same
 * table snapshot and scores them in one blocked scan ({@link TileScan#topK}: the table streams from
 * memory once for the whole batch), so under load many concurrent requests cost little more than one,
 * and a request never waits for more than the scan in progress plus its own. Queries of different k in
 * one batch are scored with the largest k and cut (the order is total, so the first k of the top k' are
 * the top k).
 */
final class Scorer implements AutoCloseable {
  /** The k best of one query: items (indices of its snapshot) and scores, best first. */
  record Ranked(int[] items, float[] scores) {}

  private record Job(ItemTable table, float[] query, int k, int[] excluded, CompletableFuture<Ranked> done) {}

  private final TileScan scan;
  private final String reason;
  private final int maxBatch;
  private final LinkedBlockingQueue<Job> queue = new LinkedBlockingQueue<>();
  private final Thread dispatcher;
  private final LongAdder scans = new LongAdder();
  private final LongAdder scanned = new LongAdder();
  private volatile boolean closed;

  /** @param reason why this path (the start-up measurement), or null when it was not measured */
  Scorer(TileScan scan, String reason, int maxBatch) {
    this.scan = scan;
    this.reason = reason == null ? "not measured (fixed path)" : reason;
    this.maxBatch = maxBatch;
    this.dispatcher = new Thread(this::run, "serving-scorer");
    dispatcher.setDaemon(true);
    dispatcher.start();
  }

  /** A scorer on one thread with the Vector API when present (tests; serving selects by measurement). */
  static Scorer basic() {
    return new Scorer(new TileScan(1, io.relstream.core.accel.Accel.vectorUnavailable() == null), null, 64);
  }

  /**
   * The scorer on the fastest scan path measured for {@code table}'s shape (at least 65,536 items; d = 64
   * while the table is empty), {@code budgetMillis} per candidate.
   */
  static Scorer selected(ItemTable table, long budgetMillis) {
    return selected(Math.max(table.count(), 1 << 16), table.dim() == 0 ? 64 : table.dim(), budgetMillis);
  }

  /** The scorer on the fastest scan path measured for {@code items} x {@code dim}. */
  static Scorer selected(int items, int dim, long budgetMillis) {
    TileScan.Choice c = TileScan.select(items, dim, budgetMillis);
    return new Scorer(c.create(), c.reason(), 256);
  }

  /** Why this path: the measured rates and the dropped candidates. */
  String reason() {
    return reason;
  }

  TileScan scan() {
    return scan;
  }

  /** Blocked scans run so far, and queries they scored (their ratio is the mean batch). */
  long scans() {
    return scans.sum();
  }

  long scannedQueries() {
    return scanned.sum();
  }

  /**
   * The top k over every item of {@code table} of each query, excluding {@code excluded[b]} (ascending
   * indices of the table) for query b. Blocks until scored.
   */
  Ranked[] topK(ItemTable table, float[][] queries, int k, int[][] excluded) {
    List<CompletableFuture<Ranked>> futures = new ArrayList<>(queries.length);
    for (int b = 0; b < queries.length; b++) {
      CompletableFuture<Ranked> f = new CompletableFuture<>();
      futures.add(f);
      if (closed) {
        throw new IllegalStateException("the scorer is closed");
      }
      queue.add(new Job(table, queries[b], k, excluded[b], f));
    }
    Ranked[] out = new Ranked[queries.length];
    for (int b = 0; b < out.length; b++) {
      try {
        out[b] = futures.get(b).get(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while scoring", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("scoring failed: " + e.getCause(), e.getCause());
      } catch (TimeoutException e) {
        throw new IllegalStateException("scoring did not finish in 60 s", e);
      }
    }
    return out;
  }

  /** The top k among {@code candidates} (ascending, without exclusions) of one query, on the caller's thread. */
  Ranked topKOf(ItemTable table, float[] query, int k, int[] candidates) {
    int[] items = new int[k];
    float[] scores = new float[k];
    scan.topKOf(table.tiles(), query, 1, k, candidates, items, scores);
    return trim(items, scores, 0, k);
  }

  private static Ranked trim(int[] items, float[] scores, int from, int k) {
    int n = 0;
    while (n < k && items[from + n] >= 0) {
      n++;
    }
    int[] it = new int[n];
    float[] sc = new float[n];
    System.arraycopy(items, from, it, 0, n);
    System.arraycopy(scores, from, sc, 0, n);
    return new Ranked(it, sc);
  }

  private void run() {
    ArrayDeque<Job> later = new ArrayDeque<>();
    List<Job> batch = new ArrayList<>();
    while (!closed) {
      try {
        Job first = later.isEmpty() ? queue.poll(200, TimeUnit.MILLISECONDS) : later.poll();
        if (first == null) {
          continue;
        }
        batch.clear();
        batch.add(first);
        int kmax = first.k();
        // waiting jobs of the same snapshot join; others wait for the next scan, in order
        int deferred = later.size();
        for (int j = 0; j < deferred && batch.size() < maxBatch; j++) {
          Job job = later.poll();
          if (job.table() == first.table()) {
            batch.add(job);
            kmax = Math.max(kmax, job.k());
          } else {
            later.add(job);
          }
        }
        Job job;
        while (batch.size() < maxBatch && (job = queue.poll()) != null) {
          if (job.table() == first.table()) {
            batch.add(job);
            kmax = Math.max(kmax, job.k());
          } else {
            later.add(job);
          }
        }
        score(first.table(), batch, kmax);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void score(ItemTable table, List<Job> batch, int k) {
    int b = batch.size();
    int dim = table.dim();
    try {
      float[] q = new float[b * dim];
      int[][] ex = new int[b][];
      for (int j = 0; j < b; j++) {
        System.arraycopy(batch.get(j).query(), 0, q, j * dim, dim);
        ex[j] = batch.get(j).excluded();
      }
      int[] items = new int[b * k];
      float[] scores = new float[b * k];
      scan.topK(table.tiles(), q, b, k, ex, items, scores);
      scans.increment();
      scanned.add(b);
      for (int j = 0; j < b; j++) {
        batch.get(j).done().complete(trim(items, scores, j * k, batch.get(j).k()));
      }
    } catch (RuntimeException | Error e) {
      for (Job j : batch) {
        j.done().completeExceptionally(e);
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    dispatcher.interrupt();
    try {
      dispatcher.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Job j;
    while ((j = queue.poll()) != null) {
      j.done().completeExceptionally(new IllegalStateException("the scorer is closed"));
    }
    scan.close();
  }
}
