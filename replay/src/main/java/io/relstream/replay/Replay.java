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
final class Replay {
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
      return new ModelMetrics(reportName, cfg, seconds, aggregate(runs, true), aggregate(runs, false));
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
    var scorer = (RankingMetrics.Scorer) r.model()::score;
    return new SeedRun(r, RankingMetrics.evaluate(testAll, scorer, KS),
        RankingMetrics.evaluate(testRare, scorer, KS));
  }

  private static Map<String, Stat> aggregate(List<SeedRun> runs, boolean all) {
    Map<String, Stat> out = new LinkedHashMap<>();
    for (String key : RankingMetrics.keys(KS)) {
      double[] v = runs.stream().mapToDouble(r -> (all ? r.all : r.rare).get(key)).toArray();
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
