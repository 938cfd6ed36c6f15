package io.relstream.core.train;

import io.relstream.core.data.ImplicitFeedback;
import io.relstream.core.kernel.Batch;
import io.relstream.core.model.ModelConfig.Negatives;
import java.util.SplittableRandom;

/**
 * Draws training batches as the reference code does: {@code positives} clicked pairs uniformly with
 * replacement, then {@code unlabeled} pairs uniformly with replacement from all non-positive (user,
 * item) pairs (rejection sampling over the full grid is exactly uniform over that set), each pair
 * carrying its item's propensity. With {@link Negatives#PER_USER} the k-th unlabeled pair takes the
 * user of the k-th positive (cycling) and an item uniform among that user's non-positives.
 */
final class BatchSampler {
  private final ImplicitFeedback data;
  private final float[] itemTheta;
  private final SplittableRandom rng;

  BatchSampler(ImplicitFeedback data, float[] itemTheta, long seed) {
    this.data = data;
    this.itemTheta = itemTheta;
    this.rng = new SplittableRandom(seed);
  }

  void fill(Batch batch, int positives, int unlabeled, Negatives negatives) {
    batch.clear();
    int numPos = data.positiveCount();
    for (int k = 0; k < positives; k++) {
      int p = rng.nextInt(numPos);
      int item = data.positiveItems[p];
      batch.add(data.positiveUsers[p], item, 1f, itemTheta[item]);
    }
    for (int k = 0; k < unlabeled; k++) {
      int user;
      int item;
      if (negatives == Negatives.PER_USER) {
        user = batch.users[k % positives];
        if (data.userPositiveCount(user) >= data.numItems) {
          continue; // this user has no unlabeled item
        }
        do {
          item = rng.nextInt(data.numItems);
        } while (data.isPositive(user, item));
      } else {
        do {
          user = rng.nextInt(data.numUsers);
          item = rng.nextInt(data.numItems);
        } while (data.isPositive(user, item));
      }
      batch.add(user, item, 0f, itemTheta[item]);
    }
  }
}
