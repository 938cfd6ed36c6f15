package io.relstream.core.metrics;

import io.relstream.core.data.Ratings;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Ranking metrics over a test set, each user ranking only that user's test items by score.
 *
 * <h2>Paper protocol (verbatim from the Rel-MF reference evaluation)</h2>
 * Relevance rel = 0.001 + 0.999 [rating &gt;= 4]; with the user's items sorted by descending score and
 * ranks j = 1..K (K capped at the number of the user's items):
 * <pre>
 *   DCG@K    = rel_1 + sum_{j=2..K} rel_j / log2(j)        (ranks 1 and 2 undiscounted, not normalised)
 *   Recall@K = sum_{j&lt;=K} rel_j / sum_{all test items of the user} rel
 *   MAP@K    = sum_{j&lt;=K, rating_j &gt;= 4} (sum_{l&lt;=j} rel_l) / j
 * </pre>
 * each averaged over all test users, those without a relevant item included.
 *
 * <h2>Standard protocol</h2>
 * Binary relevance [rating &gt;= 4], over users with at least one relevant test item:
 * nDCG@K = DCG/IDCG with DCG = sum_{j&lt;=K} rel_j / log2(j + 1), and StdRecall@K = (relevant items in
 * the top K) / (relevant items of the user).
 */
public final class RankingMetrics {
  private RankingMetrics() {}

  /** Scores a (user, item) pair; higher ranks first. */
  @FunctionalInterface
  public interface Scorer {
    float score(int user, int item);
  }

  /** Metric keys in report order for the given cut-offs. */
  public static String[] keys(int[] ks) {
    String[] fam = {"DCG", "Recall", "MAP", "nDCG", "StdRecall"};
    String[] out = new String[fam.length * ks.length];
    int n = 0;
    for (String f : fam) {
      for (int k : ks) {
        out[n++] = f + "@" + k;
      }
    }
    return out;
  }

  public static Map<String, Double> evaluate(TestSet test, Scorer scorer, int[] ks) {
    double[][] paper = new double[3][ks.length];
    double[][] standard = new double[2][ks.length];
    int standardUsers = 0;
    int[] order = new int[test.maxItemsPerUser()];
    float[] scores = new float[order.length];
    for (int s = 0; s < test.userCount(); s++) {
      int from = test.offsets[s];
      int n = rank(test, s, scorer, scores, order);
      double relTotal = 0;
      int relevantCount = 0;
      for (int k = 0; k < n; k++) {
        boolean relevant = test.ratings[from + k] >= Ratings.RELEVANT_AT;
        relTotal += paperRel(relevant);
        if (relevant) relevantCount++;
      }
      for (int c = 0; c < ks.length; c++) {
        int cut = Math.min(ks[c], n);
        double dcg = 0;
        double recall = 0;
        double map = 0;
        double cumRel = 0;
        double ndcg = 0;
        int hits = 0;
        for (int j = 1; j <= cut; j++) {
          boolean relevant = test.ratings[from + order[j - 1]] >= Ratings.RELEVANT_AT;
          double rel = paperRel(relevant);
          dcg += j == 1 ? rel : rel / log2(j);
          recall += rel;
          cumRel += rel;
          if (relevant) {
            map += cumRel / j;
            ndcg += 1 / log2(j + 1);
            hits++;
          }
        }
        paper[0][c] += dcg;
        paper[1][c] += recall / relTotal;
        paper[2][c] += map;
        if (relevantCount > 0) {
          double ideal = 0;
          for (int j = 1; j <= Math.min(ks[c], relevantCount); j++) {
            ideal += 1 / log2(j + 1);
          }
          standard[0][c] += ndcg / ideal;
          standard[1][c] += (double) hits / relevantCount;
        }
      }
      if (relevantCount > 0) standardUsers++;
    }
    Map<String, Double> out = new LinkedHashMap<>();
    int users = test.userCount();
    String[] paperNames = {"DCG", "Recall", "MAP"};
    String[] standardNames = {"nDCG", "StdRecall"};
    for (int f = 0; f < 3; f++) {
      for (int c = 0; c < ks.length; c++) {
        out.put(paperNames[f] + "@" + ks[c], users == 0 ? Double.NaN : paper[f][c] / users);
      }
    }
    for (int f = 0; f < 2; f++) {
      for (int c = 0; c < ks.length; c++) {
        out.put(standardNames[f] + "@" + ks[c],
            standardUsers == 0 ? Double.NaN : standard[f][c] / standardUsers);
      }
    }
    return out;
  }

  /** Whether a (user, item) pair is excluded from ranking (e.g. a training click). */
  @FunctionalInterface
  public interface PairFilter {
    boolean excluded(int user, int item);
  }

  /**
   * The tuning criterion: an IPS-weighted DCG@K on a (missing-not-at-random) validation split. Each
   * validation user with a relevant item ranks <em>every</em> item except the excluded ones (the
   * user's training clicks); a relevant validation item i at rank j &lt;= K adds
   * w_i / disc(j) with w_i = 1 / max(&theta;_i, floor) and the paper protocol's discount (ranks 1 and 2
   * undiscounted, then log2 j). Ranks count ties pessimistically (rank = 1 + items scoring at least as
   * high). Averaged over those users. Weighting by inverse propensity estimates the DCG the model
   * would get on missing-at-random data; ranking against the whole catalogue (not only the few rated
   * validation items of a user) keeps it sensitive to the order.
   */
  public static double ipsWeightedDcg(TestSet validation, Scorer scorer, float[] itemTheta,
      double floor, int k, PairFilter excluded) {
    int numItems = itemTheta.length;
    float[] scores = new float[numItems];
    boolean[] candidate = new boolean[numItems];
    double total = 0;
    int users = 0;
    for (int s = 0; s < validation.userCount(); s++) {
      int from = validation.offsets[s];
      int to = validation.offsets[s + 1];
      boolean any = false;
      for (int j = from; j < to; j++) {
        any |= validation.ratings[j] >= Ratings.RELEVANT_AT;
      }
      if (!any) continue;
      users++;
      int user = validation.users[s];
      for (int i = 0; i < numItems; i++) {
        candidate[i] = !excluded.excluded(user, i);
        scores[i] = candidate[i] ? scorer.score(user, i) : 0f;
      }
      for (int j = from; j < to; j++) {
        int item = validation.items[j];
        if (validation.ratings[j] < Ratings.RELEVANT_AT || !candidate[item]) continue;
        float mine = scores[item];
        int rank = 1;
        for (int i = 0; i < numItems && rank <= k; i++) {
          if (i != item && candidate[i] && scores[i] >= mine) rank++;
        }
        if (rank <= k) {
          double gain = 1.0 / Math.max(itemTheta[item], floor);
          total += rank <= 2 ? gain : gain / log2(rank);
        }
      }
    }
    return users == 0 ? Double.NaN : total / users;
  }

  static double paperRel(boolean relevant) {
    return 0.001 + 0.999 * (relevant ? 1 : 0);
  }

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }

  /**
   * Scores the test items of user slot {@code s} into {@code scores} and leaves in {@code order} their
   * offsets (relative to the slot's first entry) by descending score; returns the item count.
   */
  private static int rank(TestSet t, int s, Scorer scorer, float[] scores, int[] order) {
    int from = t.offsets[s];
    int n = t.offsets[s + 1] - from;
    for (int k = 0; k < n; k++) {
      scores[k] = scorer.score(t.users[s], t.items[from + k]);
      order[k] = k;
    }
    sortByScoreDescending(order, scores, t.ratings, from, n);
    return n;
  }

  /**
   * Insertion sort of order[0..n) by descending score. Ties are broken pessimistically: among equal
   * scores the less relevant item ranks first, so a model that cannot tell items apart (for example
   * one whose factors collapsed to zero) gets no credit from the order the test items happen to be
   * stored in.
   */
  private static void sortByScoreDescending(int[] order, float[] scores, byte[] ratings, int from, int n) {
    for (int a = 1; a < n; a++) {
      int v = order[a];
      float sv = scores[v];
      int b = a - 1;
      while (b >= 0 && (scores[order[b]] < sv
          || (scores[order[b]] == sv && ratings[from + order[b]] > ratings[from + v]))) {
        order[b + 1] = order[b];
        b--;
      }
      order[b + 1] = v;
    }
  }

}
