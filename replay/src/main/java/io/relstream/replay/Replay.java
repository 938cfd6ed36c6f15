package io.relstream.replay;

import io.relstream.core.progress.ProgressBar;
import io.relstream.core.data.CoatReader;
import io.relstream.core.data.DataFormatException;
import io.relstream.core.data.Dataset;
import io.relstream.core.data.ImplicitFeedback;
import io.relstream.core.data.YahooR3Reader;
import io.relstream.core.kernel.BatchMaths;
import io.relstream.core.metrics.RankingMetrics;
import io.relstream.core.metrics.TestSet;
import io.relstream.core.model.ModelConfig;
import io.relstream.core.train.TrainResult;
import io.relstream.core.train.Trainer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The offline replay: loads a data set, trains every requested model for every seed through core's
 * {@link Trainer}, and evaluates each on the missing-at-random test set, for all test items and for
 * rare items. Only adapts core: no math of its own beyond mean and standard deviation over seeds.
 */
public final class Replay {
  static final int[] KS = {1, 3, 5};
  /** Yahoo! R3's rare-item threshold in the paper: items with at most 500 training clicks. */
  static final long YAHOO_RARE_MAX_CLICKS = 500;

  private final ReplayConfig config;
  private final PrintStream log;
  final ImplicitFeedback data;
  final TestSet testAll;
  final TestSet testRare;
  final TestSet validation;
  final long rareMaxClicks;
  final String rareDefinition;
  final int rareItems;

  Replay(ReplayConfig config, ImplicitFeedback data, PrintStream log) {
    this.config = config;
    this.log = log;
    this.data = data;
    if (config.rareMaxClicks() >= 0) {
      rareMaxClicks = config.rareMaxClicks();
      rareDefinition = "items with at most " + rareMaxClicks + " training clicks (--rare-max-clicks)";
    } else if (data.dataset.name().equals("yahoo-r3")) {
      rareMaxClicks = YAHOO_RARE_MAX_CLICKS;
      rareDefinition = "items with at most 500 training clicks, as in the paper";
    } else {
      rareMaxClicks = medianClicks(data.itemClicks);
      rareDefinition = "items with at most " + rareMaxClicks
          + " training clicks, the median item's count (the less popular half of the catalogue)";
    }
    int n = 0;
    for (long c : data.itemClicks) {
      if (c <= rareMaxClicks) n++;
    }
    rareItems = n;
    testAll = TestSet.of(data.dataset.test(), data.numUsers);
    testRare = TestSet.of(data.dataset.test(), data.numUsers, i -> data.itemClicks[i] <= rareMaxClicks);
    validation = TestSet.of(data.validation, data.numUsers);
  }

  /**
   * Loads the data set of {@code config}, holds out its validation split, creates the output
   * directory and prints what was loaded to {@code log}.
   */
  public static Replay prepare(ReplayConfig config, PrintStream log) throws DataFormatException, UsageException {
    return prepare(config, load(config), log);
  }

  /** As {@link #prepare(ReplayConfig, PrintStream)} with data read by the caller. */
  public static Replay prepare(ReplayConfig config, Dataset dataset, PrintStream log)
      throws DataFormatException, UsageException {
    ImplicitFeedback data;
    try {
      data = ImplicitFeedback.prepare(dataset, config.validationFraction(), config.splitSeed());
    } catch (IllegalArgumentException e) {
      throw new DataFormatException(config.dataDir() + ": " + e.getMessage());
    }
    try {
      Files.createDirectories(config.out());
    } catch (IOException e) {
      throw new UsageException("cannot create --out " + config.out() + ": " + e.getMessage());
    }
    log.printf(Locale.ROOT, "%s: %d users x %d items; %d training ratings (%d held out for validation), "
            + "%d training clicks, %d test ratings%n", dataset.name(), data.numUsers, data.numItems,
        data.train.size(), data.validation.size(), data.positiveCount(), dataset.test().size());
    Replay replay = new Replay(config, data, log);
    log.printf(Locale.ROOT, "rare items: %s (%d of %d items; %d test users have one)%n",
        replay.rareDefinition, replay.rareItems, data.numItems, replay.testRare.userCount());
    return replay;
  }

  public ReplayConfig config() {
    return config;
  }

  /** The training view: the ratings after the validation hold-out, binarised. */
  public ImplicitFeedback data() {
    return data;
  }

  static Dataset load(ReplayConfig c) throws DataFormatException {
    if (!Files.isDirectory(c.dataDir())) {
      throw new DataFormatException(c.dataDir() + ": data directory not found (use --data-dir)");
    }
    return c.dataset().equals("coat") ? CoatReader.read(c.dataDir()) : YahooR3Reader.read(c.dataDir());
  }

  private static long medianClicks(long[] clicks) {
    long[] sorted = clicks.clone();
    Arrays.sort(sorted);
    return sorted[(sorted.length - 1) / 2];
  }

  /** The rows of {@link #trainModels} and what the report says about the tuning. */
  public record Trained(List<ModelMetrics> rows, Map<String, Object> tuning) {}

  /**
   * Trains every model of the configuration for every seed (then, with --tune, tunes each and trains
   * the best again) and evaluates them, with a progress bar on the log.
   *
   * @param suffix appended to each preset's name in the report ("" for the batch replay's own names)
   */
  public Trained trainModels(String suffix) throws InterruptedException {
    List<ModelMetrics> results = new ArrayList<>();
    long totalSteps = 0;
    for (ModelConfig m : config.models()) totalSteps += (long) m.steps() * config.seeds();
    ProgressBar bar = new ProgressBar(log, "training", totalSteps);
    for (ModelConfig m : config.models()) {
      results.add(runModel(m, m.name() + suffix, Map.of(), bar));
    }
    bar.finish(null);

    Map<String, Object> tuning = new LinkedHashMap<>();
    if (config.tune() && !config.models().isEmpty()) {
      ProgressBar tuneBar = new ProgressBar(log, "tuning", (long) config.tuneTrials() * config.models().size());
      List<Tuner.Outcome> outcomes = new ArrayList<>();
      for (ModelConfig m : config.models()) {
        outcomes.add(Tuner.tune(data, validation, m, config.tuneTrials(), config.kernel(), 20201, tuneBar));
      }
      tuneBar.finish(null);
      long tunedSteps = 0;
      for (Tuner.Outcome o : outcomes) tunedSteps += (long) o.best().steps() * config.seeds();
      ProgressBar tunedBar = new ProgressBar(log, "tuned", tunedSteps);
      for (int k = 0; k < outcomes.size(); k++) {
        Tuner.Outcome o = outcomes.get(k);
        String name = config.models().get(k).name() + suffix + "-tuned";
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("validationCriterion", o.bestCriterion());
        results.add(runModel(o.best(), name, extra, tunedBar));
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("trials", o.trials().size());
        t.put("rejectedDegenerate", o.trials().stream().filter(x -> x.criterion() == Double.NEGATIVE_INFINITY).count());
        t.put("bestCriterion", o.bestCriterion());
        t.put("defaultCriterion", o.trials().get(0).criterion());
        t.put("chosen", describe(o.best()));
        tuning.put(name, t);
      }
      tunedBar.finish(null);
    }
    return new Trained(results, tuning);
  }

  /** The report's descriptive keys: protocols, test users, rare items, split (and the tuning, if any). */
  public Map<String, Object> reportExtra(Map<String, Object> tuning) {
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("protocol", "paper: unprefixed keys (DCG, Recall, MAP as in the reference evaluation); "
        + "standard: nDCG and StdRecall (binary relevance, users with a relevant test item)");
    extra.put("testUsers", testAll.userCount());
    extra.put("rareItems", Map.of("definition", rareDefinition, "maxClicks", rareMaxClicks,
        "items", rareItems, "testUsers", testRare.userCount()));
    extra.put("splitSeed", config.splitSeed());
    extra.put("validationFraction", config.validationFraction());
    if (!tuning.isEmpty()) {
      extra.put("tuning", Map.of("criterion", Tuner.CRITERION, "trialsPerModel", config.tuneTrials(),
          "models", tuning));
    }
    return extra;
  }

  /** The report's notes: the rare-item definition, the standard deviation, the tuning. */
  public String notes(boolean tuned) {
    return "Rare items: " + rareDefinition + ". Standard deviations are over seeds (ddof = 0)."
        + (tuned ? " Tuned rows: best of " + config.tuneTrials() + " random-search trials per model by "
            + Tuner.CRITERION + "." : "");
  }

  /** Trains {@code model} for every seed and evaluates it; seeds run in parallel on the Java path. */
  ModelMetrics runModel(ModelConfig model, String reportName, Map<String, Object> extraConfig,
      ProgressBar bar) throws InterruptedException {
    int seeds = config.seeds();
    int threads = config.kernel() == BatchMaths.Path.OPENCL ? 1 : Math.min(seeds, config.threads());
    ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "replay-" + reportName);
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<SeedRun>> futures = new ArrayList<>();
      for (int s = 0; s < seeds; s++) {
        final long seed = s;
        futures.add(pool.submit(() -> runSeed(model, seed, bar, reportName)));
      }
      List<SeedRun> runs = new ArrayList<>();
      for (Future<SeedRun> f : futures) {
        runs.add(f.get());
      }
      Map<String, Object> cfg = describe(model);
      cfg.put("kernel", runs.get(0).train.path());
      cfg.put("device", runs.get(0).train.device());
      cfg.put("ranOnOpenCL", runs.get(0).train.ranOnOpenCL());
      cfg.putAll(extraConfig);
      double seconds = runs.stream().mapToDouble(r -> r.train.seconds()).average().orElse(0);
      return metrics(reportName, cfg, seconds, runs.stream().map(r -> new Evaluation(r.all, r.rare)).toList());
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException re) throw re;
      throw new IllegalStateException(cause);
    } finally {
      pool.shutdownNow();
    }
  }

  private record SeedRun(TrainResult train, Map<String, Double> all, Map<String, Double> rare) {}

  private SeedRun runSeed(ModelConfig model, long seed, ProgressBar bar, String name) {
    TrainResult r = Trainer.train(data, model, seed, config.kernel(),
        (step, steps, loss) -> bar.advance(1, String.format(Locale.ROOT, "%s seed %d loss %.4f", name, seed, loss)));
    Evaluation e = evaluate(r.model()::score);
    return new SeedRun(r, e.all(), e.rare());
  }

  /**
   * One seed's metrics on the test set, over all test items and over rare items.
   *
   * @param all metric key ({@link RankingMetrics#keys} of {@link #KS}) to value, all test items
   * @param rare the same on the rare-item subset
   */
  public record Evaluation(Map<String, Double> all, Map<String, Double> rare) {}

  /** Evaluates one scorer (indices of the data set) on the test set, all items and rare items. */
  public Evaluation evaluate(RankingMetrics.Scorer scorer) {
    return new Evaluation(RankingMetrics.evaluate(testAll, scorer, KS), RankingMetrics.evaluate(testRare, scorer, KS));
  }

  /** A report row from per-seed evaluations: mean and standard deviation over them. */
  public static ModelMetrics metrics(String reportName, Map<String, Object> config, double trainSeconds,
      List<Evaluation> seeds) {
    return new ModelMetrics(reportName, config, trainSeconds, aggregate(seeds, true), aggregate(seeds, false));
  }

  private static Map<String, Stat> aggregate(List<Evaluation> runs, boolean all) {
    Map<String, Stat> out = new LinkedHashMap<>();
    for (String key : RankingMetrics.keys(KS)) {
      double[] v = runs.stream().mapToDouble(r -> (all ? r.all() : r.rare()).get(key)).toArray();
      out.put(key, stat(v));
    }
    return out;
  }

  /** Mean and population standard deviation (numpy's default, ddof = 0) over seeds. */
  static Stat stat(double[] v) {
    double mean = Arrays.stream(v).average().orElse(Double.NaN);
    double var = Arrays.stream(v).map(x -> (x - mean) * (x - mean)).average().orElse(Double.NaN);
    return new Stat(mean, Math.sqrt(var));
  }

  static Map<String, Object> describe(ModelConfig m) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("dim", m.dim());
    c.put("lr", m.learningRate());
    c.put("l2", m.l2());
    c.put("steps", m.steps());
    c.put("batch", m.batchSize());
    c.put("positivesPerBatch", m.positivesPerBatch());
    c.put("propensity", m.propensity().name().toLowerCase(Locale.ROOT));
    c.put("clip", m.clip());
    c.put("eta", m.eta());
    c.put("negativeWeight", m.negativeWeight());
    c.put("loss", m.loss().name().toLowerCase(Locale.ROOT));
    c.put("negatives", m.negatives().name().toLowerCase(Locale.ROOT).replace('_', '-'));
    return c;
  }
}
