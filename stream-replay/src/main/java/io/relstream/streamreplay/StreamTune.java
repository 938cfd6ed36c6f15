package io.relstream.streamreplay;

import io.relstream.core.data.Dataset;
import io.relstream.core.data.ImplicitFeedback;
import io.relstream.core.data.Ratings;
import io.relstream.core.kernel.BatchMaths;
import io.relstream.core.metrics.RankingMetrics;
import io.relstream.core.metrics.TestSet;
import io.relstream.core.model.ModelConfig;
import io.relstream.core.synthetic.SemiSyntheticEvents;
import io.relstream.core.synthetic.SemiSyntheticLog;
import io.relstream.core.train.Trainer;
import io.relstream.replay.Args;
import io.relstream.replay.Replay;
import io.relstream.replay.ReplayConfig;
import io.relstream.replay.ReplayMain;
import io.relstream.replay.UsageException;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.InteractionSource;
import io.relstream.streamtrain.TrainConfig;
import io.relstream.streamtrain.TrainFlags;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Chooses the stream trainer's settings on a validation split, never on the test set: every setting of
 * a grid, as the relmf and mf stream models, over one log, through core's operators ({@link CoreStream},
 * the job's model at parallelism 1), for each seed; prints the validation criterion (and, only with
 * {@code --on test}, the test DCG@5 that a chosen setting then reports).
 *
 * <pre>
 *   StreamTune --dataset coat [--data-dir DIR] [--log clicks] | --synthetic [--users 1000 --items 500
 *              --alpha 0.5 --max-exposure 0.9 --out DIR]
 *              [--passes 1] [--seeds 3] [--on validation|test] [--batch-reference]
 *              --grid 'name=--flag v --flag v;name2=...'
 * </pre>
 * <ul>
 *   <li>A data set (Coat, Yahoo! R3): the stream is its training log ({@link LoggedEvents}, validation
 *       ratings held out); the criterion is the batch tuner's, the IPS-weighted DCG@5 on the validation
 *       split ranking all items but the user's training clicks (&theta; the training clicks' popularity,
 *       &eta; 0.5, floored at 0.01).</li>
 *   <li>{@code --synthetic}: the impressions of a {@link SemiSyntheticLog} with their logged propensities
 *       ({@link SemiSyntheticEvents}; pass p in its own order); validation and test are two MAR sets of 10
 *       items per user drawn with different seeds; the criterion is DCG@5 on the MAR set. {@code --out}
 *       writes the log as NDJSON ({@code events.ndjson}) with {@code validation.tsv} and
 *       {@code test.tsv}, and in Yahoo! R3's files under {@code yahoo-format/}.</li>
 * </ul>
 */
final class StreamTune {
  static final Set<String> VALUED = Set.of("dataset", "data-dir", "log", "passes", "seeds", "on", "grid", "users",
      "items", "alpha", "max-exposure", "out", "split-seed");
  static final Set<String> FLAGS = Set.of("synthetic", "batch-reference");
  static final int[] K5 = {5};
  static final long VALIDATION_SEED = 101;
  static final long TEST_SEED = 202;
  static final int MAR_PER_USER = 10;

  /** A source of streams and the two evaluations. */
  interface Source {
    int numUsers();

    int numItems();

    List<Interaction> events(long seed, int passes);

    double validation(RankingMetrics.Scorer s);

    double test(RankingMetrics.Scorer s);

    /** The training view for the batch reference. */
    ImplicitFeedback batchData();
  }

  public static void main(String[] argv) throws Exception {
    Args a;
    try {
      a = Args.parse(argv, VALUED, FLAGS);
    } catch (UsageException e) {
      System.err.println("stream-tune: " + e.getMessage());
      System.exit(2);
      return;
    }
    PrintStream out = System.out;
    Source source = a.has("synthetic") ? synthetic(a, out) : dataset(a);
    int passes = a.getInt("passes", 1, 1, 100);
    int seeds = a.getInt("seeds", 3, 1, 20);
    boolean onTest = a.get("on", "validation").equals("test");
    out.printf(Locale.ROOT, "%s, %d pass(es), %d seed(s), criterion on %s%n", a.has("synthetic") ? "semi-synthetic"
        : a.get("dataset", "coat"), passes, seeds, onTest ? "TEST" : "validation");
    for (String[] g : grid(a.get("grid", "defaults="))) {
      TrainConfig base = apply(TrainConfig.defaults().withFlushIdleMs(0), g[1]);
      for (String model : List.of("relmf", "mf")) {
        TrainConfig c = model.equals("mf") ? base.withTrainer(base.trainer().withClip(1f)) : base;
        double[] v = new double[seeds];
        long events = 0;
        long nanos = 0;
        for (int s = 0; s < seeds; s++) {
          TrainConfig seeded = c.withTrainer(c.trainer().withSeed(s));
          List<Interaction> stream = source.events(s, passes);
          long t0 = System.nanoTime();
          StreamModel m = CoreStream.run(stream, seeded);
          nanos += System.nanoTime() - t0;
          events += stream.size();
          RankingMetrics.Scorer scorer = m.scorer(source.numUsers(), source.numItems(), 0);
          v[s] = onTest ? source.test(scorer) : source.validation(scorer);
        }
        out.printf(Locale.ROOT, "%-28s %-6s %.4f ± %.4f   (%.0f events/s)%n", g[0], model, mean(v), std(v),
            events / (nanos / 1e9));
      }
    }
    if (a.has("batch-reference")) {
      for (String preset : List.of("relmf", "mf")) {
        double[] v = new double[seeds];
        for (int s = 0; s < seeds; s++) {
          ImplicitFeedback data = source.batchData();
          var r = Trainer.train(data, ModelConfig.preset(preset), s, BatchMaths.Path.JAVA, (x, y, z) -> {});
          v[s] = onTest ? source.test(r.model()::score) : source.validation(r.model()::score);
        }
        out.printf(Locale.ROOT, "%-28s %-6s %.4f ± %.4f%n", "batch reference", preset + "-batch", mean(v), std(v));
      }
    }
  }

  static List<String[]> grid(String spec) {
    List<String[]> out = new ArrayList<>();
    for (String entry : spec.split(";")) {
      if (entry.isBlank()) continue;
      int eq = entry.indexOf('=');
      out.add(new String[] {entry.substring(0, eq).strip(), entry.substring(eq + 1).strip()});
    }
    return out;
  }

  /** {@code base} with {@code --name value} pairs applied by {@link TrainFlags#apply}. */
  static TrainConfig apply(TrainConfig base, String flags) {
    String[] t = flags.isBlank() ? new String[0] : flags.strip().split("\\s+");
    for (int k = 0; k + 1 < t.length; k += 2) {
      base = TrainFlags.apply(base, t[k].replaceFirst("^--", ""), t[k + 1]);
    }
    return base;
  }

  static double mean(double[] v) {
    return Arrays.stream(v).average().orElse(Double.NaN);
  }

  static double std(double[] v) {
    double m = mean(v);
    return Math.sqrt(Arrays.stream(v).map(x -> (x - m) * (x - m)).average().orElse(Double.NaN));
  }

  static Source dataset(Args a) throws Exception {
    List<String> argv = new ArrayList<>(List.of("--dataset=" + a.get("dataset", "coat"), "--out="
        + System.getProperty("java.io.tmpdir") + "/stream-tune"));
    if (a.has("data-dir")) argv.add("--data-dir=" + a.get("data-dir", null));
    if (a.has("split-seed")) argv.add("--split-seed=" + a.get("split-seed", null));
    ReplayConfig rc = ReplayConfig.of(Args.parse(argv.toArray(String[]::new), ReplayConfig.VALUED,
        ReplayConfig.FLAGS), ReplayMain.home(), List.of());
    Replay replay = Replay.prepare(rc, new PrintStream(OutputStream.nullOutputStream()));
    ImplicitFeedback data = replay.data();
    LoggedEvents.Log log = LoggedEvents.Log.parse(a.get("log", "clicks"));
    int offset = LoggedEvents.idOffset(data.dataset.name());
    if (offset != 0) {
      throw new UsageException("stream-tune scores data sets with 0-based ids only (Coat)");
    }
    TestSet validation = TestSet.of(data.validation, data.numUsers);
    float[] criterionTheta = Trainer.itemPropensities(data, ModelConfig.preset("relmf").withEta(0.5f));
    return new Source() {
      public int numUsers() {
        return data.numUsers;
      }

      public int numItems() {
        return data.numItems;
      }

      public List<Interaction> events(long seed, int passes) {
        return LoggedEvents.of(data, log, seed, passes).all();
      }

      public double validation(RankingMetrics.Scorer s) {
        return RankingMetrics.ipsWeightedDcg(validation, s, criterionTheta, 0.01, 5, data::isPositive);
      }

      public double test(RankingMetrics.Scorer s) {
        return replay.evaluate(s).all().get("DCG@5");
      }

      public ImplicitFeedback batchData() {
        return data;
      }
    };
  }

  static Source synthetic(Args a, PrintStream out) throws Exception {
    int users = a.getInt("users", 1000, 1, 100_000);
    int items = a.getInt("items", 500, 1, 100_000);
    double alpha = Double.parseDouble(a.get("alpha", "0.5"));
    double maxExposure = Double.parseDouble(a.get("max-exposure", "0.9"));
    SemiSyntheticLog.Params d = SemiSyntheticLog.Params.defaults(users, items);
    SemiSyntheticLog.Params p = new SemiSyntheticLog.Params(users, items, d.rank(), d.relevanceScale(),
        d.relevanceOffset(), alpha, maxExposure, Math.min(d.minExposure(), maxExposure));
    SemiSyntheticLog log = SemiSyntheticLog.generate(p, 1);
    SemiSyntheticEvents first = SemiSyntheticEvents.of(log, 0);
    Ratings val = first.marSet(MAR_PER_USER, VALIDATION_SEED);
    Ratings test = first.marSet(MAR_PER_USER, TEST_SEED);
    out.printf(Locale.ROOT, "semi-synthetic: %d users x %d items, alpha %.2f, theta_max %.2f: %d impressions, %d clicks%n",
        users, items, alpha, maxExposure, first.size(), log.clickCount());
    if (a.has("out")) {
      Path dir = Path.of(a.get("out", null));
      first.writeNdjson(dir.resolve("events.ndjson"));
      SemiSyntheticEvents.writeLabels(val, dir.resolve("validation.tsv"));
      SemiSyntheticEvents.writeLabels(test, dir.resolve("test.tsv"));
      first.writeYahooR3(test, dir.resolve("yahoo-format"));
      out.println("wrote " + dir.resolve("events.ndjson") + ", validation.tsv, test.tsv and yahoo-format/ (the same"
          + " log in Yahoo! R3's files, for --dataset yahoo-r3 --data-dir)");
    }
    TestSet valSet = TestSet.of(val, users);
    TestSet testSet = TestSet.of(test, users);
    Map<Long, List<Interaction>> cache = new LinkedHashMap<>();
    return new Source() {
      public int numUsers() {
        return users;
      }

      public int numItems() {
        return items;
      }

      public List<Interaction> events(long seed, int passes) {
        List<Interaction> all = new ArrayList<>();
        for (int pass = 0; pass < passes; pass++) {
          long orderSeed = seed * 1000 + pass;
          int at = pass;
          all.addAll(cache.computeIfAbsent(orderSeed, o -> interactions(SemiSyntheticEvents.of(log, o), at)));
        }
        return all;
      }

      public double validation(RankingMetrics.Scorer s) {
        return RankingMetrics.evaluate(valSet, s, K5).get("DCG@5");
      }

      public double test(RankingMetrics.Scorer s) {
        return RankingMetrics.evaluate(testSet, s, K5).get("DCG@5");
      }

      public ImplicitFeedback batchData() {
        int n = first.size();
        int[] us = new int[n];
        int[] is = new int[n];
        byte[] rs = new byte[n];
        for (int k = 0; k < n; k++) {
          us[k] = first.user(k);
          is[k] = first.item(k);
          rs[k] = (byte) (first.clicked(k) ? 5 : 1);
        }
        return ImplicitFeedback.prepare(new Dataset("semi-synthetic", users, items, new Ratings(us, is, rs), test),
            0.0, 0);
      }
    };
  }

  /** The impressions as the ingest join emits them: one interaction each, label Y, logged propensity. */
  static List<Interaction> interactions(SemiSyntheticEvents e, int pass) {
    List<Interaction> out = new ArrayList<>(e.size());
    for (int k = 0; k < e.size(); k++) {
      boolean clicked = e.clicked(k);
      out.add(Interaction.newBuilder().setEventId("imp-" + pass + "-" + k)
          .setUser(SemiSyntheticEvents.userId(e.user(k))).setItem(SemiSyntheticEvents.itemId(e.item(k)))
          .setTimestamp(e.timestamp(k) + pass * SemiSyntheticEvents.SPACING_MS * e.size()).setLabel(clicked ? 1 : 0)
          .setSource(clicked ? InteractionSource.CLICKED_IMPRESSION : InteractionSource.UNCLICKED_IMPRESSION)
          .setRequestId("r" + k).setPosition(null).setPropensity((double) e.propensity(k)).build());
    }
    return out;
  }
}
