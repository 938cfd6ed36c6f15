package io.relstream.core.kernel.opencl;

import com.aparapi.device.Device;
import com.aparapi.device.OpenCLDevice;
import com.aparapi.internal.kernel.KernelManager;
import com.aparapi.internal.opencl.OpenCLLoader;
import com.aparapi.internal.opencl.OpenCLPlatform;
import java.util.List;

/** Probes for OpenCL through Aparapi without throwing. */
public final class OpenCl {
  private OpenCl() {}

  /**
   * Null when at least one OpenCL device is visible to Aparapi, otherwise a one-line reason (missing
   * native library or ICD loader, no platform, no device). Never throws.
   */
  public static String available() {
    try {
      if (!OpenCLLoader.isOpenCLAvailable()) {
        return "Aparapi's native library or the OpenCL ICD loader (libOpenCL.so) could not be loaded";
      }
      List<OpenCLPlatform> platforms = new OpenCLPlatform().getOpenCLPlatforms();
      if (platforms == null || platforms.isEmpty()) {
        return "no OpenCL platform (install pocl-opencl-icd or a GPU driver's OpenCL ICD)";
      }
      for (OpenCLPlatform platform : platforms) {
        if (!platform.getOpenCLDevices().isEmpty()) {
          return null;
        }
      }
      return "OpenCL platforms found but none has a device";
    } catch (LinkageError | RuntimeException e) {
      return "OpenCL probe failed: " + e;
    }
  }

  /**
   * The OpenCL device Aparapi ranks best (GPU, then accelerator, then CPU), or null if there is none.
   */
  static OpenCLDevice bestDevice() {
    Device best = KernelManager.instance().bestDevice();
    if (best instanceof OpenCLDevice) {
      return (OpenCLDevice) best;
    }
    for (OpenCLPlatform platform : new OpenCLPlatform().getOpenCLPlatforms()) {
      for (OpenCLDevice d : platform.getOpenCLDevices()) {
        return d;
      }
    }
    return null;
  }
}
