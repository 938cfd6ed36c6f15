package io.relstream.streamtrain;

import io.relstream.core.estimator.LocalLoss;
import io.relstream.core.online.OnlineConfig;
import io.relstream.core.online.OnlinePropensity;
import java.util.List;
import java.util.Locale;

/**
 * The trainer's settings as command-line flags, one name for each wherever the job is configured
 * ({@link StreamTrainMain} and {@code relstream replay --streaming}):
 * <pre>
 *   --dim D                       latent dimension d (default 32)
 *   --lr X                        Adam learning rate (0.02)
 *   --l2 X                        &lambda; of the L2 penalty on touched rows (1e-4)
 *   --clip M                      clip M of the clipped-IPS estimator, 0..1: the cap of the relative clip,
 *                                 or the fixed M with --clip-quantile 0
 *   --clip-quantile Q             relative clip M = min(cap, Q-quantile of the clicks' theta so far),
 *                                 0 &lt;= Q &lt; 1; 0: the fixed M = --clip (0)
 *   --reservoir-size N            recent events kept to revisit, 0 for none (65536)
 *   --reservoir-steps K           extra Adam steps per batch on events drawn from them (8)
 *   --reservoir-step-ms T         event time one such step needs: a batch takes min(K, span / T), span the
 *                                 event time its events cover; 0: always K (10)
 *   --loss squared|log            local loss (squared)
 *   --eta X                       &eta; of the popularity propensity (0.5)
 *   --batch-size N                events per mini-batch (256)
 *   --negatives-per-positive N    unlabeled items sampled per clicked event (4)
 *   --kernel java|opencl|auto     batch math path (java)
 *   --propensity auto|exposure|popularity   which &theta; the propensity operator answers (auto)
 * </pre>
 * Defaults are {@link TrainConfig#defaults()}.
 */
public final class TrainFlags {
  private TrainFlags() {}

  /** The flag names, without the leading "--". */
  public static final List<String> NAMES = List.of("dim", "lr", "l2", "clip", "clip-quantile", "loss", "eta",
      "batch-size", "negatives-per-positive", "reservoir-size", "reservoir-steps", "reservoir-step-ms", "kernel",
      "propensity");

  /** The flags for a usage line. */
  public static final String USAGE = "[--dim 32] [--lr 0.02] [--l2 1e-4] [--clip 0.1] [--clip-quantile 0]"
      + " [--loss squared|log] [--eta 0.5] [--batch-size 256] [--negatives-per-positive 4] [--reservoir-size 65536]"
      + " [--reservoir-steps 8] [--reservoir-step-ms 10] [--kernel java|opencl|auto]"
      + " [--propensity auto|exposure|popularity]";

  /**
   * {@code config} with flag {@code --name} set to {@code value}.
   *
   * @param name one of {@link #NAMES}
   * @throws IllegalArgumentException with a one-line message naming the flag when the value is not valid
   */
  public static TrainConfig apply(TrainConfig config, String name, String value) {
    OnlineConfig t = config.trainer();
    String flag = "--" + name;
    try {
      return switch (name) {
        case "dim" -> config.withTrainer(t.withDim(intIn(flag, value, 1, 4096)));
        case "lr" -> config.withTrainer(t.withLearningRate((float) number(flag, value, Float.MIN_VALUE, 10)));
        case "l2" -> config.withTrainer(t.withL2((float) number(flag, value, 0, 100)));
        case "clip" -> {
          float m = (float) number(flag, value, 0, 1);
          yield config.withTrainer(t.withRelativeClip(t.clipQuantile(), m)); // in either order with the quantile
        }
        case "clip-quantile" -> config.withTrainer(t.withRelativeClip((float) number(flag, value, 0, 0.999),
            t.clip()));
        case "reservoir-size" -> {
          int n = intIn(flag, value, 0, 1 << 26);
          yield config.withTrainer(t.withReservoir(n, n == 0 ? 0 : t.reservoirSteps()));
        }
        case "reservoir-steps" -> config.withTrainer(t.withReservoir(t.reservoirSize(), intIn(flag, value, 0, 64)));
        case "reservoir-step-ms" -> config.withTrainer(t.withReservoirStepMs(intIn(flag, value, 0, 86_400_000)));
        case "loss" -> config.withTrainer(t.withLoss(LocalLoss.parse(value)));
        case "eta" -> config.withEta(number(flag, value, 0, 10));
        case "batch-size" -> config.withTrainer(t.withBatchSize(intIn(flag, value, 1, 1 << 24)));
        case "negatives-per-positive" -> config.withTrainer(t.withNegativesPerPositive(intIn(flag, value, 0, 1000)));
        case "kernel" -> {
          String k = value.toLowerCase(Locale.ROOT);
          if (!k.matches("java|opencl|auto")) {
            throw new IllegalArgumentException("must be java, opencl or auto, got '" + value + "'");
          }
          yield config.withKernel(k);
        }
        case "propensity" -> config.withPropensity(OnlinePropensity.Mode.parse(value));
        default -> throw new IllegalArgumentException("is not a trainer setting");
      };
    } catch (IllegalArgumentException e) {
      String m = e.getMessage();
      throw new IllegalArgumentException(m.startsWith(flag) ? m : flag + ": " + m, e);
    }
  }

  private static int intIn(String flag, String v, int min, int max) {
    try {
      int x = Integer.parseInt(v.replace("_", ""));
      if (x >= min && x <= max) {
        return x;
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw new IllegalArgumentException(flag + " must be an integer in " + min + ".." + max + ", got '" + v + "'");
  }

  private static double number(String flag, String v, double min, double max) {
    try {
      double x = Double.parseDouble(v);
      if (x >= min && x <= max) {
        return x;
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw new IllegalArgumentException(flag + " must be a number in [" + min + ", " + max + "], got '" + v + "'");
  }
}
