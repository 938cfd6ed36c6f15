package io.relstream.streamtrain;

import io.relstream.core.kernel.BatchMaths;
import io.relstream.core.online.OnlineConfig;
import io.relstream.core.online.OnlinePropensity;
import java.io.Serializable;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Settings of the training job.
 *
 * @param trainer the online trainer's settings (dimension, optimizer, batch size, estimator, seed)
 * @param propensity which &theta; the propensity operator answers (default AUTO: logged probability when
 *     present, else exposure-based once impressions exist, else popularity)
 * @param eta &eta; of the popularity propensity
 * @param halfLifeMillis decay half-life of the click and exposure counts, 0 for none
 * @param kernel "java", "opencl" or "auto" (whichever of the two is faster, measured where the trainer
 *     starts: {@link BatchMaths#choose})
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

  public TrainConfig withPropensity(OnlinePropensity.Mode v) {
    return new TrainConfig(trainer, v, eta, halfLifeMillis, kernel, flushIdleMs);
  }

  public TrainConfig withEta(double v) {
    return new TrainConfig(trainer, propensity, v, halfLifeMillis, kernel, flushIdleMs);
  }

  public TrainConfig withKernel(String v) {
    return new TrainConfig(trainer, propensity, eta, halfLifeMillis, v, flushIdleMs);
  }

  public TrainConfig withFlushIdleMs(long v) {
    return new TrainConfig(trainer, propensity, eta, halfLifeMillis, kernel, v);
  }

  /** Time each path gets in the "auto" measurement. */
  static final long AUTO_BUDGET_MILLIS = 300;

  /**
   * "auto" choices made in this JVM, by trainer settings: a restart after a failure, which initialises
   * the operator again, keeps the path (and so the float rounding) of the first start, without measuring
   * again.
   */
  private static final Map<OnlineConfig, BatchMaths.Choice> AUTO_CHOICES = new ConcurrentHashMap<>();

  /**
   * The kernel path to use on this machine, and why: as configured, or for "auto" the faster path
   * measured on the trainer's dimension, batch size, objective and optimizer (once per JVM).
   */
  BatchMaths.Choice kernelChoice() {
    if (kernel.equals("auto")) {
      return AUTO_CHOICES.computeIfAbsent(trainer, t -> BatchMaths.choose(t.dim(), t.batchSize(),
          t.objective(), t.adam(), AUTO_BUDGET_MILLIS));
    }
    BatchMaths.Path path = BatchMaths.Path.parse(kernel);
    return new BatchMaths.Choice(path, path == BatchMaths.Path.JAVA ? "java" : "OpenCL", "configured: " + kernel,
        Map.of());
  }
}
