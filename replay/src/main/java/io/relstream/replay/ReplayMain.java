package io.relstream.replay;

import io.relstream.core.progress.ProgressBar;
import io.relstream.core.data.DataFormatException;
import io.relstream.core.data.Dataset;
import io.relstream.core.data.ImplicitFeedback;
import io.relstream.core.model.ModelConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code relstream replay}: config, build, run. Exit codes: 0 done, 2 bad input, 1 failure. */
public final class ReplayMain {
  private ReplayMain() {}

  public static void main(String[] args) {
    System.exit(run(args, home(), System.out, System.err));
  }

  /** The repository root: -Drelstream.home (set by the launcher), else the working directory. */
  static Path home() {
    return Path.of(System.getProperty("relstream.home", ".")).toAbsolutePath().normalize();
  }

  static int run(String[] args, Path home, PrintStream out, PrintStream err) {
    boolean verbose = List.of(args).contains("--verbose");
    if (List.of(args).contains("--help")) {
      out.println(ReplayConfig.USAGE);
      return 0;
    }
    try {
      ReplayConfig config = ReplayConfig.parse(args, home);
      execute(config, out, err);
      return 0;
    } catch (UsageException | DataFormatException e) {
      err.println("relstream replay: error: " + e.getMessage());
      if (verbose) e.printStackTrace(err);
      return 2;
    } catch (IOException e) {
      err.println("relstream replay: error: cannot write the report: " + e.getMessage());
      if (verbose) e.printStackTrace(err);
      return 2;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("relstream replay: interrupted");
      return 1;
    } catch (RuntimeException e) {
      err.println("relstream replay: failed: " + e);
      if (verbose) e.printStackTrace(err);
      else err.println("(run with --verbose for the stack trace)");
      return 1;
    }
  }

  static void execute(ReplayConfig config, PrintStream out, PrintStream err)
      throws DataFormatException, IOException, InterruptedException, UsageException {
    Dataset dataset = Replay.load(config);
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
    err.printf(Locale.ROOT, "%s: %d users x %d items; %d training ratings (%d held out for validation), "
            + "%d training clicks, %d test ratings%n", dataset.name(), data.numUsers, data.numItems,
        data.train.size(), data.validation.size(), data.positiveCount(), dataset.test().size());
    Replay replay = new Replay(config, data, err);
    err.printf(Locale.ROOT, "rare items: %s (%d of %d items; %d test users have one)%n",
        replay.rareDefinition, replay.rareItems, data.numItems, replay.testRare.userCount());

    List<ModelMetrics> results = new ArrayList<>();
    long totalSteps = 0;
    for (ModelConfig m : config.models()) totalSteps += (long) m.steps() * config.seeds();
    ProgressBar bar = new ProgressBar(err, "training", totalSteps);
    for (ModelConfig m : config.models()) {
      results.add(replay.runModel(m, m.name(), Map.of(), bar));
    }
    bar.finish(null);

    Map<String, Object> tuning = new LinkedHashMap<>();
    if (config.tune()) {
      ProgressBar tuneBar = new ProgressBar(err, "tuning", (long) config.tuneTrials() * config.models().size());
      List<Tuner.Outcome> outcomes = new ArrayList<>();
      for (ModelConfig m : config.models()) {
        outcomes.add(Tuner.tune(data, replay.validation, m, config.tuneTrials(), config.kernel(), 20201, tuneBar));
      }
      tuneBar.finish(null);
      long tunedSteps = 0;
      for (Tuner.Outcome o : outcomes) tunedSteps += (long) o.best().steps() * config.seeds();
      ProgressBar tunedBar = new ProgressBar(err, "tuned", tunedSteps);
      for (int k = 0; k < outcomes.size(); k++) {
        Tuner.Outcome o = outcomes.get(k);
        String name = config.models().get(k).name() + "-tuned";
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("validationCriterion", o.bestCriterion());
        results.add(replay.runModel(o.best(), name, extra, tunedBar));
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("trials", o.trials().size());
        t.put("rejectedDegenerate", o.trials().stream().filter(x -> x.criterion() == Double.NEGATIVE_INFINITY).count());
        t.put("bestCriterion", o.bestCriterion());
        t.put("defaultCriterion", o.trials().get(0).criterion());
        t.put("chosen", Replay.describe(o.best()));
        tuning.put(name, t);
      }
      tunedBar.finish(null);
    }

    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("protocol", "paper: unprefixed keys (DCG, Recall, MAP as in the reference evaluation); "
        + "standard: nDCG and StdRecall (binary relevance, users with a relevant test item)");
    extra.put("testUsers", replay.testAll.userCount());
    extra.put("rareItems", Map.of("definition", replay.rareDefinition, "maxClicks", replay.rareMaxClicks,
        "items", replay.rareItems, "testUsers", replay.testRare.userCount()));
    extra.put("splitSeed", config.splitSeed());
    extra.put("validationFraction", config.validationFraction());
    if (config.tune()) {
      extra.put("tuning", Map.of("criterion", Tuner.CRITERION, "trialsPerModel", config.tuneTrials(),
          "models", tuning));
    }
    JsonReport.write(config.out().resolve("report.json"),
        JsonReport.build(dataset.name(), config.seeds(), results, extra));
    List<Path> plots = Plots.write(config.out(), dataset.name(), results);
    String notes = "Rare items: " + replay.rareDefinition + ". Standard deviations are over seeds (ddof = 0)."
        + (config.tune() ? " Tuned rows: best of " + config.tuneTrials() + " random-search trials per model by "
            + Tuner.CRITERION + "." : "");
    Files.writeString(config.out().resolve("report.md"),
        MarkdownReport.render(dataset.name(), config.seeds(), results, notes));
    printSummary(out, results);
    out.println("wrote " + config.out().resolve("report.json") + ", report.md and " + plots.size() + " plots");
  }

  private static void printSummary(PrintStream out, List<ModelMetrics> results) {
    out.printf(Locale.ROOT, "%-14s %17s %17s %17s %17s %8s%n", "model", "DCG@5", "Recall@5", "MAP@5",
        "nDCG@5", "train s");
    for (ModelMetrics m : results) {
      out.printf(Locale.ROOT, "%-14s %17s %17s %17s %17s %8.2f%n", m.model(), fmt(m.all().get("DCG@5")),
          fmt(m.all().get("Recall@5")), fmt(m.all().get("MAP@5")), fmt(m.all().get("nDCG@5")),
          m.trainSeconds());
    }
  }

  private static String fmt(Stat s) {
    return String.format(Locale.ROOT, "%.4f ± %.4f", s.mean(), s.std());
  }
}
