package io.relstream.core.accel;

import com.aparapi.Kernel;

/** dst[g] = src[g]: the device's copy bandwidth, against which the kernels' byte rates are judged. */
final class CopyKernel extends Kernel {
  float[] src;
  float[] dst;
  int limit;

  @Override
  public void run() {
    int g = getGlobalId();
    if (g < limit) {
      dst[g] = src[g];
    }
  }
}
