package io.relstream.core.accel;

import com.aparapi.Kernel;

/**
 * The one Aparapi kernel behind {@link OpenClAccel}: training and top-k scoring share its resident
 * tables (Aparapi gives each {@link Kernel} instance its own device buffers). The int {@link #pass}
 * field selects what {@link #run()} does. Aparapi translates {@link #run()} and the methods it calls to
 * OpenCL C, so only primitives, primitive array fields, {@code if}/{@code for}/{@code while} and
 * Kernel's math functions appear here (no {@code break}/{@code continue}, no float literals for
 * infinities: those come in fields). The class must keep its debug information.
 *
 * <p>Passes:
 * <ul>
 *   <li>{@link #PASS_TRAIN}: launched with one Aparapi pass per conflict-free round; work item g of
 *       pass r applies pair {@code roundStart[r] + g} (if below {@code roundStart[r + 1]}) with the rule
 *       of {@link PairRule} (SGD or Adam with per-row moments and counts). Skipped pairs are counted in
 *       {@code skipped[0]} with an atomic add.</li>
 *   <li>{@link #PASS_SCAN}: work item (b, c) scans its chunk of items for user b into a heap of
 *       {@code topK} entries at {@code outOff + gid * topK} in {@code candScore}/{@code candItem}; chunk c
 *       is items c, c + chunks, ... when {@code strided} is 1 (adjacent work items read adjacent rows, for
 *       GPUs), else a contiguous range (for CPUs). Seen items and NaN scores are skipped.</li>
 *   <li>{@link #PASS_MERGE}: work item (b, c) merges lists c * fanIn .. of user b from the input region
 *       into one heap in the output region; when {@code toFinal} is 1 (one list per user remains) it also
 *       copies it to {@code outScore}/{@code outItem}.</li>
 * </ul>
 * Heaps use {@link TopKHeap}'s order and sentinels (-&infin;, {@link TopKHeap#NO_ITEM}).
 */
final class AccelKernel extends Kernel {
  static final int PASS_NOOP = 0;
  static final int PASS_TRAIN = 1;
  static final int PASS_SCAN = 2;
  static final int PASS_MERGE = 3;
  static final int OPT_SGD = 0;
  static final int OPT_ADAM = 1;
  static final int LOSS_SQUARED = 0;

  int pass;
  int limit;
  int dim;
  int numItems;

  // ---- resident tables and optimizer state
  float[] userTab;
  float[] itemTab;
  float[] userM;
  float[] userV;
  float[] itemM;
  float[] itemV;
  int[] userSteps;
  int[] itemSteps;
  float[] stepSizes;
  int tCap;

  // ---- training batch (sent per call) and rule
  int[] bUser;
  int[] bItem;
  float[] bLabel;
  float[] bTheta;
  int[] roundStart;
  int[] skipped;
  int optimizer;
  int lossCode;
  float clip;
  float negWeight;
  float thetaFloor;
  float logEps;
  float lr;
  float l2;
  float beta1;
  float beta2;
  float adamEps;

  // ---- scoring
  int[] sUsers;
  int[] seenStart;
  int[] seenItems;
  int topK;
  int chunks;
  int strided;
  int listsIn;
  int listsOut;
  int fanIn;
  int inOff;
  int outOff;
  int toFinal;
  float negInf;
  int noItem;
  float[] candScore;
  int[] candItem;
  float[] outScore;
  int[] outItem;

  @Override
  public void run() {
    int gid = getGlobalId();
    if (pass == PASS_TRAIN) {
      int r = getPassId();
      int k = roundStart[r] + gid;
      if (k < roundStart[r + 1]) {
        trainPair(k);
      }
    } else if (gid < limit) {
      if (pass == PASS_SCAN) {
        scan(gid);
      } else if (pass == PASS_MERGE) {
        merge(gid);
      }
    }
  }

  // ------------------------------------------------------------------ training

  private void trainPair(int k) {
    int u = bUser[k];
    int i = bItem[k];
    float label = bLabel[k];
    float theta = bTheta[k];
    int pu = u * dim;
    int qi = i * dim;
    float s = 0f;
    for (int d = 0; d < dim; d++) {
      s += userTab[pu + d] * itemTab[qi + d];
    }
    int valid = 1;
    float lz = label - label; // NaN for NaN or infinite labels
    if (lz != 0f) {
      valid = 0;
    }
    if (label < 0f) {
      valid = 0;
    }
    if (label > 0f) {
      if (theta != theta) {
        valid = 0;
      }
    }
    float sz = s - s;
    if (sz != 0f) {
      valid = 0;
    }
    float g = 0f;
    if (valid == 1) {
      g = coefficient(s, label, theta);
      float gz = g - g;
      if (gz != 0f) {
        valid = 0;
      }
    }
    if (valid == 1) {
      if (optimizer == OPT_SGD) {
        sgd(pu, qi, g);
      } else {
        adam(u, i, pu, qi, g);
      }
    } else {
      atomicAdd(skipped, 0, 1);
    }
  }

  /** d/ds of w l+(s) + c (1 - w) l-(s), in float (see {@link PairRule}). */
  private float coefficient(float s, float label, float theta) {
    float wPos = 0f;
    if (label > 0f) {
      wPos = label / max(max(theta, clip), thetaFloor);
    }
    float wNeg = negWeight * (1f - wPos);
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
    float gradPos = 0f;
    float gradNeg = 0f;
    if (lossCode == LOSS_SQUARED) {
      gradPos = -2f * sig * comp * comp;
      gradNeg = 2f * sig * sig * comp;
    } else {
      if (sig >= logEps) {
        if (comp >= logEps) {
          gradPos = -comp;
          gradNeg = sig;
        }
      }
    }
    return wPos * gradPos + wNeg * gradNeg;
  }

  private void sgd(int pu, int qi, float g) {
    for (int d = 0; d < dim; d++) {
      float pv = userTab[pu + d];
      float qv = itemTab[qi + d];
      userTab[pu + d] = pv - lr * (g * qv + l2 * pv);
      itemTab[qi + d] = qv - lr * (g * pv + l2 * qv);
    }
  }

  private void adam(int u, int i, int pu, int qi, float g) {
    int tu = min(tCap, userSteps[u] + 1);
    int ti = min(tCap, itemSteps[i] + 1);
    userSteps[u] = tu;
    itemSteps[i] = ti;
    float lrU = stepSizes[tu];
    float lrI = stepSizes[ti];
    for (int d = 0; d < dim; d++) {
      float pv = userTab[pu + d];
      float qv = itemTab[qi + d];
      float gp = g * qv + l2 * pv;
      float gq = g * pv + l2 * qv;
      float mp = beta1 * userM[pu + d] + (1f - beta1) * gp;
      float vp = beta2 * userV[pu + d] + (1f - beta2) * gp * gp;
      float mq = beta1 * itemM[qi + d] + (1f - beta1) * gq;
      float vq = beta2 * itemV[qi + d] + (1f - beta2) * gq * gq;
      userM[pu + d] = mp;
      userV[pu + d] = vp;
      itemM[qi + d] = mq;
      itemV[qi + d] = vq;
      userTab[pu + d] = pv - lrU * mp / (sqrt(vp) + adamEps);
      itemTab[qi + d] = qv - lrI * mq / (sqrt(vq) + adamEps);
    }
  }

  // ------------------------------------------------------------------ scoring

  private void scan(int gid) {
    int b = gid / chunks;
    int c = gid - b * chunks;
    int base = outOff + gid * topK;
    initHeap(base);
    int pu = sUsers[b] * dim;
    int first = c;
    int step = chunks;
    int end = numItems;
    if (strided == 0) {
      int per = (numItems + chunks - 1) / chunks;
      first = c * per;
      step = 1;
      end = min(numItems, first + per);
    }
    int sp = seenStart[b];
    int se = seenStart[b + 1];
    for (int i = first; i < end; i += step) {
      int qi = i * dim;
      float s = 0f;
      for (int d = 0; d < dim; d++) {
        s += userTab[pu + d] * itemTab[qi + d];
      }
      int moving = 1;
      while (moving == 1) {
        moving = 0;
        if (sp < se) {
          if (seenItems[sp] < i) {
            sp++;
            moving = 1;
          }
        }
      }
      int take = 1;
      if (sp < se) {
        if (seenItems[sp] == i) {
          take = 0;
        }
      }
      if (s != s) {
        take = 0;
      }
      if (take == 1) {
        offer(base, s, i);
      }
    }
  }

  private void merge(int gid) {
    int b = gid / listsOut;
    int c = gid - b * listsOut;
    int base = outOff + gid * topK;
    initHeap(base);
    int lFrom = c * fanIn;
    int lTo = min(listsIn, lFrom + fanIn);
    for (int l = lFrom; l < lTo; l++) {
      int src = inOff + (b * listsIn + l) * topK;
      for (int j = 0; j < topK; j++) {
        int item = candItem[src + j];
        if (item != noItem) {
          offer(base, candScore[src + j], item);
        }
      }
    }
    if (toFinal == 1) {
      for (int j = 0; j < topK; j++) {
        outScore[b * topK + j] = candScore[base + j];
        outItem[b * topK + j] = candItem[base + j];
      }
    }
  }

  private void initHeap(int base) {
    for (int j = 0; j < topK; j++) {
      candScore[base + j] = negInf;
      candItem[base + j] = noItem;
    }
  }

  /** Replaces the root (the worst) by (s, item) when (s, item) is better, and sifts it down. */
  private void offer(int base, float s, int item) {
    float rs = candScore[base];
    int ri = candItem[base];
    int better = 0;
    if (s > rs) {
      better = 1;
    } else if (s == rs) {
      if (item < ri) {
        better = 1;
      }
    }
    if (better == 1) {
      int pos = 0;
      int moving = 1;
      while (moving == 1) {
        moving = 0;
        int l = 2 * pos + 1;
        if (l < topK) {
          int w = l;
          int r = l + 1;
          if (r < topK) {
            // take the worse child: r is worse than l when l is better than r
            float ls = candScore[base + l];
            float rsc = candScore[base + r];
            if (ls > rsc) {
              w = r;
            } else if (ls == rsc) {
              if (candItem[base + l] < candItem[base + r]) {
                w = r;
              }
            }
          }
          float cs = candScore[base + w];
          int ci = candItem[base + w];
          int up = 0;
          if (s > cs) {
            up = 1;
          } else if (s == cs) {
            if (item < ci) {
              up = 1;
            }
          }
          if (up == 1) {
            candScore[base + pos] = cs;
            candItem[base + pos] = ci;
            pos = w;
            moving = 1;
          }
        }
      }
      candScore[base + pos] = s;
      candItem[base + pos] = item;
    }
  }
}
