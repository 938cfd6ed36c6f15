package io.relstream.core.propensity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** {@link EpsilonSlots}: the closed-form inclusion probabilities against Monte Carlo, and the eligible set. */
class EpsilonSlotsTest {

  @Test
  void inclusionFrequenciesMatchTheClosedForm() {
    int count = 40;
    int[] excluded = {3, 17, 39};
    int[] greedy = {5, 0, 22, 31, 8};
    EpsilonSlots policy = new EpsilonSlots(0.3);
    EpsilonSlots.Others others = EpsilonSlots.outside(count, excluded, greedy);
    int eligible = count - excluded.length;
    assertEquals(eligible - greedy.length, others.count());
    SplittableRandom rng = new SplittableRandom(11);
    int runs = 200_000;
    long[] shown = new long[count];
    long[] exploredSlots = new long[greedy.length];
    for (int r = 0; r < runs; r++) {
      boolean[] explored = new boolean[greedy.length];
      int[] list = policy.choose(greedy, others, rng, explored);
      Set<Integer> distinct = new HashSet<>();
      for (int s = 0; s < list.length; s++) {
        assertTrue(distinct.add(list[s]), "an item shown twice in one list");
        assertEquals(!explored[s], list[s] == greedy[s], "explored marks exactly the replaced slots");
        shown[list[s]]++;
        if (explored[s]) {
          exploredSlots[s]++;
        }
      }
    }
    double pGreedy = policy.greedyInclusion(greedy.length, eligible);
    double pOther = policy.otherInclusion(greedy.length, eligible);
    assertEquals(0.7, pGreedy, 1e-12);
    assertEquals(5 * 0.3 / 32, pOther, 1e-12);
    for (int i = 0; i < count; i++) {
      double f = shown[i] / (double) runs;
      int item = i;
      boolean isGreedy = IntStream.of(greedy).anyMatch(g -> g == item);
      boolean isExcluded = IntStream.of(excluded).anyMatch(x -> x == item);
      double want = isExcluded ? 0 : isGreedy ? pGreedy : pOther;
      double se = Math.sqrt(Math.max(want * (1 - want), 1e-9) / runs);
      assertEquals(want, f, 5 * se + 1e-9, "item " + i + " shown " + f + ", closed form " + want);
    }
    for (long e : exploredSlots) {
      assertEquals(0.3, e / (double) runs, 0.005, "each slot explored with probability epsilon");
    }
  }

  @Test
  void withFewerOthersThanSlotsTheBinomialSumIsExact() {
    // 8 greedy slots, 3 others: R > 3 happens often; closed form E[min(R, 3)]
    int[] greedy = {0, 1, 2, 3, 4, 5, 6, 7};
    EpsilonSlots policy = new EpsilonSlots(0.6);
    EpsilonSlots.Others others = EpsilonSlots.outside(11, new int[0], greedy);
    SplittableRandom rng = new SplittableRandom(4);
    int runs = 200_000;
    long[] shown = new long[11];
    for (int r = 0; r < runs; r++) {
      for (int i : policy.choose(greedy, others, rng, new boolean[8])) {
        shown[i]++;
      }
    }
    double pg = policy.greedyInclusion(8, 11);
    double po = policy.otherInclusion(8, 11);
    assertTrue(po < 1 && po > 0.9, "others are nearly always shown: " + po);
    assertEquals(8, 8 * pg + 3 * po, 1e-9, "the list always holds 8 items");
    for (int i = 0; i < 11; i++) {
      double want = i < 8 ? pg : po;
      assertEquals(want, shown[i] / (double) runs, 5 * Math.sqrt(want * (1 - want) / runs), "item " + i);
    }
  }

  @Test
  void othersEnumerateExactlyTheEligibleOutsideTheList() {
    int[] excluded = {0, 9, 4, 100};
    int[] greedy = {2, 9, 5};
    EpsilonSlots.Others o = EpsilonSlots.outside(12, excluded, greedy);
    int[] got = IntStream.range(0, o.count()).map(o::get).toArray();
    assertArrayEquals(new int[] {1, 3, 6, 7, 8, 10, 11}, got);
    EpsilonSlots.Others c = EpsilonSlots.outsideOf(new int[] {7, 2, 30, 4, 11}, excluded, greedy);
    assertArrayEquals(new int[] {7, 30, 11}, IntStream.range(0, c.count()).map(c::get).toArray());
  }

  @Test
  void withNoOneOutsideTheListEveryItemIsCertain() {
    EpsilonSlots policy = new EpsilonSlots(0.5);
    assertEquals(1.0, policy.greedyInclusion(4, 4));
    assertEquals(1.0, policy.greedyInclusion(3, 2));
    EpsilonSlots.Others none = EpsilonSlots.outside(4, new int[0], new int[] {0, 1, 2, 3});
    assertEquals(0, none.count());
    int[] greedy = {3, 1, 0, 2};
    assertArrayEquals(greedy, policy.choose(greedy, none, new SplittableRandom(1), new boolean[4]));
  }

  @Test
  void aDeterministicPolicyShowsTheGreedyList() {
    EpsilonSlots policy = EpsilonSlots.parse("none");
    assertEquals(0, policy.epsilon());
    assertEquals(1.0, policy.greedyInclusion(3, 50));
    assertEquals(0.0, policy.otherInclusion(3, 50));
    boolean[] explored = new boolean[3];
    int[] greedy = {9, 4, 7};
    assertArrayEquals(greedy, policy.choose(greedy, EpsilonSlots.outside(50, new int[0], greedy),
        new SplittableRandom(2), explored));
    assertFalse(explored[0] || explored[1] || explored[2]);
  }

  @Test
  void parsing() {
    assertEquals(0.1, EpsilonSlots.parse("epsilon:0.1").epsilon());
    assertThrows(IllegalArgumentException.class, () -> EpsilonSlots.parse("epsilon:1.5"));
    assertThrows(IllegalArgumentException.class, () -> EpsilonSlots.parse("epsilon:x"));
    assertThrows(IllegalArgumentException.class, () -> EpsilonSlots.parse("boltzmann:2"));
  }
}
