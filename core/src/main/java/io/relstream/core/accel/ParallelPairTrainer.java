package io.relstream.core.accel;

import io.relstream.core.kernel.Batch;
import io.relstream.core.kernel.Objective;
import io.relstream.core.model.FactorModel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The multi-threaded plain-Java trainer: pipelined blocks. The batch is cut into blocks of
 * {@link JavaPairTrainer#BLOCK} consecutive pairs, dealt round-robin to T threads (block b to thread
 * b mod T), and each thread applies its blocks in order with the one-thread path
 * ({@link JavaPairTrainer#range}). Before block b a thread waits until
 * <ul>
 *   <li>every block up to b - T has finished, and</li>
 *   <li>each of the blocks b - T + 1 .. b - 1 that shares a user or an item with block b has finished.</li>
 * </ul>
 * So for every row, the blocks that touch it run one after another in batch order, and within a block
 * the one-thread path keeps the batch order: the result is the sequential one (bit-identical to the
 * reference with the exact dot, within float rounding with the Vector API's). A thread waits by spinning
 * (then yielding) on the other threads' progress counters, whose volatile writes publish the rows.
 *
 * <p>Why this and not the OpenCL path's rounds ({@link RoundScheduler}): scheduling rounds is one more
 * pass over the batch with random accesses, on one thread, and it took about half of the calling
 * thread's time at d = 64 on 1M x 100k tables, so two threads on rounds were no faster than one thread.
 * Here the only extra work is one hashed comparison of two blocks when the earlier one is still running.
 * On uniformly random pairs neighbouring blocks seldom share a row (with 100k items, about 1% of block
 * pairs), so the threads rarely wait; on a batch that hammers a few rows they wait often and the
 * trainer degrades towards one thread, still exact. Measured side by side on the 2-core test machine
 * (1M x 100k, d = 64, batches of 65,536, SGD, Vector API, medians of 7 in one JVM): one thread
 * 8.96 M/s, rounds on 2 threads 9.05, a first version of this pipeline on 2 threads 15.0. In
 * {@code bench kernels --quick} (medians of 3 runs) this class did 12.2 M/s against 9.3 for one thread,
 * and 8.5 against 5.5 in a set of runs while the machine was slower.
 *
 * <p>Batches smaller than {@code minParallel} pairs run on the calling thread.
 */
final class ParallelPairTrainer implements PairTrainer {
  /** Batches with fewer pairs run on the calling thread. */
  static final int MIN_PARALLEL = 2048;
  /** Spins before a waiting thread starts yielding its core. */
  private static final int SPINS = 1 << 12;
  /** Ints between two threads' progress counters: one counter per 64-byte line. */
  private static final int PAD = 16;

  private final FactorModel model;
  private final JavaPairTrainer[] workers;
  private final ExecutorService pool;
  private final int minParallel;
  private final boolean vector;
  /** next[t * PAD]: the lowest block of thread t not finished yet (thread t runs t, t + T, ...). */
  private final AtomicIntegerArray next;
  /** Per thread (at t * PAD): waits for a running block sharing a row, and for a lagging thread. */
  private final long[] rowWaits;
  private final long[] turnWaits;
  private volatile boolean failed;
  /** Test hook: called with the block index just before a thread applies it; null in production. */
  java.util.function.IntConsumer beforeBlock;

  ParallelPairTrainer(FactorModel model, RowAdamState state, StepRule rule, Objective objective,
      boolean vector, int threads, int minParallel) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1: " + threads);
    }
    this.model = model;
    this.vector = vector;
    this.minParallel = Math.max(1, minParallel);
    workers = new JavaPairTrainer[threads];
    for (int t = 0; t < threads; t++) {
      workers[t] = new JavaPairTrainer(model, state, rule, objective, vector);
    }
    next = new AtomicIntegerArray(threads * PAD);
    rowWaits = new long[threads * PAD];
    turnWaits = new long[threads * PAD];
    pool = threads > 1 ? Executors.newFixedThreadPool(threads - 1, r -> {
      Thread t = new Thread(r, "relstream-train");
      t.setDaemon(true);
      return t;
    }) : null;
  }

  @Override
  public int train(Batch batch) {
    PairRule.checkIndices(batch, model);
    int n = batch.size();
    int threads = workers.length;
    if (n < minParallel || pool == null) {
      return workers[0].range(batch.users, batch.items, batch.labels, batch.theta, 0, n);
    }
    int blocks = (n + JavaPairTrainer.BLOCK - 1) / JavaPairTrainer.BLOCK;
    for (int t = 0; t < threads; t++) {
      next.set(t * PAD, t);
    }
    failed = false;
    List<Future<Integer>> pending = new ArrayList<>(threads - 1);
    for (int t = 1; t < threads; t++) {
      int thread = t;
      pending.add(pool.submit(() -> run(batch, thread, blocks)));
    }
    int applied = 0;
    Throwable failure = null;
    try {
      applied += run(batch, 0, blocks);
    } catch (RuntimeException | Error e) {
      failure = e;
    }
    // always wait for every thread, so that none still writes the tables after train returns
    for (Future<Integer> f : pending) {
      try {
        applied += f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failed = true;
        failure = failure == null ? e : failure;
      } catch (ExecutionException e) {
        failure = failure == null ? e.getCause() : failure;
      }
    }
    if (failure != null) {
      throw new IllegalStateException("training thread failed: " + failure, failure);
    }
    return applied;
  }

  /** Thread t's share: blocks t, t + T, ... of the batch. */
  private int run(Batch batch, int t, int blocks) {
    int threads = workers.length;
    JavaPairTrainer w = workers[t];
    int[] users = batch.users;
    int[] items = batch.items;
    int n = batch.size();
    int block = JavaPairTrainer.BLOCK;
    int applied = 0;
    try {
      for (int b = t; b < blocks; b += threads) {
        // every block up to b - T: this thread's own are done; wait for the others' latest ones
        for (int j = Math.max(0, b - 2 * threads + 1); j <= b - threads; j++) {
          if (j % threads != t) {
            await(j, turnWaits, t);
          }
        }
        // the blocks in between may still run: wait only for those sharing a row with block b
        int from = b * block;
        int to = Math.min(n, from + block);
        for (int j = Math.max(0, b - threads + 1); j < b; j++) {
          if (!done(j) && !w.sharesNoRow(users, items, j * block, Math.min(n, j * block + block), from, to)) {
            await(j, rowWaits, t);
          }
        }
        if (beforeBlock != null) {
          beforeBlock.accept(b);
        }
        applied += w.range(users, items, batch.labels, batch.theta, from, to);
        next.set(t * PAD, b + threads);
      }
    } catch (RuntimeException | Error e) {
      failed = true; // releases the threads waiting on this one
      throw e;
    }
    return applied;
  }

  private boolean done(int block) {
    return next.get((block % workers.length) * PAD) > block;
  }

  private void await(int block, long[] counter, int t) {
    if (done(block)) {
      return;
    }
    counter[t * PAD]++;
    int spins = 0;
    while (!done(block)) {
      if (failed) {
        throw new IllegalStateException("another training thread failed");
      }
      if (++spins < SPINS) {
        Thread.onSpinWait();
      } else {
        Thread.yield();
      }
    }
  }

  /** How often a block waited for a running block it shares a row with, over the trainer's life. */
  long rowWaits() {
    return sum(rowWaits);
  }

  /** How often a block waited for a thread that lagged a whole turn behind, over the trainer's life. */
  long turnWaits() {
    return sum(turnWaits);
  }

  private long sum(long[] counter) {
    long sum = 0;
    for (int t = 0; t < workers.length; t++) {
      sum += counter[t * PAD];
    }
    return sum;
  }

  @Override
  public void syncToModel() {}

  @Override
  public String path() {
    return "java";
  }

  @Override
  public String device() {
    int t = workers.length;
    return "java (pipelined blocks" + (vector ? ", vector API " + VectorRows.SPECIES.vectorBitSize() + "-bit" : "")
        + ", " + t + (t == 1 ? " thread)" : " threads)");
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
