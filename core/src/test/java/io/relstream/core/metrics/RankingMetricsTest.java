package io.relstream.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.relstream.core.data.Ratings;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RankingMetricsTest {
  static final double LOG2_3 = Math.log(3) / Math.log(2);

  /**
   * User 0 has items 0..3 with ratings 5, 1, 4, 2; scores rank them 2, 0, 3, 1 (item 2 first).
   * User 1 has items 0..1, both rated 1 (no relevant item). Relevance: 1 for rating >= 4 else 0.001.
   */
  static Map<String, Double> example() {
    Ratings r = new Ratings(new int[] {0, 0, 0, 0, 1, 1}, new int[] {0, 1, 2, 3, 0, 1},
        new byte[] {5, 1, 4, 2, 1, 1});
    float[][] score = {{0.5f, -1f, 0.9f, 0.1f}, {0.2f, 0.3f}};
    return RankingMetrics.evaluate(TestSet.of(r, 2), (u, i) -> score[u][i], new int[] {1, 3, 5});
  }

  @Test
  void paperProtocolByHand() {
    Map<String, Double> m = example();
    // User 0, ranked rels: 1 (item 2), 1 (item 0), 0.001 (item 3), 0.001 (item 1).
    double u0dcg1 = 1;
    double u0dcg3 = 1 + 1 / 1.0 + 0.001 / LOG2_3; // ranks 1 and 2 undiscounted (log2(2) = 1)
    double u0dcg5 = u0dcg3 + 0.001 / 2; // rank 4: log2(4) = 2; only 4 items
    // User 1: rels 0.001, 0.001.
    double u1dcg1 = 0.001;
    double u1dcg3 = 0.002;
    assertEquals((u0dcg1 + u1dcg1) / 2, m.get("DCG@1"), 1e-12);
    assertEquals((u0dcg3 + u1dcg3) / 2, m.get("DCG@3"), 1e-12);
    assertEquals((u0dcg5 + u1dcg3) / 2, m.get("DCG@5"), 1e-12);
    double u0total = 2.002;
    assertEquals((1 / u0total + 0.5) / 2, m.get("Recall@1"), 1e-12);
    assertEquals((2.001 / u0total + 1.0) / 2, m.get("Recall@3"), 1e-12);
    // MAP@K: over relevant ranks j of sum_{l<=j} rel_l / j: j=1 -> 1/1, j=2 -> 2/2.
    assertEquals((1.0 + 0) / 2, m.get("MAP@1"), 1e-12);
    assertEquals((2.0 + 0) / 2, m.get("MAP@3"), 1e-12);
  }

  @Test
  void standardProtocolSkipsUsersWithoutRelevantItems() {
    Map<String, Double> m = example();
    // Only user 0 counts; both relevant items are ranked first: perfect nDCG and recall at 3.
    assertEquals(1.0, m.get("nDCG@1"), 1e-12);
    assertEquals(1.0, m.get("nDCG@5"), 1e-12);
    assertEquals(0.5, m.get("StdRecall@1"), 1e-12);
    assertEquals(1.0, m.get("StdRecall@3"), 1e-12);
  }

  @Test
  void worseRankingScoresLower() {
    Ratings r = new Ratings(new int[] {0, 0, 0}, new int[] {0, 1, 2}, new byte[] {5, 1, 1});
    int[] ks = {1};
    double good = RankingMetrics.evaluate(TestSet.of(r, 1), (u, i) -> i == 0 ? 1 : 0, ks).get("nDCG@1");
    double bad = RankingMetrics.evaluate(TestSet.of(r, 1), (u, i) -> i == 0 ? -1 : 0, ks).get("nDCG@1");
    assertEquals(1.0, good, 0);
    assertEquals(0.0, bad, 0);
  }

  @Test
  void tiesAreBrokenPessimistically() {
    // Relevant item stored first; all scores equal: it must not be credited with rank 1.
    Ratings r = new Ratings(new int[] {0, 0, 0}, new int[] {0, 1, 2}, new byte[] {5, 1, 2});
    Map<String, Double> m = RankingMetrics.evaluate(TestSet.of(r, 1), (u, i) -> 0f, new int[] {1, 3});
    assertEquals(0.0, m.get("nDCG@1"), 0);
    assertEquals(0.001, m.get("DCG@1"), 1e-12);
    assertEquals(0.0, m.get("StdRecall@1"), 0);
    assertEquals(1.0, m.get("StdRecall@3"), 0);
  }

  @Test
  void ipsWeightedDcgRanksAgainstTheWholeCatalogue() {
    // One user, 4 items; item 3 is a training click (excluded). Validation: item 0 relevant, item 1 not.
    Ratings r = new Ratings(new int[] {0, 0}, new int[] {0, 1}, new byte[] {5, 1});
    float[] theta = {0.25f, 1f, 1f, 1f};
    RankingMetrics.PairFilter train = (u, i) -> i == 3;
    // Scores put item 3 (excluded) and item 2 above item 0: item 0 ranks 2nd among candidates {0, 1, 2}.
    float[] sc = {0.5f, 0.1f, 0.9f, 5f};
    double v = RankingMetrics.ipsWeightedDcg(TestSet.of(r, 1), (u, i) -> sc[i], theta, 0.01, 5, train);
    assertEquals(4.0, v, 1e-9); // gain 1 / 0.25, rank 2 undiscounted
    float[] low = {0.0f, 0.1f, 0.9f, 5f}; // item 0 now 3rd: discount log2(3)
    v = RankingMetrics.ipsWeightedDcg(TestSet.of(r, 1), (u, i) -> low[i], theta, 0.01, 5, train);
    assertEquals(4.0 / LOG2_3, v, 1e-9);
    v = RankingMetrics.ipsWeightedDcg(TestSet.of(r, 1), (u, i) -> low[i], theta, 0.01, 2, train);
    assertEquals(0.0, v, 0); // outside the top 2
    // Ties are pessimistic: all equal scores put item 0 at rank 3 of 3.
    v = RankingMetrics.ipsWeightedDcg(TestSet.of(r, 1), (u, i) -> 0f, theta, 0.01, 5, train);
    assertEquals(4.0 / LOG2_3, v, 1e-9);
    float[] tiny = {0.001f, 1f, 1f, 1f};
    v = RankingMetrics.ipsWeightedDcg(TestSet.of(r, 1), (u, i) -> sc[i], tiny, 0.01, 5, train);
    assertEquals(100.0, v, 1e-6); // theta floored at 0.01
  }
}
