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

/**
 * The multi-threaded plain-Java trainer: the batch is cut into conflict-free rounds by
 * {@link RoundScheduler} (the OpenCL path's schedule), and each round's pairs, which touch disjoint rows,
 * are split among the threads by item ({@link RoundScheduler#part}, which keeps the threads off each
 * other's cache lines). Rounds run one after the other, so the result is the sequential one:
 * bit-identical to the reference with the exact dot, within float rounding with the Vector API's dot.
 * Each thread runs the single-thread path ({@link JavaPairTrainer#range}) on its share, without conflict
 * checks.
 *
 * <p>Why: one thread is bound by the latency of random row accesses, not by bandwidth; a second thread
 * keeps a second set of misses in flight. A round smaller than {@code minParallel} pairs runs on the
 * calling thread (the hand-off would cost more than it saves). Batches above the scheduler's capacity
 * are applied in consecutive chunks.
 */
final class ParallelPairTrainer implements PairTrainer {
  /** Rounds with fewer pairs run on the calling thread. */
  static final int MIN_PARALLEL = 2048;

  private final FactorModel model;
  private final JavaPairTrainer[] workers;
  private final RoundScheduler scheduler;
  private final ExecutorService pool;
  private final int minParallel;
  private final boolean vector;

  ParallelPairTrainer(FactorModel model, RowAdamState state, StepRule rule, Objective objective,
      boolean vector, int threads, int capacity, int minParallel) {
    this(model, state, rule, objective, vector, threads, capacity, minParallel, RoundScheduler.ITEM_RUN_SHIFT);
  }

  /** {@code runShift}: see {@link RoundScheduler#part}; the parity suite uses 0 so that tiny item sets split. */
  ParallelPairTrainer(FactorModel model, RowAdamState state, StepRule rule, Objective objective,
      boolean vector, int threads, int capacity, int minParallel, int runShift) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1: " + threads);
    }
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1: " + capacity);
    }
    this.model = model;
    this.vector = vector;
    this.minParallel = Math.max(1, minParallel);
    workers = new JavaPairTrainer[threads];
    for (int t = 0; t < threads; t++) {
      workers[t] = new JavaPairTrainer(model, state, rule, objective, vector);
    }
    scheduler = new RoundScheduler(capacity, threads, runShift);
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
    int applied = 0;
    for (int from = 0; from < n; from += scheduler.capacity()) {
      int m = Math.min(scheduler.capacity(), n - from);
      int rounds = scheduler.schedule(batch, from, m);
      for (int r = 0; r < rounds; r++) {
        applied += round(r);
      }
    }
    return applied;
  }

  /** Round r: part t (pairs whose item falls in part t) goes to thread t. */
  private int round(int r) {
    RoundScheduler s = scheduler;
    int parts = workers.length;
    int from = s.roundStart[r * parts];
    int to = s.roundStart[r * parts + parts];
    if (to - from < minParallel || pool == null) {
      return workers[0].range(s.users, s.items, s.labels, s.theta, from, to, true);
    }
    List<Future<Integer>> pending = new ArrayList<>(parts - 1);
    for (int w = 1; w < parts; w++) {
      int a = s.roundStart[r * parts + w];
      int b = s.roundStart[r * parts + w + 1];
      JavaPairTrainer worker = workers[w];
      pending.add(pool.submit(() -> worker.range(s.users, s.items, s.labels, s.theta, a, b, true)));
    }
    int applied = workers[0].range(s.users, s.items, s.labels, s.theta, from, s.roundStart[r * parts + 1], true);
    for (Future<Integer> f : pending) {
      try {
        applied += f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while training", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("training thread failed", e.getCause());
      }
    }
    return applied;
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
    return "java (rounds" + (vector ? ", vector API " + VectorRows.SPECIES.vectorBitSize() + "-bit" : "")
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
