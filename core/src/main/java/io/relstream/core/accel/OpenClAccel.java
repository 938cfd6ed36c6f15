package io.relstream.core.accel;

import com.aparapi.Range;
import com.aparapi.device.Device;
import com.aparapi.device.OpenCLDevice;
import com.aparapi.exception.CompileFailedException;
import com.aparapi.internal.kernel.KernelManager;
import io.relstream.core.estimator.ClippedIps;
import io.relstream.core.estimator.LocalLoss;
import io.relstream.core.kernel.Batch;
import io.relstream.core.kernel.Objective;
import io.relstream.core.model.FactorModel;
import java.util.LinkedHashSet;

/**
 * The OpenCL (Aparapi) path of both kernels on one device, sharing one set of resident tables.
 *
 * <p><b>Residency.</b> The kernel's host mirrors are the bound model's (and Adam state's) own arrays;
 * they are put on the device once at construction ({@code setExplicit(true)}). Per training call only
 * the batch (16 bytes a pair, plus the round offsets) goes to the device and one int (the skip count)
 * comes back; per scoring call the user ids and the seen lists go and k entries per user come back.
 * Hence the host arrays are stale until {@link #syncToModel()}; {@link #refresh()} goes the other way
 * and uploads the host tables (after the model was changed elsewhere).
 *
 * <p><b>Training</b> ({@link Conflicts#ROUNDS}): the host assigns pair k the round
 * 1 + max(round of the last earlier pair with the same user, ... with the same item), sorts the batch
 * by round (stably) and launches one Aparapi execution with one pass per round; pairs of a round touch
 * disjoint rows and each row sees its pairs in batch order, which is the sequential result.
 * {@link Conflicts#HOGWILD} sends the batch unsorted as a single round. Batches above the buffer
 * capacity are applied in consecutive chunks, which preserves the sequential result.
 *
 * <p><b>Scoring</b>: a scan pass with B x C work items (C chunks of the items per user, C chosen to
 * fill the device) writes one heap of k per work item, then merge passes with fan-in 16 reduce them to
 * one heap per user on the device; the host only sorts those k entries.
 *
 * <p><b>No silent fallback.</b> Construction fails with {@link IllegalStateException} when the kernel
 * does not compile for the device or the warm-up did not run on OpenCL, and every later execution is
 * checked: if Aparapi ever ran it in Java the call throws.
 */
final class OpenClAccel implements PairTrainer, TopKScorer {
  private static final int LOCAL = 64;
  private static final int FAN_IN = 16;
  private static final int MAX_USERS_PER_LAUNCH = 1024;

  private final FactorModel model;
  private final RowAdamState state;
  private final StepRule rule;
  private final OpenCLDevice device;
  private final Conflicts conflicts;
  private final AccelKernel kernel;
  private final int capacity;
  private final int parallelism;
  /** Host-side round scheduler (training only); its sorted arrays are the kernel's batch arrays. */
  private final RoundScheduler scheduler;
  private int lastRounds;
  private boolean lastRanOnOpenCl;
  private boolean closed;

  /**
   * Binds to {@code model} on {@code device}.
   *
   * @param state Adam state, required when {@code rule} is Adam, else ignored
   * @param rule the training rule, or null for a scorer only
   * @param objective the training objective, or null for a scorer only
   * @param batchCapacity pairs per device launch; larger batches are chunked
   * @throws IllegalStateException if the kernel does not compile or run on OpenCL there
   */
  OpenClAccel(FactorModel model, RowAdamState state, StepRule rule, Objective objective,
      OpenCLDevice device, Conflicts conflicts, int batchCapacity) {
    if (batchCapacity < 1) {
      throw new IllegalArgumentException("batch capacity must be >= 1: " + batchCapacity);
    }
    if ((long) model.numItems * model.dim > Integer.MAX_VALUE
        || (long) model.numUsers * model.dim > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("tables too large for one OpenCL buffer");
    }
    this.model = model;
    this.rule = rule;
    this.state = rule == null ? null : Accel.checkState(model, state, rule);
    this.device = device;
    this.conflicts = conflicts;
    this.capacity = batchCapacity;
    boolean gpu = OpenClDevices.isGpu(device);
    this.parallelism = Math.max(1, device.getMaxComputeUnits()) * (gpu ? 512 : 4);
    boolean training = rule != null;
    checkFits(model, device);
    scheduler = training ? new RoundScheduler(model.numUsers, model.numItems, batchCapacity)
        : new RoundScheduler(1, 1, 1);

    AccelKernel k = new AccelKernel();
    kernel = k;
    try {
      k.dim = model.dim;
      k.numItems = model.numItems;
      k.userTab = model.userFactors;
      k.itemTab = model.itemFactors;
      boolean adam = training && rule.optimizer() == StepRule.Optimizer.ADAM;
      k.userM = adam ? state.userM : new float[1];
      k.userV = adam ? state.userV : new float[1];
      k.itemM = adam ? state.itemM : new float[1];
      k.itemV = adam ? state.itemV : new float[1];
      k.userSteps = adam ? state.userSteps : new int[1];
      k.itemSteps = adam ? state.itemSteps : new int[1];
      k.stepSizes = adam ? rule.stepSizes() : new float[1];
      k.tCap = StepRule.T_CAP;
      k.bUser = scheduler.users;
      k.bItem = scheduler.items;
      k.bLabel = scheduler.labels;
      k.bTheta = scheduler.theta;
      k.roundStart = scheduler.roundStart;
      k.skipped = new int[1];
      if (training) {
        k.optimizer = adam ? AccelKernel.OPT_ADAM : AccelKernel.OPT_SGD;
        k.lossCode = PairRule.lossCode(objective);
        k.clip = objective.clip();
        k.negWeight = objective.negativeWeight();
        k.lr = rule.learningRate();
        k.l2 = rule.l2();
        k.beta1 = rule.beta1();
        k.beta2 = rule.beta2();
        k.adamEps = rule.epsilon();
      }
      k.thetaFloor = ClippedIps.THETA_FLOOR;
      k.logEps = (float) LocalLoss.LOG_EPS;
      k.sUsers = new int[1];
      k.seenStart = new int[2];
      k.seenItems = new int[1];
      k.candScore = new float[1];
      k.candItem = new int[1];
      k.outScore = new float[1];
      k.outItem = new int[1];
      k.negInf = Float.NEGATIVE_INFINITY;
      k.noItem = TopKHeap.NO_ITEM;
      k.strided = gpu ? 1 : 0;
      k.setExplicit(true);
      LinkedHashSet<Device> only = new LinkedHashSet<>();
      only.add(device);
      KernelManager.instance().setPreferredDevices(k, only);
      try {
        k.compile(device);
      } catch (CompileFailedException e) {
        throw new IllegalStateException("OpenCL kernel does not compile for "
            + OpenClDevices.describe(device) + ": " + e.getMessage(), e);
      }
      k.put(k.userTab).put(k.itemTab).put(k.userM).put(k.userV).put(k.itemM).put(k.itemV);
      k.put(k.userSteps).put(k.itemSteps).put(k.stepSizes);
      k.put(k.bUser).put(k.bItem).put(k.bLabel).put(k.bTheta).put(k.roundStart).put(k.skipped);
      k.put(k.sUsers).put(k.seenStart).put(k.seenItems).put(k.candScore).put(k.candItem);
      k.put(k.outScore).put(k.outItem);
      k.pass = AccelKernel.PASS_NOOP;
      launch(1, 1, "warm-up");
    } catch (RuntimeException | Error e) {
      k.dispose();
      closed = true;
      throw e;
    }
  }

  /**
   * Refuses tables that one device buffer cannot hold (the driver would fail at the first launch, and
   * Aparapi would then try a fallback device and fail with an AssertionError).
   */
  private static void checkFits(FactorModel model, OpenCLDevice device) {
    long largest = 4L * Math.max(model.userFactors.length, model.itemFactors.length);
    String why = tooLarge(largest, device.getMaxMemAllocSize());
    if (why != null) {
      throw new IllegalStateException(why + " on " + device.getName());
    }
  }

  /**
   * The largest buffer taken through Aparapi: a 2.4 GiB table failed with CL_INVALID_BUFFER_SIZE on
   * PoCL, whose reported limit is 4 GiB, and Aparapi's tracker reports crashes above 2 GB.
   */
  static final long APARAPI_MAX_BUFFER = Integer.MAX_VALUE;

  /** Why a buffer of {@code bytes} cannot be allocated under {@code deviceMax} (0: unknown), or null. */
  static String tooLarge(long bytes, long deviceMax) {
    if (deviceMax > 0 && bytes > deviceMax) {
      return String.format(java.util.Locale.ROOT, "a %d MiB table exceeds the largest buffer the device can"
          + " allocate (%d MiB)", bytes >> 20, deviceMax >> 20);
    }
    if (bytes > APARAPI_MAX_BUFFER) {
      return String.format(java.util.Locale.ROOT, "a %d MiB table exceeds 2 GiB, the largest buffer that"
          + " works through Aparapi", bytes >> 20);
    }
    return null;
  }

  /** Runs the current pass over n work items (padded to the work-group size) and checks where it ran. */
  private void launch(int n, int passes, String what) {
    AccelKernel k = kernel;
    k.limit = n;
    int local = Math.max(1, Math.min(LOCAL, device.getMaxWorkGroupSize()));
    int global = Math.max(local, ((n + local - 1) / local) * local);
    try {
      k.execute(Range.create(device, global, local), passes);
    } catch (RuntimeException | AssertionError e) {
      lastRanOnOpenCl = false;
      throw new IllegalStateException("OpenCL " + what + " failed on " + device.getName() + ": " + e, e);
    }
    lastRanOnOpenCl = k.isRunningCL() && k.getTargetDevice() instanceof OpenCLDevice;
    if (!lastRanOnOpenCl) {
      throw new IllegalStateException("OpenCL " + what + " execution did not run on OpenCL (Aparapi fell back"
          + " to " + OpenClDevices.describe(k.getTargetDevice()) + "); were the classes compiled without debug"
          + " info?");
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("OpenCL accelerator is closed");
    }
  }

  // ------------------------------------------------------------------ training

  @Override
  public int train(Batch batch) {
    checkOpen();
    if (rule == null) {
      throw new IllegalStateException("this OpenCL accelerator was created for scoring only");
    }
    PairRule.checkIndices(batch, model);
    int n = batch.size();
    int applied = 0;
    for (int from = 0; from < n; from += capacity) {
      applied += chunk(batch, from, Math.min(n, from + capacity));
    }
    return applied;
  }

  private int chunk(Batch batch, int from, int to) {
    AccelKernel k = kernel;
    int m = to - from;
    int rounds;
    int widest;
    if (conflicts == Conflicts.HOGWILD) {
      System.arraycopy(batch.users, from, k.bUser, 0, m);
      System.arraycopy(batch.items, from, k.bItem, 0, m);
      System.arraycopy(batch.labels, from, k.bLabel, 0, m);
      System.arraycopy(batch.theta, from, k.bTheta, 0, m);
      k.roundStart[0] = 0;
      k.roundStart[1] = m;
      rounds = 1;
      widest = m;
    } else {
      rounds = scheduler.schedule(batch, from, m); // sorted into the kernel's batch arrays
      widest = 0;
      for (int r = 0; r < rounds; r++) {
        widest = Math.max(widest, k.roundStart[r + 1] - k.roundStart[r]);
      }
    }
    lastRounds = rounds;
    k.skipped[0] = 0;
    k.put(k.bUser).put(k.bItem).put(k.bLabel).put(k.bTheta).put(k.roundStart).put(k.skipped);
    k.pass = AccelKernel.PASS_TRAIN;
    launch(widest, rounds, "training");
    k.get(k.skipped);
    return m - k.skipped[0];
  }

  /** Rounds of the last training launch (1 for Hogwild). */
  int lastRounds() {
    return lastRounds;
  }

  @Override
  public void syncToModel() {
    checkOpen();
    AccelKernel k = kernel;
    k.get(k.userTab).get(k.itemTab);
    if (rule != null && rule.optimizer() == StepRule.Optimizer.ADAM) {
      k.get(k.userM).get(k.userV).get(k.itemM).get(k.itemV).get(k.userSteps).get(k.itemSteps);
    }
  }

  // ------------------------------------------------------------------ scoring

  @Override
  public void topK(int[] users, int k, SeenItems seen, int[] outItems, float[] outScores) {
    checkOpen();
    TopKHeap.checkArgs(model, users, k, seen, outItems, outScores);
    for (int from = 0; from < users.length; from += MAX_USERS_PER_LAUNCH) {
      int count = Math.min(MAX_USERS_PER_LAUNCH, users.length - from);
      scoreChunk(users, from, count, k, seen, outItems, outScores);
    }
  }

  private void scoreChunk(int[] users, int from, int b, int k, SeenItems seen, int[] outItems,
      float[] outScores) {
    AccelKernel kn = kernel;
    int n = model.numItems;
    int maxChunks = Math.max(1, n / Math.max(2048, 8 * k));
    int chunks = (int) Math.max(1, Math.min(maxChunks, ((long) parallelism + b - 1) / b));
    long regionA = (long) b * chunks * k;
    long regionB = (long) b * ((chunks + FAN_IN - 1) / FAN_IN) * k;
    if (regionA + regionB > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("top-" + k + " for " + b + " users needs too large a device buffer");
    }
    int candLen = (int) (regionA + regionB);
    if (kn.candScore.length < candLen) {
      kn.candScore = new float[candLen];
      kn.candItem = new int[candLen];
      kn.put(kn.candScore).put(kn.candItem);
    }
    if (kn.outScore.length < b * k) {
      kn.outScore = new float[b * k];
      kn.outItem = new int[b * k];
      kn.put(kn.outScore).put(kn.outItem);
    }
    if (kn.sUsers.length < b) {
      kn.sUsers = new int[b];
      kn.seenStart = new int[b + 1];
    }
    System.arraycopy(users, from, kn.sUsers, 0, b);
    int seenFrom = seen == null ? 0 : seen.start()[from];
    int seenCount = seen == null ? 0 : seen.start()[from + b] - seenFrom;
    for (int u = 0; u <= b; u++) {
      kn.seenStart[u] = seen == null ? 0 : seen.start()[from + u] - seenFrom;
    }
    if (kn.seenItems.length < Math.max(1, seenCount)) {
      kn.seenItems = new int[seenCount];
    }
    if (seenCount > 0) {
      System.arraycopy(seen.items(), seenFrom, kn.seenItems, 0, seenCount);
    }
    kn.put(kn.sUsers).put(kn.seenStart).put(kn.seenItems);
    kn.topK = k;
    kn.chunks = chunks;
    kn.outOff = 0;
    kn.toFinal = 0;
    kn.pass = AccelKernel.PASS_SCAN;
    launch(b * chunks, 1, "scan");
    int listsIn = chunks;
    int in = 0;
    int out = (int) regionA;
    while (true) {
      int listsOut = (listsIn + FAN_IN - 1) / FAN_IN;
      kn.listsIn = listsIn;
      kn.listsOut = listsOut;
      kn.fanIn = FAN_IN;
      kn.inOff = in;
      kn.outOff = out;
      kn.toFinal = listsOut == 1 ? 1 : 0;
      kn.pass = AccelKernel.PASS_MERGE;
      launch(b * listsOut, 1, "merge");
      if (listsOut == 1) {
        break;
      }
      listsIn = listsOut;
      int t = in;
      in = out;
      out = t;
    }
    kn.get(kn.outScore).get(kn.outItem);
    for (int u = 0; u < b; u++) {
      TopKHeap.drainSorted(kn.outScore, kn.outItem, u * k, k, outItems, outScores, (from + u) * k);
    }
  }

  @Override
  public void refresh() {
    checkOpen();
    kernel.put(kernel.userTab).put(kernel.itemTab);
  }

  // ------------------------------------------------------------------ both

  @Override
  public String path() {
    return "opencl";
  }

  @Override
  public String device() {
    return OpenClDevices.describe(closed ? device : kernel.getTargetDevice());
  }

  /** The device's bare name, as reported by OpenCL. */
  String deviceName() {
    return device.getName().trim();
  }

  @Override
  public boolean ranOnOpenCL() {
    return lastRanOnOpenCl;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      kernel.dispose();
    }
  }
}
