package io.relstream.core.accel;

import com.aparapi.device.OpenCLDevice;
import io.relstream.core.kernel.Batch;
import io.relstream.core.kernel.Objective;
import io.relstream.core.model.FactorModel;
import java.util.ArrayList;
import java.util.List;

/**
 * Creates any implementation of the two kernels directly (benchmarks, parity tests);
 * {@link KernelSelector} picks one by measurement. OpenCL devices are addressed by their index in
 * {@link #openClDevices()} (GPUs first).
 */
public final class Accel {
  /** Default pairs per OpenCL training launch. */
  public static final int DEFAULT_BATCH_CAPACITY = 1 << 16;

  private Accel() {}

  /** The reference trainer (sequential, scalar); {@code state} may be null for SGD. */
  public static PairTrainer scalarTrainer(FactorModel model, RowAdamState state, StepRule rule,
      Objective objective) {
    return new ScalarPairTrainer(model, state, rule, objective);
  }

  /**
   * The fastest plain-Java trainer present: with the Vector API ({@link #vectorUnavailable()} null) the
   * dots and SGD row updates are explicit vectors (results equal the reference up to float rounding),
   * else {@link #exactJavaTrainer}; {@code state} may be null for SGD.
   */
  public static PairTrainer javaTrainer(FactorModel model, RowAdamState state, StepRule rule,
      Objective objective) {
    return new JavaPairTrainer(model, state, rule, objective, vectorUnavailable() == null);
  }

  /**
   * Null when the Java Vector API can be used in this JVM, else why not (logged once as a warning):
   * it is the incubator module {@code jdk.incubator.vector}, present only when the JVM was started with
   * {@code --add-modules jdk.incubator.vector}. {@code -Drelstream.accel.vector=false} turns it off.
   */
  public static String vectorUnavailable() {
    return VectorCheck.REASON;
  }

  private static final class VectorCheck {
    static final String REASON = check();

    private static String check() {
      String why = null;
      if (!Boolean.parseBoolean(System.getProperty("relstream.accel.vector", "true"))) {
        why = "turned off by -Drelstream.accel.vector=false";
      } else if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
        why = "module jdk.incubator.vector not loaded (start the JVM with --add-modules jdk.incubator.vector)";
      } else {
        try {
          float s = VectorRows.dot(new float[] {1, 2, 3}, 0, new float[] {4, 5, 6}, 0, 3);
          if (s != 32f) {
            why = "vector dot self-check gave " + s + " instead of 32";
          }
        } catch (LinkageError | RuntimeException e) {
          why = "Vector API failed its self-check: " + e;
        }
      }
      if (why != null) {
        System.getLogger("io.relstream.core.accel").log(System.Logger.Level.WARNING,
            "plain-Java training without the Vector API: " + why);
      }
      return why;
    }
  }

  /**
   * The multi-threaded plain-Java trainer ({@link ParallelPairTrainer}: blocks of consecutive pairs dealt
   * to {@code threads} threads, a block waiting only for running blocks it shares a row with), with the
   * Vector API when present; the result is the sequential one.
   */
  public static PairTrainer parallelJavaTrainer(FactorModel model, RowAdamState state, StepRule rule,
      Objective objective, int threads) {
    return new ParallelPairTrainer(model, state, rule, objective, vectorUnavailable() == null, threads,
        ParallelPairTrainer.MIN_PARALLEL);
  }

  /** The blocked plain-Java trainer in the reference's float order: bit-identical to the reference. */
  public static PairTrainer exactJavaTrainer(FactorModel model, RowAdamState state, StepRule rule,
      Objective objective) {
    return new JavaPairTrainer(model, state, rule, objective, false);
  }

  /**
   * The OpenCL trainer on device {@code device} of {@link #openClDevices()}.
   *
   * @throws IllegalStateException if OpenCL is unavailable or the kernel does not compile or run there
   */
  public static PairTrainer openClTrainer(FactorModel model, RowAdamState state, StepRule rule,
      Objective objective, int device, Conflicts conflicts, int batchCapacity) {
    return new OpenClAccel(model, state, rule, objective, openClDevice(device), conflicts, batchCapacity);
  }

  /** The reference scorer. */
  public static TopKScorer scalarScorer(FactorModel model) {
    return new ScalarTopK(model);
  }

  /** The fast plain-Java scorer using {@code threads} threads. */
  public static TopKScorer javaScorer(FactorModel model, int threads) {
    return new JavaTopK(model, threads);
  }

  /**
   * The OpenCL scorer on device {@code device} of {@link #openClDevices()}.
   *
   * @throws IllegalStateException if OpenCL is unavailable or the kernel does not compile or run there
   */
  public static TopKScorer openClScorer(FactorModel model, int device) {
    return new OpenClAccel(model, null, null, null, openClDevice(device), Conflicts.ROUNDS, 1);
  }

  /** Descriptions ("name (TYPE, platform)") of the OpenCL devices, GPUs first; empty if none. */
  public static List<String> openClDevices() {
    List<String> out = new ArrayList<>();
    for (OpenCLDevice d : OpenClDevices.list()) {
      out.add(OpenClDevices.describe(d));
    }
    return out;
  }

  /** The bare OpenCL name of device {@code device}. */
  public static String openClDeviceName(int device) {
    return openClDevice(device).getName().trim();
  }

  /** Null when OpenCL is usable, else a one-line reason. */
  public static String openClUnavailable() {
    return OpenClDevices.unavailable();
  }

  private static OpenCLDevice openClDevice(int index) {
    String reason = OpenClDevices.unavailable();
    if (reason != null) {
      throw new IllegalStateException("OpenCL unavailable: " + reason);
    }
    List<OpenCLDevice> all = OpenClDevices.list();
    if (index < 0 || index >= all.size()) {
      throw new IllegalStateException("no OpenCL device #" + index + " (" + all.size() + " present)");
    }
    return all.get(index);
  }

  /**
   * Copy bandwidth of OpenCL device {@code device} in bytes per second (read + write counted), the best
   * of {@code reps} copies of {@code floats} floats between two resident buffers.
   *
   * @throws IllegalStateException if the copy did not run on OpenCL
   */
  public static double deviceCopyBandwidth(int device, int floats, int reps) {
    OpenCLDevice d = openClDevice(device);
    CopyKernel k = new CopyKernel();
    try {
      k.src = new float[floats];
      k.dst = new float[floats];
      k.limit = floats;
      k.setExplicit(true);
      java.util.LinkedHashSet<com.aparapi.device.Device> only = new java.util.LinkedHashSet<>();
      only.add(d);
      com.aparapi.internal.kernel.KernelManager.instance().setPreferredDevices(k, only);
      k.put(k.src).put(k.dst);
      int local = Math.max(1, Math.min(256, d.getMaxWorkGroupSize()));
      com.aparapi.Range range = com.aparapi.Range.create(d, (floats + local - 1) / local * local, local);
      k.execute(range);
      if (!k.isRunningCL()) {
        throw new IllegalStateException("copy kernel did not run on OpenCL");
      }
      double best = 0;
      for (int r = 0; r < reps; r++) {
        long t0 = System.nanoTime();
        k.execute(range);
        // execute() returns when the device has finished (Aparapi waits on the launch)
        best = Math.max(best, 8.0 * floats / ((System.nanoTime() - t0) / 1e9));
      }
      return best;
    } finally {
      k.dispose();
    }
  }

  /** Validates the Adam state against the model when the rule needs it. */
  static RowAdamState checkState(FactorModel model, RowAdamState state, StepRule rule) {
    if (rule.optimizer() != StepRule.Optimizer.ADAM) {
      return state;
    }
    if (state == null || !state.fits(model)) {
      throw new IllegalArgumentException("Adam needs a RowAdamState shaped like the model");
    }
    return state;
  }

  /**
   * How much a batch conflicts with itself: pairs sharing a user or an item with an earlier pair of the
   * batch, and the number of conflict-free rounds the deterministic OpenCL schedule needs.
   */
  public record BatchConflicts(int pairs, int conflicting, int rounds) {
    /** Share of pairs Hogwild may apply to a stale or concurrently written row. */
    public double conflictingFraction() {
      return pairs == 0 ? 0 : (double) conflicting / pairs;
    }
  }

  /** Counts the conflicts of {@code batch} (indices must lie inside the model). */
  public static BatchConflicts conflicts(Batch batch, FactorModel model) {
    PairRule.checkIndices(batch, model);
    java.util.HashMap<Integer, Integer> userRound = new java.util.HashMap<>();
    java.util.HashMap<Integer, Integer> itemRound = new java.util.HashMap<>();
    int conflicting = 0;
    int rounds = 0;
    for (int k = 0; k < batch.size(); k++) {
      Integer ru = userRound.get(batch.users[k]);
      Integer ri = itemRound.get(batch.items[k]);
      if (ru != null || ri != null) {
        conflicting++;
      }
      int r = Math.max(ru == null ? -1 : ru, ri == null ? -1 : ri) + 1;
      userRound.put(batch.users[k], r);
      itemRound.put(batch.items[k], r);
      rounds = Math.max(rounds, r + 1);
    }
    return new BatchConflicts(batch.size(), conflicting, rounds);
  }
}
