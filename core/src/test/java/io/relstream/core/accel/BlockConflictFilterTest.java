package io.relstream.core.accel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.core.estimator.LocalLoss;
import io.relstream.core.kernel.Objective;
import io.relstream.core.model.FactorModel;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The blocked trainer's conflict test ({@link JavaPairTrainer#conflictFree}) against the plain pairwise
 * definition: a block is free exactly when no user and no item repeats in it. The hashed filter must not
 * call a block with a repeat free, nor let a hash collision of distinct ids change the answer.
 */
class BlockConflictFilterTest {
  private static final int B = JavaPairTrainer.BLOCK;

  private static JavaPairTrainer trainer() {
    return new JavaPairTrainer(new FactorModel(1, 1, 4), null, StepRule.sgd(0.1f, 0f),
        new Objective(LocalLoss.LOG, 0.1f, 1f), false);
  }

  private static boolean pairwise(int[] users, int[] items, int k) {
    for (int a = k; a < k + B; a++) {
      for (int b = a + 1; b < k + B; b++) {
        if (users[a] == users[b] || items[a] == items[b]) {
          return false;
        }
      }
    }
    return true;
  }

  @Test
  void agreesWithThePairwiseDefinitionOnRandomBlocks() {
    JavaPairTrainer t = trainer();
    SplittableRandom rng = new SplittableRandom(11);
    int blocks = 20_000;
    int[] users = new int[blocks * B];
    int[] items = new int[blocks * B];
    for (int j = 0; j < users.length; j++) {
      users[j] = rng.nextInt(1 << 20);
      items[j] = rng.nextInt(1 << 20);
    }
    // a third of the blocks get one planted repeat, of a user or of an item, at random positions
    for (int b = 0; b < blocks; b += 3) {
      int x = b * B + rng.nextInt(B);
      int y = b * B + rng.nextInt(B);
      if (x != y) {
        if (rng.nextBoolean()) {
          users[y] = users[x];
        } else {
          items[y] = items[x];
        }
      }
    }
    int free = 0;
    for (int b = 0; b < blocks; b++) {
      boolean expected = pairwise(users, items, b * B);
      assertEquals(expected, t.conflictFree(users, items, b * B), "block " + b);
      free += expected ? 1 : 0;
    }
    assertTrue(free > blocks / 2 && free < blocks, "both kinds of block were tested: " + free);
  }

  @Test
  void distinctIdsThatShareAHashSlotAreNoConflict() {
    // ids of one slot: the filter hits, and the exact test must still say "free"
    int[] sameSlotUsers = new int[B];
    int[] sameSlotItems = new int[B];
    int found = 0;
    int target = JavaPairTrainer.slot(7);
    for (int id = 0; found < B; id++) {
      if (JavaPairTrainer.slot(id) == target) {
        sameSlotUsers[found] = id;
        sameSlotItems[found] = id + 1;
        found++;
      }
    }
    JavaPairTrainer t = trainer();
    assertTrue(t.conflictFree(sameSlotUsers, sameSlotItems, 0));
    sameSlotItems[B - 1] = sameSlotItems[0];
    assertEquals(false, t.conflictFree(sameSlotUsers, sameSlotItems, 0));
  }

  @Test
  void aBlockIsJudgedOnItsOwnPairsOnly() {
    // the same ids in consecutive blocks are no conflict: stamps of the previous block must not count
    int[] users = new int[2 * B];
    int[] items = new int[2 * B];
    for (int j = 0; j < 2 * B; j++) {
      users[j] = j % B;
      items[j] = 1000 + j % B;
    }
    JavaPairTrainer t = trainer();
    assertTrue(t.conflictFree(users, items, 0));
    assertTrue(t.conflictFree(users, items, B));
  }
}
