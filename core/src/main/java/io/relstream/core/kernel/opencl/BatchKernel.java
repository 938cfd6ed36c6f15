package io.relstream.core.kernel.opencl;

import com.aparapi.Kernel;

/**
 * The one Aparapi kernel behind {@link AparapiBatchMath}. Aparapi gives every {@link Kernel} instance
 * its own device buffers, so all arrays live in this single class and the int {@link #pass} field
 * selects what {@link #run()} does; each pass is launched with its own range. Work items with a global
 * id at or above {@link #limit} do nothing (ranges are padded to a multiple of the work-group size).
 *
 * <p>Aparapi translates {@link #run()} and the methods it calls to OpenCL C: only primitives,
 * primitive arrays, {@code if}/{@code for} and Kernel's own math functions are used here. The class must
 * be compiled with debug information (Aparapi reads the local variable table).
 *
 * <p>Passes:
 * <ul>
 *   <li>{@link #PASS_PAIRS}, one item per pair k: score s = p_u . q_i, weights, the pair loss
 *       ({@link #pairLoss}) and the coefficient dLoss/ds / normaliser ({@link #pairCoef}).</li>
 *   <li>{@link #PASS_ROWS}, one item per (distinct row, d): adds the row's pairs' contributions to the
 *       gradient accumulator, walking the host-built CSR groups in pair order, so the result is
 *       deterministic without atomics. Users first, then items, in one launch.</li>
 *   <li>{@link #PASS_ADAM}, one item per table element (P then Q): dense Adam + L2, clears the gradient.</li>
 *   <li>{@link #PASS_SPARSE_ADAM}, one item per (touched row, d): the same Adam + L2 update on the rows
 *       listed in {@link #touchedUsers} (first {@link #touchedUserCount}) then {@link #touchedItems};
 *       untouched rows are not read or written.</li>
 *   <li>{@link #PASS_SCORES}, one item per (user, item): a row of the score matrix.</li>
 *   <li>{@link #PASS_NOOP}: nothing; used to warm up (compile) and to move buffers.</li>
 * </ul>
 */
final class BatchKernel extends Kernel {
  static final int PASS_NOOP = 0;
  static final int PASS_PAIRS = 1;
  static final int PASS_ROWS = 2;
  static final int PASS_ADAM = 3;
  static final int PASS_SCORES = 4;
  static final int PASS_SPARSE_ADAM = 5;

  static final int LOSS_SQUARED = 0;
  static final int LOSS_LOG = 1;

  // --- control
  int pass;
  int limit;

  // --- shape
  int dim;
  int numItems;
  int userLen;
  int itemLen;

  // --- device-resident tables: factors, Adam moments, gradient accumulators
  float[] userTab;
  float[] itemTab;
  float[] userMom1;
  float[] userMom2;
  float[] itemMom1;
  float[] itemMom2;
  float[] userGrad;
  float[] itemGrad;

  // --- batch (sent per call)
  int[] pairUser;
  int[] pairItem;
  float[] pairLabel;
  float[] pairTheta;
  float[] pairCoef;
  float[] pairLoss;

  // --- CSR groupings of the batch's pair indices (sent per call)
  int userRowCount;
  int[] userRowIds;
  int[] userRowStart;
  int[] userRowPairs;
  int[] itemRowIds;
  int[] itemRowStart;
  int[] itemRowPairs;

  // --- objective
  int lossCode;
  float clip;
  float negWeight;
  float invNorm;
  float thetaFloor;
  float logEps;

  // --- Adam
  float beta1;
  float beta2;
  float adamEps;
  float l2;
  float lrT;

  // --- rows touched since the last step (sparse Adam)
  int touchedUserCount;
  int[] touchedUsers;
  int[] touchedItems;

  // --- scores
  int[] scoreUsers;
  float[] scoreOut;

  @Override
  public void run() {
    int gid = getGlobalId();
    if (gid < limit) {
      if (pass == PASS_PAIRS) {
        pairPass(gid);
      } else if (pass == PASS_ROWS) {
        rowPass(gid);
      } else if (pass == PASS_ADAM) {
        adamPass(gid);
      } else if (pass == PASS_SCORES) {
        scorePass(gid);
      } else if (pass == PASS_SPARSE_ADAM) {
        sparseAdamPass(gid);
      }
    }
  }

  private void pairPass(int k) {
    int pu = pairUser[k] * dim;
    int qi = pairItem[k] * dim;
    float s = 0f;
    for (int d = 0; d < dim; d++) {
      s += userTab[pu + d] * itemTab[qi + d];
    }
    float label = pairLabel[k];
    float wPos = 0f;
    if (label > 0f) {
      wPos = label / max(max(pairTheta[k], clip), thetaFloor);
    }
    float wNeg = negWeight * (1f - wPos);
    // sig = sigma(s) and comp = 1 - sigma(s) = sigma(-s), both computed without cancellation
    float sig = 0f;
    float comp = 0f;
    if (s >= 0f) {
      float e = exp(-s);
      sig = 1f / (1f + e);
      comp = e / (1f + e);
    } else {
      float e = exp(s);
      sig = e / (1f + e);
      comp = 1f / (1f + e);
    }
    float lossPos = 0f;
    float lossNeg = 0f;
    float gradPos = 0f;
    float gradNeg = 0f;
    if (lossCode == LOSS_SQUARED) {
      lossPos = comp * comp;
      lossNeg = sig * sig;
      gradPos = -2f * sig * comp * comp;
      gradNeg = 2f * sig * sig * comp;
    } else {
      // bounded log loss: probabilities clamped to [eps, 1 - eps], zero gradient once saturated
      float pc = min(max(sig, logEps), 1f - logEps);
      float qc = min(max(comp, logEps), 1f - logEps);
      lossPos = -log(pc);
      lossNeg = -log(qc);
      if (sig >= logEps && comp >= logEps) {
        gradPos = -comp;
        gradNeg = sig;
      }
    }
    pairLoss[k] = wPos * lossPos + wNeg * lossNeg;
    pairCoef[k] = (wPos * gradPos + wNeg * gradNeg) * invNorm;
  }

  private void rowPass(int gid) {
    int r = gid / dim;
    int d = gid - r * dim;
    if (r < userRowCount) {
      int idx = userRowIds[r] * dim + d;
      float acc = userGrad[idx];
      int end = userRowStart[r + 1];
      for (int j = userRowStart[r]; j < end; j++) {
        int k = userRowPairs[j];
        acc += pairCoef[k] * itemTab[pairItem[k] * dim + d];
      }
      userGrad[idx] = acc;
    } else {
      int r2 = r - userRowCount;
      int idx = itemRowIds[r2] * dim + d;
      float acc = itemGrad[idx];
      int end = itemRowStart[r2 + 1];
      for (int j = itemRowStart[r2]; j < end; j++) {
        int k = itemRowPairs[j];
        acc += pairCoef[k] * userTab[pairUser[k] * dim + d];
      }
      itemGrad[idx] = acc;
    }
  }

  private void adamPass(int e) {
    if (e < userLen) {
      adamUser(e);
    } else {
      adamItem(e - userLen);
    }
  }

  private void sparseAdamPass(int gid) {
    int r = gid / dim;
    int d = gid - r * dim;
    if (r < touchedUserCount) {
      adamUser(touchedUsers[r] * dim + d);
    } else {
      adamItem(touchedItems[r - touchedUserCount] * dim + d);
    }
  }

  private void adamUser(int e) {
    float w = userTab[e];
    float g = userGrad[e] + l2 * w;
    float m = beta1 * userMom1[e] + (1f - beta1) * g;
    float v = beta2 * userMom2[e] + (1f - beta2) * g * g;
    userMom1[e] = m;
    userMom2[e] = v;
    userTab[e] = w - lrT * m / (sqrt(v) + adamEps);
    userGrad[e] = 0f;
  }

  private void adamItem(int k) {
    float w = itemTab[k];
    float g = itemGrad[k] + l2 * w;
    float m = beta1 * itemMom1[k] + (1f - beta1) * g;
    float v = beta2 * itemMom2[k] + (1f - beta2) * g * g;
    itemMom1[k] = m;
    itemMom2[k] = v;
    itemTab[k] = w - lrT * m / (sqrt(v) + adamEps);
    itemGrad[k] = 0f;
  }

  private void scorePass(int gid) {
    int k = gid / numItems;
    int i = gid - k * numItems;
    int pu = scoreUsers[k] * dim;
    int qi = i * dim;
    float s = 0f;
    for (int d = 0; d < dim; d++) {
      s += userTab[pu + d] * itemTab[qi + d];
    }
    scoreOut[gid] = s;
  }
}
