package io.relstream.replay;

import io.relstream.core.estimator.LocalLoss;
import io.relstream.core.kernel.BatchMaths;
import io.relstream.core.model.ModelConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A parsed replay command line.
 *
 * @param models the model configurations to train, presets with the command line's overrides applied
 * @param rareMaxClicks items with at most this many training clicks form the "rare" subset; negative
 *     means the data set's default (Yahoo! R3: 500, as in the paper; Coat: the median item's count)
 */
public record ReplayConfig(
    String dataset,
    Path dataDir,
    List<ModelConfig> models,
    int seeds,
    Path out,
    boolean tune,
    int tuneTrials,
    BatchMaths.Path kernel,
    long splitSeed,
    double validationFraction,
    int threads,
    long rareMaxClicks,
    boolean verbose) {

  /** The options that take a value. */
  public static final Set<String> VALUED = Set.of("dataset", "data-dir", "models", "seeds", "out", "dim",
      "steps", "batch", "lr", "l2", "clip", "eta", "loss", "negatives", "kernel", "split-seed",
      "tune-trials", "threads", "rare-max-clicks");
  /** The boolean options. */
  public static final Set<String> FLAGS = Set.of("tune", "verbose", "help");

  static final String USAGE = String.join("\n",
      "usage: relstream replay --dataset coat|yahoo-r3 [--data-dir DIR] [--models relmf,mf,wmf,rmf]",
      "                        [--seeds N] [--out DIR] [--dim D] [--steps N] [--batch N] [--lr X]",
      "                        [--l2 X] [--clip M] [--eta X] [--loss squared|log]",
      "                        [--negatives uniform|per-user] [--kernel java|opencl] [--tune]",
      "                        [--tune-trials N] [--split-seed N] [--threads N] [--rare-max-clicks N]",
      "                        [--verbose]",
      "",
      "Trains each model (defaults: the authors' Yahoo! R3 settings) on the data set's",
      "missing-not-at-random log and evaluates it on its missing-at-random test set.",
      "Writes report.json, report.md and plot-*.png into --out (default target/replay-<dataset>).",
      "Data sets are looked for in ../shared/data/<name> next to the repository unless --data-dir.");

  static ReplayConfig parse(String[] argv, Path home) throws UsageException {
    Args a = Args.parse(argv, VALUED, FLAGS);
    Set<String> names = new LinkedHashSet<>();
    for (String m : a.get("models", "relmf,mf,wmf").split(",")) {
      if (!m.isBlank()) names.add(m.strip().toLowerCase(Locale.ROOT));
    }
    if (names.isEmpty()) {
      throw new UsageException("--models names no model");
    }
    return of(a, home, List.copyOf(names));
  }

  /**
   * The configuration of parsed options {@code a} (any of {@link #VALUED} and {@link #FLAGS} are read,
   * others ignored) with the given model presets, each with the options' overrides applied. The list
   * may be empty: a caller that trains other models still gets the data set, split and test sets.
   *
   * @param presets names of {@link ModelConfig#preset} presets
   */
  public static ReplayConfig of(Args a, Path home, List<String> presets) throws UsageException {
    String dataset = a.get("dataset", null);
    if (dataset == null) {
      throw new UsageException("--dataset is required (coat or yahoo-r3)");
    }
    dataset = dataset.toLowerCase(Locale.ROOT);
    if (!dataset.equals("coat") && !dataset.equals("yahoo-r3")) {
      throw new UsageException("unknown dataset '" + dataset + "' (expected coat or yahoo-r3)");
    }
    Path dataDir = a.has("data-dir") ? Path.of(a.get("data-dir", null))
        : home.resolve("..").resolve("shared").resolve("data").resolve(dataset).normalize();
    Path out = a.has("out") ? Path.of(a.get("out", null)) : home.resolve("target").resolve("replay-" + dataset);
    return of(a, presets, dataset, dataDir, out);
  }

  /**
   * As {@link #of(Args, Path, List)} for data that is not one of the shipped data sets (an event log, say):
   * {@code dataset} names it in the report, {@code dataDir} is where it was read from; the caller hands the
   * {@link io.relstream.core.data.Dataset} to {@link Replay#prepare(ReplayConfig, io.relstream.core.data.Dataset,
   * java.io.PrintStream)}.
   */
  public static ReplayConfig of(Args a, List<String> presets, String dataset, Path dataDir, Path out)
      throws UsageException {
    List<ModelConfig> models = new ArrayList<>();
    for (String name : presets) {
      ModelConfig c;
      try {
        c = ModelConfig.preset(name);
      } catch (IllegalArgumentException e) {
        throw new UsageException(e.getMessage());
      }
      models.add(override(c, a));
    }
    BatchMaths.Path kernel;
    try {
      kernel = BatchMaths.Path.parse(a.get("kernel", "java"));
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
    int cores = Runtime.getRuntime().availableProcessors();
    return new ReplayConfig(dataset, dataDir, List.copyOf(models),
        a.getInt("seeds", 5, 1, 1000), out, a.has("tune"), a.getInt("tune-trials", 16, 1, 10_000),
        kernel, a.getInt("split-seed", 12345, 0, Integer.MAX_VALUE), 0.1,
        a.getInt("threads", cores, 1, 256), a.getInt("rare-max-clicks", -1, 0, Integer.MAX_VALUE),
        a.has("verbose"));
  }

  private static ModelConfig override(ModelConfig c, Args a) throws UsageException {
    try {
      if (a.has("dim")) c = c.withDim(a.getInt("dim", 0, 1, 4096));
      if (a.has("steps")) c = c.withSteps(a.getInt("steps", 0, 0, 10_000_000));
      if (a.has("batch")) c = c.withBatch(a.getInt("batch", 0, 2, 1 << 26));
      Float lr = a.getFloat("lr", Float.MIN_VALUE, 10f);
      if (lr != null) c = c.withLearningRate(lr);
      Float l2 = a.getFloat("l2", 0f, 100f);
      if (l2 != null) c = c.withL2(l2);
      Float clip = a.getFloat("clip", 0f, 1f);
      if (clip != null) c = c.withClip(clip);
      Float eta = a.getFloat("eta", 0f, 10f);
      if (eta != null) c = c.withEta(eta);
      if (a.has("loss")) c = c.withLoss(LocalLoss.parse(a.get("loss", null)));
      if (a.has("negatives")) c = c.withNegatives(ModelConfig.Negatives.parse(a.get("negatives", null)));
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
    return c;
  }
}
