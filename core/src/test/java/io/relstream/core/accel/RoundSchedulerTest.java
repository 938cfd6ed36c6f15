package io.relstream.core.accel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.core.kernel.Batch;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The round schedule's promises, checked on random batches with many repeats: every pair placed once;
 * a round never holds two pairs of one user or one item; the pairs of each row keep their batch order
 * across rounds; and marks of one batch do not leak into the next (the scheduler is reused).
 */
class RoundSchedulerTest {

  @ParameterizedTest
  @CsvSource({"40, 60", "1, 7", "3000, 5000"})
  void roundsAreDisjointAndOrdered(int users, int items) {
    RoundScheduler s = new RoundScheduler(users, items, 500);
    SplittableRandom rng = new SplittableRandom(users * 31L + items);
    for (int trial = 0; trial < 5; trial++) {
      int n = 1 + rng.nextInt(500);
      Batch batch = new Batch(n);
      for (int k = 0; k < n; k++) {
        // the label carries the batch position, to follow each pair through the sort
        batch.add(rng.nextInt(users), rng.nextInt(items), k, 0.5f);
      }
      int rounds = s.schedule(batch, 0, n);
      assertEquals(0, s.roundStart[0]);
      assertEquals(n, s.roundStart[rounds]);
      Map<Integer, Integer> lastUserPos = new HashMap<>();
      Map<Integer, Integer> lastItemPos = new HashMap<>();
      Set<Integer> seen = new HashSet<>();
      for (int r = 0; r < rounds; r++) {
        Set<Integer> roundUsers = new HashSet<>();
        Set<Integer> roundItems = new HashSet<>();
        List<int[]> round = new ArrayList<>();
        for (int at = s.roundStart[r]; at < s.roundStart[r + 1]; at++) {
          assertTrue(roundUsers.add(s.users[at]), "user repeated in round " + r);
          assertTrue(roundItems.add(s.items[at]), "item repeated in round " + r);
          int pos = (int) s.labels[at];
          assertTrue(seen.add(pos), "pair placed twice");
          assertEquals(batch.users[pos], s.users[at]);
          assertEquals(batch.items[pos], s.items[at]);
          round.add(new int[] {pos, s.users[at], s.items[at]});
        }
        assertTrue(!round.isEmpty(), "empty round " + r);
        for (int[] pair : round) {
          // every earlier pair of this user or item sits in an earlier round
          assertTrue(lastUserPos.getOrDefault(pair[1], -1) < pair[0], "user order");
          assertTrue(lastItemPos.getOrDefault(pair[2], -1) < pair[0], "item order");
        }
        for (int[] pair : round) {
          lastUserPos.put(pair[1], pair[0]);
          lastItemPos.put(pair[2], pair[0]);
        }
      }
      assertEquals(n, seen.size());
    }
  }
}
