package io.relstream.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.core.propensity.EpsilonSlots;
import io.relstream.core.topk.DebiasedPopularity;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exploring policy inside {@link ModelStore}: explored items obey the filters and the user's clicks, on
 * the scan, the candidate list and the fallback alike; every slot's inclusion is the closed form over that
 * query's eligible items, and the shown frequencies follow it.
 *
 * <p>The model ({@link ModelStoreTest#fill}): u = (2, 1) clicked c; a = (1, 0), b = (0, 1), c = (1, 1),
 * d = (-1, 0): u's scores a 2, b 1, d -2. Fallback: c 250, d 109.5 (1 / max(0.001, M)), a 100, b 20.
 */
class ExploreFiltersTest {
  @TempDir
  Path dir;

  private static Map<String, Integer> draw(ModelStore store, String user, ModelStore.Filter f, int runs,
      Map<String, Double> inclusion) throws Exception {
    Map<String, Integer> shown = new HashMap<>();
    for (int r = 0; r < runs; r++) {
      ModelStore.Recommendation rec = store.recommend(user, 1, f);
      assertEquals(1, rec.items().size());
      ModelStore.Slot s = rec.items().get(0);
      shown.merge(s.item(), 1, Integer::sum);
      Double before = inclusion.put(s.item(), s.inclusion());
      assertTrue(before == null || before.equals(s.inclusion()), "one inclusion per item and query");
    }
    return shown;
  }

  @Test
  void exploredItemsObeyTheFiltersWithExactInclusion() throws Exception {
    try (ModelStore store = ModelStore.open(dir, new DebiasedPopularity())) {
      ModelStoreTest.fill(store);
      store.explore(new EpsilonSlots(0.5));
      int runs = 4000;

      // the scan, a excluded, c clicked: eligible b, d; greedy b, other d
      Map<String, Double> inc = new HashMap<>();
      Map<String, Integer> scan = draw(store, "u", new ModelStore.Filter(List.of("a"), null), runs, inc);
      assertEquals(java.util.Set.of("b", "d"), scan.keySet(), scan.toString());
      assertEquals(0.5, inc.get("b"), 1e-12);
      assertEquals(0.5, inc.get("d"), 1e-12);
      assertEquals(0.5, scan.get("d") / (double) runs, 0.04);

      // a candidate list a, b, d: greedy a, others b and d at 0.5 / 2 each; never c
      inc.clear();
      Map<String, Integer> cand = draw(store, "u", new ModelStore.Filter(List.of(), List.of("a", "b", "d", "c")),
          runs, inc);
      assertEquals(java.util.Set.of("a", "b", "d"), cand.keySet(), cand.toString());
      assertEquals(0.5, inc.get("a"), 1e-12);
      assertEquals(0.25, inc.get("b"), 1e-12);
      assertEquals(0.25, cand.get("b") / (double) runs, 0.04);

      // the fallback, c excluded: greedy d, others a and b
      inc.clear();
      Map<String, Integer> fb = draw(store, "nobody", new ModelStore.Filter(List.of("c"), null), runs, inc);
      assertEquals(java.util.Set.of("a", "b", "d"), fb.keySet(), fb.toString());
      assertEquals(0.5, inc.get("d"), 1e-12);
      assertEquals(0.25, inc.get("a"), 1e-12);

      // as many eligible items as slots: nothing to explore, every item certain
      ModelStore.Recommendation all = store.recommend("u", 3, ModelStore.Filter.NONE);
      assertEquals(3, all.items().size());
      for (ModelStore.Slot s : all.items()) {
        assertEquals(1.0, s.inclusion(), 0.0);
        assertFalse(s.explored());
      }
    }
  }

  @Test
  void greedyByDefault() throws Exception {
    try (ModelStore store = ModelStore.open(dir, new DebiasedPopularity())) {
      ModelStoreTest.fill(store);
      for (int r = 0; r < 50; r++) {
        ModelStore.Slot s = store.recommend("u", 1, ModelStore.Filter.NONE).items().get(0);
        assertEquals("a", s.item());
        assertEquals(1.0, s.inclusion(), 0.0);
        assertFalse(s.explored());
      }
    }
  }
}
