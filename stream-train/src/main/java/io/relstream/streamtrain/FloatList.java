package io.relstream.streamtrain;

import java.util.AbstractList;
import java.util.RandomAccess;

/**
 * A read-only {@code List<Float>} over a {@code float[]}: what Avro's generated {@code ModelUpdate} holds
 * for its {@code array<float>} vector, without an ArrayList and a boxed Float per factor built for every
 * emitted row (the Avro writer reads the elements one at a time as it encodes them).
 */
final class FloatList extends AbstractList<Float> implements RandomAccess {
  private final float[] values;

  /** A view of {@code values}, which the caller no longer changes. */
  FloatList(float[] values) {
    this.values = values;
  }

  @Override
  public Float get(int index) {
    return values[index];
  }

  @Override
  public int size() {
    return values.length;
  }
}
