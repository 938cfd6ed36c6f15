package io.relstream.core.data;

import java.util.Arrays;
import java.util.BitSet;
import java.util.SplittableRandom;

/**
 * The training view of a data set as the reference code builds it: a seeded fraction of the
 * training ratings is held out for validation, the rest is binarised at rating &gt;= 4. Positives are
 * the relevant training pairs; every other (user, item) pair, rated or not, is "unlabeled".
 *
 * <p>Positive pairs are de-duplicated (a pair rated twice counts once); per-item click counts for the
 * popularity propensity come from the training positives only.
 */
public final class ImplicitFeedback {
  public final Dataset dataset;
  public final int numUsers;
  public final int numItems;
  /** Training ratings after the hold-out. */
  public final Ratings train;
  /** Where each of {@link #train}'s ratings is in {@code dataset.train()}, ascending. */
  public final int[] trainPositions;
  /** Held-out validation ratings (missing not at random, like the training log). */
  public final Ratings validation;
  /** Positive (user, item) training pairs, each once. */
  public final int[] positiveUsers;
  public final int[] positiveItems;
  /** Training clicks per item. */
  public final long[] itemClicks;
  private final BitSet positive;
  /** Positive items of each user: CSR offsets into userPositiveItems. */
  private final int[] userOffsets;
  private final int[] userPositiveItems;

  private ImplicitFeedback(Dataset dataset, int[] trainPositions, Ratings validation) {
    this.dataset = dataset;
    this.trainPositions = trainPositions;
    Ratings train = dataset.train().select(trainPositions);
    this.numUsers = dataset.numUsers();
    this.numItems = dataset.numItems();
    this.train = train;
    this.validation = validation;
    long cells = (long) numUsers * numItems;
    if (cells > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("users x items exceeds " + Integer.MAX_VALUE + " pairs");
    }
    positive = new BitSet((int) cells);
    itemClicks = new long[numItems];
    int count = 0;
    for (int k = 0; k < train.size(); k++) {
      if (train.relevant(k)) {
        int cell = train.users()[k] * numItems + train.items()[k];
        if (!positive.get(cell)) {
          positive.set(cell);
          count++;
        }
      }
    }
    positiveUsers = new int[count];
    positiveItems = new int[count];
    userOffsets = new int[numUsers + 1];
    userPositiveItems = new int[count];
    int n = 0;
    for (int cell = positive.nextSetBit(0); cell >= 0; cell = positive.nextSetBit(cell + 1)) {
      int u = cell / numItems;
      int i = cell % numItems;
      positiveUsers[n] = u;
      positiveItems[n] = i;
      userPositiveItems[n] = i; // cells are visited in user-major order, so this is already CSR
      userOffsets[u + 1]++;
      itemClicks[i]++;
      n++;
    }
    for (int u = 0; u < numUsers; u++) {
      userOffsets[u + 1] += userOffsets[u];
    }
  }

  /**
   * Holds out {@code validationFraction} of the training ratings, chosen by a seeded shuffle
   * (floor(fraction * n) ratings), and binarises the rest.
   */
  public static ImplicitFeedback prepare(Dataset dataset, double validationFraction, long splitSeed) {
    if (!(validationFraction >= 0 && validationFraction < 1)) {
      throw new IllegalArgumentException("validation fraction must be in [0, 1), got " + validationFraction);
    }
    Ratings all = dataset.train();
    int n = all.size();
    int[] order = new int[n];
    for (int k = 0; k < n; k++) {
      order[k] = k;
    }
    SplittableRandom rng = new SplittableRandom(splitSeed);
    for (int k = n - 1; k > 0; k--) {
      int j = rng.nextInt(k + 1);
      int t = order[k];
      order[k] = order[j];
      order[j] = t;
    }
    int held = (int) Math.floor(validationFraction * n);
    int[] val = Arrays.copyOfRange(order, 0, held);
    int[] tr = Arrays.copyOfRange(order, held, n);
    Arrays.sort(val);
    Arrays.sort(tr);
    ImplicitFeedback f = new ImplicitFeedback(dataset, tr, all.select(val));
    if (f.positiveCount() == 0) {
      throw new IllegalArgumentException(dataset.name() + ": no training rating is >= "
          + Ratings.RELEVANT_AT + ", so there is nothing to learn from");
    }
    return f;
  }

  public int positiveCount() {
    return positiveUsers.length;
  }

  public boolean isPositive(int user, int item) {
    return positive.get(user * numItems + item);
  }

  /** Number of positive items of a user. */
  public int userPositiveCount(int user) {
    return userOffsets[user + 1] - userOffsets[user];
  }

  /** The positive items of a user, ascending. */
  public int[] userPositives(int user) {
    return Arrays.copyOfRange(userPositiveItems, userOffsets[user], userOffsets[user + 1]);
  }
}
