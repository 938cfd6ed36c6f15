package io.relstream.core.accel;

import com.aparapi.device.Device;
import com.aparapi.device.OpenCLDevice;
import com.aparapi.internal.opencl.OpenCLPlatform;
import io.relstream.core.kernel.opencl.OpenCl;
import java.util.ArrayList;
import java.util.List;

/** The OpenCL devices Aparapi sees, GPUs first; probing never throws. */
final class OpenClDevices {
  private OpenClDevices() {}

  /** Null when OpenCL is usable, else why not (missing ICD loader, no platform, no device). */
  static String unavailable() {
    return OpenCl.available();
  }

  /** Every OpenCL device of every platform, GPUs before accelerators before CPUs; empty if none. */
  static List<OpenCLDevice> list() {
    List<OpenCLDevice> all = new ArrayList<>();
    if (unavailable() != null) {
      return all;
    }
    try {
      for (OpenCLPlatform platform : new OpenCLPlatform().getOpenCLPlatforms()) {
        all.addAll(platform.getOpenCLDevices());
      }
    } catch (LinkageError | RuntimeException e) {
      return all;
    }
    all.sort((a, b) -> Integer.compare(rank(a), rank(b)));
    return all;
  }

  private static int rank(OpenCLDevice d) {
    Device.TYPE t = d.getType();
    return t == Device.TYPE.GPU ? 0 : t == Device.TYPE.ACC ? 1 : 2;
  }

  static boolean isGpu(OpenCLDevice d) {
    return d.getType() == Device.TYPE.GPU;
  }

  /** "name (GPU, platform)". */
  static String describe(Device d) {
    if (d == null) {
      return "no device";
    }
    if (d instanceof OpenCLDevice) {
      OpenCLDevice cl = (OpenCLDevice) d;
      return cl.getName().trim() + " (" + cl.getType() + ", " + cl.getOpenCLPlatform().getName().trim() + ")";
    }
    return d.getShortDescription();
  }
}
