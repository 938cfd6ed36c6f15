package io.relstream.core.kernel;

import io.relstream.core.kernel.opencl.AparapiBatchMath;
import io.relstream.core.model.FactorModel;
import java.util.Locale;

/** Creates the batch-math implementation a user asked for. */
public final class BatchMaths {
  private BatchMaths() {}

  /** Which implementation to use. */
  public enum Path {
    /** The plain-Java reference. */
    JAVA,
    /** Aparapi on the best OpenCL device; fails if there is none (never a silent Java fallback). */
    OPENCL;

    public static Path parse(String s) {
      switch (s.toLowerCase(Locale.ROOT)) {
        case "java":
        case "scalar":
          return JAVA;
        case "opencl":
        case "aparapi":
          return OPENCL;
        default:
          throw new IllegalArgumentException("unknown kernel path '" + s + "' (expected java or opencl)");
      }
    }
  }

  public static BatchMath create(Path path, FactorModel model) {
    return path == Path.OPENCL ? new AparapiBatchMath(model) : new ScalarBatchMath(model);
  }
}
