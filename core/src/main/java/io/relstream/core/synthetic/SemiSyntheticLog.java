package io.relstream.core.synthetic;

import java.util.SplittableRandom;

/**
 * A semi-synthetic implicit-feedback log with known truth, following the click model of Rel-MF:
 * <pre>
 *   O_{u,i} ~ Bernoulli(&theta;_{u,i}),   R_{u,i} ~ Bernoulli(&gamma;_{u,i}),   Y_{u,i} = O_{u,i} R_{u,i}
 *   so P(Y_{u,i} = 1) = &theta;_{u,i} &gamma;_{u,i}
 * </pre>
 * with O and R independent, and independent across pairs. The truth is
 * <pre>
 *   &gamma;_{u,i} = &sigma;(a (p_u . q_i) / sqrt(k) + b)                         in (0, 1)
 *   &theta;_{u,i} = max(&theta;_min, &theta;_max * act_u * (1 + rank_i)^(-&alpha;))      in [&theta;_min, &theta;_max]
 * </pre>
 * where p_u, q_i in R^k have independent standard normal entries (so p_u . q_i / sqrt(k) has variance
 * 1), a = {@code relevanceScale}, b = {@code relevanceOffset}, rank_i in {0 .. numItems - 1} is the
 * popularity rank of item i (a seeded random permutation; rank 0 is the most exposed item), &alpha; =
 * {@code popularityExponent} makes exposure a power law of popularity, and act_u in [1/2, 1) is a
 * user's activity. With &alpha; = 1 and 1,000 items, the least popular items are shown about 1,000
 * times less often than the most popular ones.
 *
 * <p><b>Purity.</b> Everything is a pure function of (parameters, truthSeed) for the truth and of
 * (parameters, truthSeed, sampleSeed) for the sample, independent of iteration order: each user's
 * factors and activity come from a {@link SplittableRandom} seeded with a hash of (truthSeed, tag,
 * u), each item's factors likewise, the popularity ranks from a permutation seeded with (truthSeed,
 * numItems), and the two uniforms deciding O_{u,i} and R_{u,i} from a {@link SplittableRandom} seeded
 * with a hash of (truthSeed, sampleSeed, u, i). So the same user and item have the same truth in a log
 * with more users, and Monte Carlo over sample seeds keeps the truth fixed.
 *
 * <p>Matrices are dense, row-major (pair (u, i) at u * numItems + i); memory is 9 bytes per pair.
 */
public final class SemiSyntheticLog {

  /**
   * Generator parameters.
   *
   * @param numUsers number of users, &gt; 0
   * @param numItems number of items, &gt; 0
   * @param rank k, the latent dimension of the relevance model, &gt; 0
   * @param relevanceScale a &ge; 0: spread of the relevance logits
   * @param relevanceOffset b: the relevance logit of an average pair (negative makes relevance sparse)
   * @param popularityExponent &alpha; &ge; 0: exposure power law; 0 makes exposure independent of item
   * @param maxExposure &theta;_max in (0, 1]
   * @param minExposure &theta;_min in (0, &theta;_max]; keep it above the estimator's floor 1e-6
   */
  public record Params(
      int numUsers,
      int numItems,
      int rank,
      double relevanceScale,
      double relevanceOffset,
      double popularityExponent,
      double maxExposure,
      double minExposure) {

    public Params {
      if (numUsers <= 0 || numItems <= 0 || rank <= 0) {
        throw new IllegalArgumentException(
            "users, items and rank must be positive: " + numUsers + ", " + numItems + ", " + rank);
      }
      Math.multiplyExact(numUsers, numItems); // dense matrices must be indexable by int
      if (!(relevanceScale >= 0) || Double.isInfinite(relevanceScale) || !Double.isFinite(relevanceOffset)) {
        throw new IllegalArgumentException("relevance scale must be >= 0 and offset finite");
      }
      if (!(popularityExponent >= 0) || Double.isInfinite(popularityExponent)) {
        throw new IllegalArgumentException("popularity exponent must be >= 0, got " + popularityExponent);
      }
      if (!(maxExposure > 0 && maxExposure <= 1)) {
        throw new IllegalArgumentException("max exposure must be in (0, 1], got " + maxExposure);
      }
      if (!(minExposure > 0 && minExposure <= maxExposure)) {
        throw new IllegalArgumentException("min exposure must be in (0, max exposure], got " + minExposure);
      }
    }

    /**
     * Defaults: k = 4, a = 2, b = -1.5 (mean relevance about 0.25), &alpha; = 1, &theta;_max = 0.9,
     * &theta;_min = 0.001.
     */
    public static Params defaults(int numUsers, int numItems) {
      return new Params(numUsers, numItems, 4, 2.0, -1.5, 1.0, 0.9, 0.001);
    }
  }

  private static final long TAG_USER = 0x5553455246414354L;
  private static final long TAG_ITEM = 0x4954454d46414354L;
  private static final long TAG_RANK = 0x504f5052414e4b53L;
  private static final long TAG_SAMPLE = 0x53414d504c455321L;

  private final Params params;
  private final long truthSeed;
  private final long sampleSeed;
  /** &gamma; and &theta;, shared (never written) between logs of the same truth. */
  private final float[] gamma;
  private final float[] theta;
  private final int[] popularityRank;
  /** Bit 0: O, bit 1: R. */
  private final byte[] outcome;
  private final int clickCount;

  private SemiSyntheticLog(
      Params params, long truthSeed, long sampleSeed, float[] gamma, float[] theta, int[] popularityRank) {
    this.params = params;
    this.truthSeed = truthSeed;
    this.sampleSeed = sampleSeed;
    this.gamma = gamma;
    this.theta = theta;
    this.popularityRank = popularityRank;
    int items = params.numItems();
    this.outcome = new byte[gamma.length];
    long pairSeed = mix(mix(truthSeed, TAG_SAMPLE), sampleSeed);
    int clicks = 0;
    for (int u = 0; u < params.numUsers(); u++) {
      for (int i = 0; i < items; i++) {
        int k = u * items + i;
        SplittableRandom rng = new SplittableRandom(mix(mix(pairSeed, u), i));
        boolean o = rng.nextDouble() < theta[k];
        boolean r = rng.nextDouble() < gamma[k];
        outcome[k] = (byte) ((o ? 1 : 0) | (r ? 2 : 0));
        if (o && r) {
          clicks++;
        }
      }
    }
    this.clickCount = clicks;
  }

  /** The log with truth and sample both drawn from {@code seed}. */
  public static SemiSyntheticLog generate(Params params, long seed) {
    return generate(params, seed, seed);
  }

  /** The log whose truth is drawn from {@code truthSeed} and whose O and R from {@code sampleSeed}. */
  public static SemiSyntheticLog generate(Params params, long truthSeed, long sampleSeed) {
    int users = params.numUsers();
    int items = params.numItems();
    int k = params.rank();
    double[] q = new double[items * k];
    for (int i = 0; i < items; i++) {
      gaussians(new SplittableRandom(mix(mix(truthSeed, TAG_ITEM), i)), q, i * k, k);
    }
    int[] rank = popularityRanks(truthSeed, items);
    double[] pop = new double[items];
    for (int i = 0; i < items; i++) {
      pop[i] = Math.pow(1.0 + rank[i], -params.popularityExponent());
    }
    float[] gamma = new float[users * items];
    float[] theta = new float[users * items];
    double[] p = new double[k];
    double norm = 1.0 / Math.sqrt(k);
    for (int u = 0; u < users; u++) {
      SplittableRandom rng = new SplittableRandom(mix(mix(truthSeed, TAG_USER), u));
      gaussians(rng, p, 0, k);
      double activity = 0.5 + 0.5 * rng.nextDouble();
      for (int i = 0; i < items; i++) {
        double dot = 0;
        for (int d = 0; d < k; d++) {
          dot += p[d] * q[i * k + d];
        }
        double logit = params.relevanceScale() * dot * norm + params.relevanceOffset();
        gamma[u * items + i] = (float) (1.0 / (1.0 + Math.exp(-logit)));
        double t = params.maxExposure() * activity * pop[i];
        theta[u * items + i] = (float) Math.max(params.minExposure(), t);
      }
    }
    return new SemiSyntheticLog(params, truthSeed, sampleSeed, gamma, theta, rank);
  }

  /** A new sample (O, R, Y) of the same truth, drawn from {@code newSampleSeed}. */
  public SemiSyntheticLog withSample(long newSampleSeed) {
    return new SemiSyntheticLog(params, truthSeed, newSampleSeed, gamma, theta, popularityRank);
  }

  public Params params() {
    return params;
  }

  public long truthSeed() {
    return truthSeed;
  }

  public long sampleSeed() {
    return sampleSeed;
  }

  public int numUsers() {
    return params.numUsers();
  }

  public int numItems() {
    return params.numItems();
  }

  /** Number of (user, item) pairs, numUsers * numItems. */
  public int numPairs() {
    return gamma.length;
  }

  /** True relevance probability &gamma;_{u,i} in (0, 1). */
  public float gamma(int user, int item) {
    return gamma[index(user, item)];
  }

  /** True exposure probability &theta;_{u,i} in [&theta;_min, &theta;_max]. */
  public float theta(int user, int item) {
    return theta[index(user, item)];
  }

  /** Popularity rank of an item, 0 = most exposed. */
  public int popularityRank(int item) {
    return popularityRank[item];
  }

  /** O_{u,i}: whether the pair was exposed in this sample. */
  public boolean observed(int user, int item) {
    return (outcome[index(user, item)] & 1) != 0;
  }

  /** R_{u,i}: whether the pair is relevant in this sample. */
  public boolean relevant(int user, int item) {
    return (outcome[index(user, item)] & 2) != 0;
  }

  /** Y_{u,i} = O_{u,i} R_{u,i}. */
  public boolean clicked(int user, int item) {
    return outcome[index(user, item)] == 3;
  }

  /** Y_{u,i} as the estimator's label, 1 or 0. */
  public float label(int user, int item) {
    return clicked(user, item) ? 1f : 0f;
  }

  /** Number of clicks, sum of Y. */
  public int clickCount() {
    return clickCount;
  }

  /** Clicks per item, n_i = sum over u of Y_{u,i}. */
  public long[] itemClickCounts() {
    long[] n = new long[numItems()];
    for (int k = 0; k < outcome.length; k++) {
      if (outcome[k] == 3) {
        n[k % numItems()]++;
      }
    }
    return n;
  }

  /** Users of the clicked pairs, row-major order; parallel to {@link #clickItems()}. */
  public int[] clickUsers() {
    int[] out = new int[clickCount];
    int c = 0;
    for (int k = 0; k < outcome.length; k++) {
      if (outcome[k] == 3) {
        out[c++] = k / numItems();
      }
    }
    return out;
  }

  /** Items of the clicked pairs, row-major order; parallel to {@link #clickUsers()}. */
  public int[] clickItems() {
    int[] out = new int[clickCount];
    int c = 0;
    for (int k = 0; k < outcome.length; k++) {
      if (outcome[k] == 3) {
        out[c++] = k % numItems();
      }
    }
    return out;
  }

  private int index(int user, int item) {
    if (user < 0 || user >= numUsers() || item < 0 || item >= numItems()) {
      throw new IndexOutOfBoundsException("pair (" + user + ", " + item + ") outside "
          + numUsers() + " x " + numItems());
    }
    return user * numItems() + item;
  }

  /** A seeded Fisher-Yates permutation: rank[i] is item i's popularity rank. */
  private static int[] popularityRanks(long truthSeed, int items) {
    int[] rank = new int[items];
    for (int i = 0; i < items; i++) {
      rank[i] = i;
    }
    SplittableRandom rng = new SplittableRandom(mix(mix(truthSeed, TAG_RANK), items));
    for (int i = items - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = rank[i];
      rank[i] = rank[j];
      rank[j] = t;
    }
    return rank;
  }

  /** n standard normals by Box-Muller (spelled out so the stream does not depend on the JDK). */
  private static void gaussians(SplittableRandom rng, double[] out, int offset, int n) {
    for (int d = 0; d < n; d += 2) {
      double u1 = 1.0 - rng.nextDouble(); // (0, 1]
      double u2 = rng.nextDouble();
      double r = Math.sqrt(-2.0 * Math.log(u1));
      out[offset + d] = r * Math.cos(2 * Math.PI * u2);
      if (d + 1 < n) {
        out[offset + d + 1] = r * Math.sin(2 * Math.PI * u2);
      }
    }
  }

  /** Hash of (h, x): the SplitMix64 finaliser of h + golden * (x + 1), chained. */
  static long mix(long h, long x) {
    long z = h + 0x9E3779B97F4A7C15L * (x + 1);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
