package io.relstream.core.kernel.opencl;

import com.aparapi.Range;
import com.aparapi.device.Device;
import com.aparapi.device.OpenCLDevice;
import com.aparapi.exception.CompileFailedException;
import com.aparapi.internal.kernel.KernelManager;
import io.relstream.core.estimator.ClippedIps;
import io.relstream.core.estimator.LocalLoss;
import io.relstream.core.kernel.Batch;
import io.relstream.core.kernel.BatchMath;
import io.relstream.core.kernel.Objective;
import io.relstream.core.model.Adam;
import io.relstream.core.model.FactorModel;
import java.util.Arrays;
import java.util.LinkedHashSet;

/**
 * Aparapi (OpenCL) implementation of {@link BatchMath}; its results agree with
 * {@link io.relstream.core.kernel.ScalarBatchMath} up to float rounding (the parity suite checks this).
 *
 * <p><b>Residency.</b> P, Q, both Adam moments of both tables and the gradient accumulators are copied
 * to the device once, at construction, and stay there ({@code setExplicit(true)}). Per call only the
 * batch arrays go to the device and only the per-pair losses (or the scores) come back;
 * {@link #syncToModel()} and {@link #copyGradients} fetch the tables on request. The model's own arrays
 * are therefore stale until {@link #syncToModel()}.
 *
 * <p><b>Gradients</b> ({@link #gradients}) without atomics, deterministic: pass 1 computes, per pair k,
 * the score s_k, the weights w = Y / max(&theta;, M, 1e-6) (0 when Y = 0) and c (1 - w), the weighted
 * pair loss and g_k = dLoss/ds / normaliser (the local losses of {@link LocalLoss}, the log loss bounded
 * by its {@link LocalLoss#LOG_EPS} clamp with zero gradient when saturated). The host sorts the pair
 * indices by user and by item (a stable counting sort into CSR groups); pass 2 runs one work item per
 * (distinct row, dimension) and adds g_k q_{i_k} (resp. g_k p_{u_k}) over that row's pairs in batch
 * order, which is the order the scalar reference uses. The returned loss is the double sum of the pair
 * losses divided by the normaliser sum(Y + c (1 - Y)).
 *
 * <p><b>Sparse Adam</b> ({@link #sparseAdamStep}): the host keeps the set of rows that occurred in the
 * batches since the last step (the CSR row lists of pass 2 give them for free); the step sends the list
 * of touched row ids (the whole id arrays, ints, one per row of the model) and launches one work item per
 * (touched row, dimension). The tables and moments never leave the device.
 *
 * <p>Batches larger than the device buffers grow them (new buffers, re-put); batches larger than
 * {@link Limits#maxBatchChunk} are processed in consecutive chunks, which gives the same sums because the
 * tables do not change inside {@link #gradients}.
 *
 * <p><b>No silent fallback.</b> The constructor fails with {@link IllegalStateException} when there is
 * no OpenCL device, when the kernel does not compile, or when the warm-up execution did not run on
 * OpenCL. Every later execution is checked as well: if Aparapi ever falls back to Java (which would
 * compute on stale host copies) the call throws.
 *
 * <p>Not thread-safe. {@link #close()} releases the device buffers.
 */
public final class AparapiBatchMath implements BatchMath {

  /**
   * Buffer sizing.
   *
   * @param initialBatchCapacity pairs the batch buffers hold before they first grow
   * @param maxBatchChunk most pairs sent to the device in one launch; larger batches are chunked
   * @param maxScoreFloats most scores computed in one launch (users are chunked to fit)
   */
  public record Limits(int initialBatchCapacity, int maxBatchChunk, int maxScoreFloats) {
    public Limits {
      if (initialBatchCapacity < 1 || maxBatchChunk < 1 || maxScoreFloats < 1) {
        throw new IllegalArgumentException("limits must be positive: " + initialBatchCapacity + ", "
            + maxBatchChunk + ", " + maxScoreFloats);
      }
    }

    public static Limits defaults() {
      return new Limits(1 << 14, 1 << 20, 1 << 22);
    }
  }

  private static final int MAX_LOCAL_SIZE = 64;
  /** Keeps every global range (padded) well inside int. */
  private static final int MAX_GLOBAL = 1 << 30;

  private final FactorModel model;
  private final int dim;
  private final Limits limits;
  private final BatchKernel kernel;
  private final OpenCLDevice device;
  private final int localSize;
  private final int maxChunk;

  // host-side scratch for the counting sorts; slot = -1 means "row not in this chunk"
  private final int[] userSlot;
  private final int[] itemSlot;
  private int[] rowCount = new int[1];

  // host-side sets of rows touched since the last step: ids in first-touch order plus membership marks
  private final boolean[] userTouched;
  private final boolean[] itemTouched;
  private int touchedUserCount;
  private int touchedItemCount;

  private int capacity;
  private int step;
  private boolean lastRanOnOpenCl;
  private boolean closed;

  /** Binds to {@code model} with {@link Limits#defaults()}. */
  public AparapiBatchMath(FactorModel model) {
    this(model, Limits.defaults());
  }

  /**
   * Binds to {@code model}, copies its tables to the best OpenCL device and warms the kernel up.
   *
   * @throws IllegalStateException if no OpenCL device exists or the kernel cannot run on it
   */
  public AparapiBatchMath(FactorModel model, Limits limits) {
    this.model = model;
    this.dim = model.dim;
    this.limits = limits;
    String reason = OpenCl.available();
    if (reason != null) {
      throw new IllegalStateException("OpenCL batch math unavailable: " + reason);
    }
    this.device = OpenCl.bestDevice();
    if (device == null) {
      throw new IllegalStateException("OpenCL batch math unavailable: Aparapi found no OpenCL device");
    }
    // keep 2 * chunk * dim (the row pass range) inside MAX_GLOBAL
    if ((long) model.userFactors.length + model.itemFactors.length > MAX_GLOBAL) {
      throw new IllegalArgumentException("OpenCL batch math: tables of " + model.userFactors.length + " + "
          + model.itemFactors.length + " floats exceed one launch (" + MAX_GLOBAL + " work items)");
    }
    this.maxChunk = Math.max(1, Math.min(limits.maxBatchChunk(), MAX_GLOBAL / (2 * dim)));
    this.localSize = Math.max(1, Math.min(MAX_LOCAL_SIZE, device.getMaxWorkGroupSize()));
    this.userSlot = new int[model.numUsers];
    this.itemSlot = new int[model.numItems];
    Arrays.fill(userSlot, -1);
    Arrays.fill(itemSlot, -1);
    this.userTouched = new boolean[model.numUsers];
    this.itemTouched = new boolean[model.numItems];

    kernel = new BatchKernel();
    try {
      initKernelFields();
      kernel.setExplicit(true);
      LinkedHashSet<Device> only = new LinkedHashSet<>();
      only.add(device);
      KernelManager.instance().setPreferredDevices(kernel, only);
      try {
        kernel.compile(device);
      } catch (CompileFailedException e) {
        throw new IllegalStateException(
            "OpenCL batch math: Aparapi could not compile the kernel for " + describe(device), e);
      }
      putAll();
      kernel.pass = BatchKernel.PASS_NOOP;
      launch(1, "warm-up");
    } catch (RuntimeException | Error e) {
      kernel.dispose();
      closed = true;
      throw e;
    }
  }

  private void initKernelFields() {
    BatchKernel k = kernel;
    k.dim = dim;
    k.numItems = model.numItems;
    k.userLen = model.userFactors.length;
    k.itemLen = model.itemFactors.length;
    k.userTab = model.userFactors.clone();
    k.itemTab = model.itemFactors.clone();
    k.userMom1 = new float[k.userLen];
    k.userMom2 = new float[k.userLen];
    k.itemMom1 = new float[k.itemLen];
    k.itemMom2 = new float[k.itemLen];
    k.userGrad = new float[k.userLen];
    k.itemGrad = new float[k.itemLen];
    k.thetaFloor = ClippedIps.THETA_FLOOR;
    k.logEps = (float) LocalLoss.LOG_EPS;
    allocateBatch(Math.min(limits.initialBatchCapacity(), maxChunk));
    k.touchedUsers = new int[model.numUsers];
    k.touchedItems = new int[model.numItems];
    k.scoreUsers = new int[1]; // grown on the first scores() call
    k.scoreOut = new float[model.numItems];
  }

  private void allocateBatch(int cap) {
    BatchKernel k = kernel;
    k.pairUser = new int[cap];
    k.pairItem = new int[cap];
    k.pairLabel = new float[cap];
    k.pairTheta = new float[cap];
    k.pairCoef = new float[cap];
    k.pairLoss = new float[cap];
    k.userRowIds = new int[cap];
    k.userRowStart = new int[cap + 1];
    k.userRowPairs = new int[cap];
    k.itemRowIds = new int[cap];
    k.itemRowStart = new int[cap + 1];
    k.itemRowPairs = new int[cap];
    rowCount = new int[cap];
    capacity = cap;
  }

  /** Tags every array for transfer before the next execution. */
  private void putAll() {
    BatchKernel k = kernel;
    k.put(k.userTab).put(k.itemTab);
    k.put(k.userMom1).put(k.userMom2).put(k.itemMom1).put(k.itemMom2);
    k.put(k.userGrad).put(k.itemGrad);
    putBatchArrays();
    k.put(k.pairCoef).put(k.pairLoss);
    k.put(k.scoreUsers).put(k.scoreOut);
    k.put(k.touchedUsers).put(k.touchedItems);
  }

  private void putBatchArrays() {
    BatchKernel k = kernel;
    k.put(k.pairUser).put(k.pairItem).put(k.pairLabel).put(k.pairTheta);
    k.put(k.userRowIds).put(k.userRowStart).put(k.userRowPairs);
    k.put(k.itemRowIds).put(k.itemRowStart).put(k.itemRowPairs);
  }

  /** Runs the current pass over {@code n} work items and checks that it ran on OpenCL. */
  private void launch(int n, String what) {
    kernel.limit = n;
    int global = ((n + localSize - 1) / localSize) * localSize;
    kernel.execute(Range.create(global, localSize));
    lastRanOnOpenCl = kernel.isRunningCL() && kernel.getTargetDevice() instanceof OpenCLDevice;
    if (!lastRanOnOpenCl) {
      throw new IllegalStateException("OpenCL batch math: the " + what + " execution did not run on OpenCL"
          + " (Aparapi fell back to " + describe(kernel.getTargetDevice())
          + "). Was the kernel class compiled without debug info?");
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("AparapiBatchMath is closed");
    }
  }

  @Override
  public double gradients(Batch batch, Objective objective) {
    checkOpen();
    int n = batch.size();
    if (n == 0) {
      return 0;
    }
    double norm = ClippedIps.normaliser(batch.labels, n, objective.negativeWeight());
    if (!(norm > 0)) {
      return 0; // as the reference: nothing is weighted
    }
    BatchKernel k = kernel;
    k.lossCode = objective.loss() == LocalLoss.SQUARED ? BatchKernel.LOSS_SQUARED : BatchKernel.LOSS_LOG;
    k.clip = objective.clip();
    k.negWeight = objective.negativeWeight();
    k.invNorm = (float) (1.0 / norm);
    double total = 0;
    for (int from = 0; from < n; from += maxChunk) {
      total += chunk(batch, from, Math.min(n, from + maxChunk));
    }
    return total / norm;
  }

  /** Pairs [from, to) of the batch: both passes; returns the sum of their pair losses. */
  private double chunk(Batch batch, int from, int to) {
    int m = to - from;
    if (m > capacity) {
      allocateBatch(Math.min(maxChunk, Math.max(m, 2 * capacity)));
      kernel.put(kernel.pairCoef).put(kernel.pairLoss);
    }
    BatchKernel k = kernel;
    int numUsers = model.numUsers;
    int numItems = model.numItems;
    for (int j = 0; j < m; j++) {
      int u = batch.users[from + j];
      int i = batch.items[from + j];
      if (u < 0 || u >= numUsers || i < 0 || i >= numItems) {
        throw new IndexOutOfBoundsException("pair " + (from + j) + " (user " + u + ", item " + i
            + ") outside the model (" + numUsers + " users, " + numItems + " items)");
      }
      k.pairUser[j] = u;
      k.pairItem[j] = i;
    }
    System.arraycopy(batch.labels, from, k.pairLabel, 0, m);
    System.arraycopy(batch.theta, from, k.pairTheta, 0, m);
    int userRows = group(k.pairUser, m, userSlot, k.userRowIds, k.userRowStart, k.userRowPairs);
    int itemRows = group(k.pairItem, m, itemSlot, k.itemRowIds, k.itemRowStart, k.itemRowPairs);
    for (int r = 0; r < userRows; r++) {
      int u = k.userRowIds[r];
      if (!userTouched[u]) {
        userTouched[u] = true;
        k.touchedUsers[touchedUserCount++] = u;
      }
    }
    for (int r = 0; r < itemRows; r++) {
      int i = k.itemRowIds[r];
      if (!itemTouched[i]) {
        itemTouched[i] = true;
        k.touchedItems[touchedItemCount++] = i;
      }
    }
    putBatchArrays();

    k.pass = BatchKernel.PASS_PAIRS;
    launch(m, "pair");
    k.userRowCount = userRows;
    k.pass = BatchKernel.PASS_ROWS;
    launch((userRows + itemRows) * dim, "row-gradient");
    k.get(k.pairLoss);
    double sum = 0;
    for (int j = 0; j < m; j++) {
      sum += k.pairLoss[j];
    }
    return sum;
  }

  /**
   * Stable counting sort of pair indices 0..m-1 by key into CSR form: rows[r] is the r-th distinct key
   * (first-appearance order), its pairs are pairs[start[r] .. start[r + 1]) in increasing index order.
   * {@code slot} maps key to row and is all -1 before and after. Returns the number of rows.
   */
  private int group(int[] keys, int m, int[] slot, int[] rows, int[] start, int[] pairs) {
    int r = 0;
    int[] count = rowCount;
    for (int j = 0; j < m; j++) {
      int key = keys[j];
      int s = slot[key];
      if (s < 0) {
        s = r++;
        slot[key] = s;
        rows[s] = key;
        count[s] = 0;
      }
      count[s]++;
    }
    start[0] = 0;
    for (int s = 0; s < r; s++) {
      start[s + 1] = start[s] + count[s];
      count[s] = start[s]; // becomes the write cursor
    }
    for (int j = 0; j < m; j++) {
      int s = slot[keys[j]];
      pairs[count[s]++] = j;
    }
    for (int s = 0; s < r; s++) {
      slot[rows[s]] = -1;
    }
    return r;
  }

  @Override
  public void adamStep(Adam adam) {
    checkOpen();
    step++;
    BatchKernel k = kernel;
    k.beta1 = adam.beta1();
    k.beta2 = adam.beta2();
    k.adamEps = adam.epsilon();
    k.l2 = adam.l2();
    k.lrT = adam.stepSize(step);
    k.pass = BatchKernel.PASS_ADAM;
    launch(k.userLen + k.itemLen, "Adam");
    clearTouched();
  }

  @Override
  public void sparseAdamStep(Adam adam) {
    checkOpen();
    step++;
    int rows = touchedUserCount + touchedItemCount;
    if (rows == 0) {
      return;
    }
    BatchKernel k = kernel;
    k.beta1 = adam.beta1();
    k.beta2 = adam.beta2();
    k.adamEps = adam.epsilon();
    k.l2 = adam.l2();
    k.lrT = adam.stepSize(step);
    k.touchedUserCount = touchedUserCount;
    k.put(k.touchedUsers).put(k.touchedItems);
    k.pass = BatchKernel.PASS_SPARSE_ADAM;
    launch(rows * dim, "sparse Adam");
    clearTouched();
  }

  private void clearTouched() {
    for (int r = 0; r < touchedUserCount; r++) {
      userTouched[kernel.touchedUsers[r]] = false;
    }
    for (int r = 0; r < touchedItemCount; r++) {
      itemTouched[kernel.touchedItems[r]] = false;
    }
    touchedUserCount = 0;
    touchedItemCount = 0;
  }

  @Override
  public int step() {
    return step;
  }

  @Override
  public void copyMoments(float[] userM, float[] userV, float[] itemM, float[] itemV) {
    checkOpen();
    BatchKernel k = kernel;
    k.get(k.userMom1).get(k.userMom2).get(k.itemMom1).get(k.itemMom2);
    System.arraycopy(k.userMom1, 0, userM, 0, k.userLen);
    System.arraycopy(k.userMom2, 0, userV, 0, k.userLen);
    System.arraycopy(k.itemMom1, 0, itemM, 0, k.itemLen);
    System.arraycopy(k.itemMom2, 0, itemV, 0, k.itemLen);
  }

  /** Fetches the table's two moment buffers from the device (whole), then copies the rows asked for. */
  @Override
  public void copyRowMoments(boolean items, int[] rows, int count, float[] m, float[] v) {
    checkOpen();
    BatchKernel k = kernel;
    float[] m1 = items ? k.itemMom1 : k.userMom1;
    float[] m2 = items ? k.itemMom2 : k.userMom2;
    k.get(m1).get(m2);
    io.relstream.core.kernel.ScalarBatchMath.copyRows(m1, m2, model.dim, rows, count, m, v);
  }

  /** Fetches the table, its moments and gradient (whole), zeroes the rows, and puts them back. */
  @Override
  public void zeroRows(boolean items, int[] rows, int count) {
    checkOpen();
    BatchKernel k = kernel;
    float[][] tables = items ? new float[][] {k.itemTab, k.itemMom1, k.itemMom2, k.itemGrad}
        : new float[][] {k.userTab, k.userMom1, k.userMom2, k.userGrad};
    int dim = model.dim;
    for (float[] t : tables) {
      k.get(t);
      for (int r = 0; r < count; r++) {
        Arrays.fill(t, rows[r] * dim, (rows[r] + 1) * dim, 0f);
      }
      k.put(t);
    }
    float[] host = items ? model.itemFactors : model.userFactors;
    for (int r = 0; r < count; r++) {
      Arrays.fill(host, rows[r] * dim, (rows[r] + 1) * dim, 0f);
    }
  }

  @Override
  public void loadState(float[] userM, float[] userV, float[] itemM, float[] itemV, int step) {
    checkOpen();
    BatchKernel k = kernel;
    checkLength("user moment", userM, k.userLen);
    checkLength("user moment", userV, k.userLen);
    checkLength("item moment", itemM, k.itemLen);
    checkLength("item moment", itemV, k.itemLen);
    if (step < 0) {
      throw new IllegalArgumentException("step must be >= 0, got " + step);
    }
    System.arraycopy(model.userFactors, 0, k.userTab, 0, k.userLen);
    System.arraycopy(model.itemFactors, 0, k.itemTab, 0, k.itemLen);
    System.arraycopy(userM, 0, k.userMom1, 0, k.userLen);
    System.arraycopy(userV, 0, k.userMom2, 0, k.userLen);
    System.arraycopy(itemM, 0, k.itemMom1, 0, k.itemLen);
    System.arraycopy(itemV, 0, k.itemMom2, 0, k.itemLen);
    Arrays.fill(k.userGrad, 0f);
    Arrays.fill(k.itemGrad, 0f);
    k.put(k.userTab).put(k.itemTab);
    k.put(k.userMom1).put(k.userMom2).put(k.itemMom1).put(k.itemMom2);
    k.put(k.userGrad).put(k.itemGrad);
    clearTouched();
    this.step = step;
  }

  private static void checkLength(String what, float[] a, int length) {
    if (a.length != length) {
      throw new IllegalArgumentException(what + " has " + a.length + " floats, the table " + length);
    }
  }

  @Override
  public void scores(int[] users, float[] out) {
    checkOpen();
    int numItems = model.numItems;
    if ((long) users.length * numItems > out.length) {
      throw new IllegalArgumentException("out holds " + out.length + " scores, need " + users.length
          + " x " + numItems);
    }
    for (int u : users) {
      if (u < 0 || u >= model.numUsers) {
        throw new IndexOutOfBoundsException("user " + u + " outside the model (" + model.numUsers + " users)");
      }
    }
    BatchKernel k = kernel;
    int perLaunch = Math.max(1, Math.min(limits.maxScoreFloats() / numItems, MAX_GLOBAL / numItems));
    for (int from = 0; from < users.length; from += perLaunch) {
      int count = Math.min(perLaunch, users.length - from);
      if (count > k.scoreUsers.length) {
        k.scoreUsers = new int[count];
        k.scoreOut = new float[count * numItems];
      }
      System.arraycopy(users, from, k.scoreUsers, 0, count);
      k.put(k.scoreUsers);
      k.pass = BatchKernel.PASS_SCORES;
      launch(count * numItems, "score");
      k.get(k.scoreOut);
      System.arraycopy(k.scoreOut, 0, out, from * numItems, count * numItems);
    }
  }

  @Override
  public void copyGradients(float[] userGradient, float[] itemGradient) {
    checkOpen();
    kernel.get(kernel.userGrad).get(kernel.itemGrad);
    System.arraycopy(kernel.userGrad, 0, userGradient, 0, kernel.userLen);
    System.arraycopy(kernel.itemGrad, 0, itemGradient, 0, kernel.itemLen);
  }

  @Override
  public void syncToModel() {
    checkOpen();
    kernel.get(kernel.userTab).get(kernel.itemTab);
    System.arraycopy(kernel.userTab, 0, model.userFactors, 0, kernel.userLen);
    System.arraycopy(kernel.itemTab, 0, model.itemFactors, 0, kernel.itemLen);
  }

  @Override
  public String path() {
    return "opencl";
  }

  @Override
  public String device() {
    Device d = closed ? device : kernel.getTargetDevice();
    return d instanceof OpenCLDevice ? ((OpenCLDevice) d).getName() : describe(d);
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

  private static String describe(Device d) {
    if (d == null) {
      return "no device";
    }
    if (d instanceof OpenCLDevice) {
      OpenCLDevice cl = (OpenCLDevice) d;
      return cl.getName() + " (" + cl.getType() + ", " + cl.getOpenCLPlatform().getName() + ")";
    }
    return d.getShortDescription();
  }
}
