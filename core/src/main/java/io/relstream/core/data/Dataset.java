package io.relstream.core.data;

/**
 * A data set with a missing-not-at-random training log and a missing-at-random test set over the
 * same index space.
 */
public record Dataset(String name, int numUsers, int numItems, Ratings train, Ratings test) {
  public Dataset {
    if (train.size() == 0) {
      throw new IllegalArgumentException(name + ": the training data is empty");
    }
    if (test.size() == 0) {
      throw new IllegalArgumentException(name + ": the test data is empty");
    }
  }
}
