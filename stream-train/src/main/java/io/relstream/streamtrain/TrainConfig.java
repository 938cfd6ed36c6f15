package io.relstream.streamtrain;

import io.relstream.core.kernel.BatchMaths;
import io.relstream.core.kernel.opencl.OpenCl;
import io.relstream.core.online.OnlineConfig;
import io.relstream.core.online.OnlinePropensity;
import java.io.Serializable;
import java.util.Locale;

/**
 * Settings of the training job.
 *
 * @param trainer the online trainer's settings (dimension, optimizer, batch size, estimator, seed)
 * @param propensity which &theta; the propensity operator answers (default AUTO: logged probability when
 *     present, else exposure-based once impressions exist, else popularity)
 * @param eta &eta; of the popularity propensity
 * @param halfLifeMillis decay half-life of the click and exposure counts, 0 for none
 * @param kernel "java", "opencl" or "auto" (OpenCL when a device is present, else Java)
 * @param flushIdleMs train a partial batch once no event has arrived for this long (processing
 *     time), so a quiet stream still reaches the model; 0 never flushes early, which keeps batch
 *     boundaries a pure function of the event sequence (reproducible runs)
 */
public record TrainConfig(OnlineConfig trainer, OnlinePropensity.Mode propensity, double eta,
    long halfLifeMillis, String kernel, long flushIdleMs) implements Serializable {

  public TrainConfig {
    if (trainer == null || propensity == null) {
      throw new IllegalArgumentException("trainer and propensity settings are required");
    }
    if (!(eta >= 0)) throw new IllegalArgumentException("eta must be >= 0, got " + eta);
    if (halfLifeMillis < 0) throw new IllegalArgumentException("half-life must be >= 0, got " + halfLifeMillis);
    if (flushIdleMs < 0) throw new IllegalArgumentException("idle flush must be >= 0, got " + flushIdleMs);
    kernel = kernel.toLowerCase(Locale.ROOT);
    if (!kernel.equals("auto")) {
      BatchMaths.Path.parse(kernel); // throws on anything else
    }
  }

  /**
   * Trainer defaults ({@link OnlineConfig#defaults()}), AUTO propensity, &eta; 0.5, no decay, Java
   * kernels, no idle flush.
   */
  public static TrainConfig defaults() {
    return new TrainConfig(OnlineConfig.defaults(), OnlinePropensity.Mode.AUTO, 0.5, 0L, "java", 0L);
  }

  public TrainConfig withTrainer(OnlineConfig v) {
    return new TrainConfig(v, propensity, eta, halfLifeMillis, kernel, flushIdleMs);
  }

  public TrainConfig withKernel(String v) {
    return new TrainConfig(trainer, propensity, eta, halfLifeMillis, v, flushIdleMs);
  }

  public TrainConfig withFlushIdleMs(long v) {
    return new TrainConfig(trainer, propensity, eta, halfLifeMillis, kernel, v);
  }

  /** The kernel path to use on this machine. */
  BatchMaths.Path kernelPath() {
    if (kernel.equals("auto")) {
      return OpenCl.available() == null ? BatchMaths.Path.OPENCL : BatchMaths.Path.JAVA;
    }
    return BatchMaths.Path.parse(kernel);
  }
}
