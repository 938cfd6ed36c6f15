package io.relstream.core.accel;

import io.relstream.core.model.FactorModel;

/**
 * Adam state per row of both factor tables: first and second moments (same layout as the tables) and
 * the number of updates each row has received (saturating at {@link StepRule#T_CAP}). Zero at start.
 */
public final class RowAdamState {
  public final float[] userM;
  public final float[] userV;
  public final float[] itemM;
  public final float[] itemV;
  public final int[] userSteps;
  public final int[] itemSteps;

  /** Zero state shaped like {@code model}. */
  public RowAdamState(FactorModel model) {
    userM = new float[model.userFactors.length];
    userV = new float[model.userFactors.length];
    itemM = new float[model.itemFactors.length];
    itemV = new float[model.itemFactors.length];
    userSteps = new int[model.numUsers];
    itemSteps = new int[model.numItems];
  }

  /** True when the arrays fit {@code model}'s shape. */
  boolean fits(FactorModel model) {
    return userM.length == model.userFactors.length && itemM.length == model.itemFactors.length
        && userSteps.length == model.numUsers && itemSteps.length == model.numItems;
  }

  /** A deep copy. */
  public RowAdamState copy(FactorModel model) {
    RowAdamState c = new RowAdamState(model);
    System.arraycopy(userM, 0, c.userM, 0, userM.length);
    System.arraycopy(userV, 0, c.userV, 0, userV.length);
    System.arraycopy(itemM, 0, c.itemM, 0, itemM.length);
    System.arraycopy(itemV, 0, c.itemV, 0, itemV.length);
    System.arraycopy(userSteps, 0, c.userSteps, 0, userSteps.length);
    System.arraycopy(itemSteps, 0, c.itemSteps, 0, itemSteps.length);
    return c;
  }
}
