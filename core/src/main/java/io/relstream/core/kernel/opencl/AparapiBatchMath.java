package io.relstream.core.kernel.opencl;

import io.relstream.core.kernel.BatchMath;
import io.relstream.core.kernel.Batch;
import io.relstream.core.kernel.Objective;
import io.relstream.core.model.Adam;
import io.relstream.core.model.FactorModel;

/** Aparapi (OpenCL) implementation of {@link BatchMath}: work in progress. */
public final class AparapiBatchMath implements BatchMath {
  public AparapiBatchMath(FactorModel model) {
    throw new UnsupportedOperationException("the OpenCL path is not built yet");
  }
  @Override public double gradients(Batch batch, Objective objective) { throw new UnsupportedOperationException(); }
  @Override public void adamStep(Adam adam) { throw new UnsupportedOperationException(); }
  @Override public void scores(int[] users, float[] out) { throw new UnsupportedOperationException(); }
  @Override public void copyGradients(float[] u, float[] i) { throw new UnsupportedOperationException(); }
  @Override public void syncToModel() { throw new UnsupportedOperationException(); }
  @Override public String path() { return "opencl"; }
  @Override public String device() { return "none"; }
  @Override public boolean ranOnOpenCL() { return false; }
  @Override public void close() {}
}
