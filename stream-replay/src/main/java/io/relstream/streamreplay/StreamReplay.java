package io.relstream.streamreplay;

import io.relstream.core.data.DataFormatException;
import io.relstream.core.data.ImplicitFeedback;
import io.relstream.core.data.Ratings;
import io.relstream.core.metrics.RankingMetrics;
import io.relstream.core.progress.ProgressBar;
import io.relstream.replay.ModelMetrics;
import io.relstream.replay.Replay;
import io.relstream.replay.ReplayConfig;
import io.relstream.replay.ReplayReport;
import io.relstream.replay.UsageException;
import io.relstream.schemas.avro.Interaction;
import io.relstream.streamtrain.TrainConfig;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The streaming replay: for every stream model and seed, one {@link JobRun} over the data set's
 * training log ({@link LoggedEvents}, the same ratings the batch reference trains on), the model it ends
 * with evaluated by the batch replay's metrics; then the {@code -batch} models through the batch replay
 * and the baselines, all in one report. Only adapts: the math is core's, the operators stream-train's.
 */
final class StreamReplay {
  /** A run longer than this is cancelled (a stuck cluster, not a long log: Yahoo! R3 runs in minutes). */
  static final long RUN_TIMEOUT_SECONDS = 6 * 3600;

  private final StreamReplayConfig config;
  private final Replay replay;
  /** The own event log, or null for a data set. */
  private final EventLog events;
  private final String[] userIds;
  private final String[] itemIds;
  private final PrintStream log;

  StreamReplay(StreamReplayConfig config, Replay replay, EventLog events, PrintStream log) {
    this.config = config;
    this.replay = replay;
    this.events = events;
    ImplicitFeedback data = replay.data();
    int offset = LoggedEvents.idOffset(data.dataset.name());
    this.userIds = events != null ? events.userIds() : StreamModel.offsetIds(data.numUsers, offset);
    this.itemIds = events != null ? events.itemIds() : StreamModel.offsetIds(data.numItems, offset);
    this.log = log;
  }

  static void execute(StreamReplayConfig config, PrintStream out, PrintStream err)
      throws DataFormatException, UsageException, IOException, InterruptedException {
    ReplayConfig batch = config.batch();
    if (!config.eventLog()) {
      new StreamReplay(config, Replay.prepare(batch, err), null, err).run(out);
      return;
    }
    EventLog events = config.events() != null ? EventLog.read(config.events(), config.test(), err)
        : EventLog.fromTopic(config.bootstrap(), config.topic(), config.fromTime(), config.toTime(), config.test(), err);
    err.printf(Locale.ROOT, "%s: %d %s, %d valid events (%d duplicates dropped), %d rejected%s -> %d interactions"
            + "%n", config.events() != null ? config.events().getFileName() : "topic " + config.topic(), events.lines(),
        config.events() != null ? "lines" : "records", events.accepted(), events.duplicates(),
        events.rejected().values().stream().mapToLong(Long::longValue).sum(),
        events.rejected().isEmpty() ? "" : " " + events.rejected(), events.interactions().size());
    for (String r : events.firstRejections()) {
      err.println("  " + r);
    }
    new StreamReplay(config, Replay.prepare(batch, events.dataset(), err), events, err).run(out);
  }

  /**
   * The event log's interactions the stream trains on: those the batch replay kept for training (the
   * dataset's training ratings are the interactions, one each, in the same order), so validation stays
   * held out for both.
   */
  private List<Interaction> trainingInteractions() {
    List<Interaction> all = events.interactions();
    List<Interaction> kept = new ArrayList<>(replay.data().trainPositions.length);
    for (int k : replay.data().trainPositions) {
      kept.add(all.get(k));
    }
    return kept;
  }

  /** What the stream is made of, as the report names it. */
  private String source() {
    return events != null ? "events" : config.log().label();
  }

  /** One seed's run of a stream model, evaluated. */
  record SeedRun(JobRun.Result job, Replay.Evaluation evaluation) {}

  void run(PrintStream out) throws IOException, InterruptedException {
    ReplayConfig batch = config.batch();
    ImplicitFeedback data = replay.data();
    int seeds = batch.seeds();
    Map<String, ModelMetrics> rows = new LinkedHashMap<>();
    StreamModel scored = null;

    if (!config.stream().isEmpty()) {
      List<LoggedEvents> logs = new ArrayList<>();
      for (int s = 0; s < seeds; s++) {
        logs.add(events != null
            ? LoggedEvents.ofInteractions(data.dataset.name(), trainingInteractions(), config.passes())
            : LoggedEvents.of(data, config.log(), s, config.passes()));
      }
      long total = (long) logs.get(0).size() * seeds * config.stream().size();
      log.printf(Locale.ROOT, "streaming: %d events per pass (%s), %d pass(es), %d seed(s), parallelism %d, "
          + "Flink %s%n", logs.get(0).perPass(), events != null ? "the event log's interactions"
              : "--log " + config.log().label(), config.passes(), seeds, config.parallelism(),
          JobRun.flinkVersion());
      ProgressBar bar = new ProgressBar(log, "streaming", total);
      for (StreamReplayConfig.StreamSpec spec : config.stream()) {
        List<SeedRun> runs = new ArrayList<>();
        for (int s = 0; s < seeds; s++) {
          SeedRun r = runSeed(spec, s, logs.get(s), bar);
          runs.add(r);
          scored = r.job().model();
        }
        rows.put(spec.name(), row(spec, logs.get(0), runs));
      }
      bar.finish(null);
      for (StreamReplayConfig.StreamSpec spec : config.stream()) {
        Map<String, Object> c = rows.get(spec.name()).config();
        log.printf(Locale.ROOT, "%s: %s events trained per run, %.0f events/s (job running time, mean over %d seed(s))%n",
            spec.name(), c.get("eventsTrained"), (Double) c.get("eventsPerSecond"), seeds);
      }
    }

    Map<String, Object> tuning = Map.of();
    if (!batch.models().isEmpty()) {
      Replay.Trained trained = replay.trainModels(StreamReplayConfig.SUFFIX);
      for (ModelMetrics m : trained.rows()) {
        rows.put(m.model(), m);
      }
      tuning = trained.tuning();
    }

    List<ModelMetrics> ordered = new ArrayList<>();
    for (String name : config.models()) {
      ordered.add(rows.remove(name));
    }
    ordered.addAll(rows.values()); // tuned rows
    ordered.add(Baselines.popularity(replay));
    ordered.add(Baselines.random(replay, seeds));

    Map<String, Object> extra = replay.reportExtra(tuning);
    extra.put("streaming", streamingExtra());
    if (events != null) {
      extra.put("rejected", events.rejected());
    }
    ReplayReport.write(batch.out(), data.dataset.name(), seeds, ordered, extra, notes(), out);

    if (config.scoresOut() != null) {
      writeScores(config.scoresOut(), data, scored, userIds, itemIds);
      out.println("wrote " + config.scoresOut());
    }
  }

  SeedRun runSeed(StreamReplayConfig.StreamSpec spec, long seed, LoggedEvents events, ProgressBar bar)
      throws InterruptedException {
    TrainConfig c = spec.config().withTrainer(spec.config().trainer().withSeed(seed));
    JobRun.Result job = JobRun.run(events, c, config.parallelism(), bar, spec.name() + " seed " + seed,
        RUN_TIMEOUT_SECONDS);
    if (job.eventsTrained() != events.size()) {
      throw new IllegalStateException(spec.name() + " seed " + seed + ": the trainer counted " + job.eventsTrained()
          + " events, the log has " + events.size());
    }
    return new SeedRun(job, replay.evaluate(job.model().scorer(userIds, itemIds)));
  }

  private ModelMetrics row(StreamReplayConfig.StreamSpec spec, LoggedEvents events, List<SeedRun> runs) {
    TrainConfig c = spec.config();
    Map<String, Object> cfg = new LinkedHashMap<>();
    cfg.put("engine", "stream-job");
    cfg.put("log", source());
    cfg.put("dim", c.trainer().dim());
    cfg.put("lr", c.trainer().learningRate());
    cfg.put("l2", c.trainer().l2());
    cfg.put("clip", c.trainer().clip());
    cfg.put("propensity", spec.name().equals("mf") ? "none (theta = 1: M = 1, so a click weighs Y / max(theta, 1) = Y)"
        : c.propensity().name().toLowerCase(Locale.ROOT));
    cfg.put("eta", c.eta());
    cfg.put("loss", c.trainer().loss().name().toLowerCase(Locale.ROOT));
    cfg.put("batchSize", c.trainer().batchSize());
    cfg.put("negativesPerPositive", c.trainer().negativesPerPositive());
    cfg.put("kernel", c.kernel());
    cfg.put("passes", config.passes());
    cfg.put("parallelism", config.parallelism());
    cfg.put("events", events.perPass());
    cfg.put("eventsTrained", runs.get(0).job().eventsTrained());
    cfg.put("eventsPerSecond", runs.stream().mapToDouble(r -> r.job().eventsPerSecond()).average().orElse(Double.NaN));
    cfg.put("flinkJobId", runs.size() == 1 ? runs.get(0).job().jobId()
        : runs.stream().map(r -> r.job().jobId()).toList());
    cfg.put("flinkVersion", JobRun.flinkVersion());
    double seconds = runs.stream().mapToDouble(r -> r.job().seconds()).average().orElse(0);
    return Replay.metrics(spec.name(), cfg, seconds, runs.stream().map(SeedRun::evaluation).toList());
  }

  private Map<String, Object> streamingExtra() {
    Map<String, Object> s = new LinkedHashMap<>();
    if (events != null) {
      s.put("source", config.events() != null ? "events" : "topic");
      if (config.events() != null) {
        s.put("eventsFile", config.events().toString());
      } else {
        s.put("topic", config.topic());
        s.put("bootstrap", config.bootstrap());
        s.put("fromTime", config.fromTime());
        s.put("toTime", config.toTime());
        s.put("isolation", "read_committed");
      }
      s.put("testFile", config.test().toString());
      s.put("lines", events.lines());
      s.put("validEvents", events.accepted());
      s.put("duplicates", events.duplicates());
      s.put("rejected", events.rejected());
      s.put("firstRejections", events.firstRejections());
      s.put("interactions", events.interactions().size());
      s.put("interactionsTrained", replay.data().trainPositions.length);
      s.put("join", "the ingest app's rules (events module: window 30 min, de-duplication 1 h), "
          + (config.events() != null ? "the file as one partition in file order"
              : "each partition in offset order with its own stream time")
          + "; at the end of the input every deadline passes");
      s.put("passOrder", "the joined interactions in time order, every pass");
    } else {
      s.put("source", "dataset");
      s.put("log", config.log().label());
      s.put("firstEventMillis", LoggedEvents.T0);
      s.put("spacingMillis", LoggedEvents.SPACING_MS);
    }
    s.put("passes", config.passes());
    s.put("parallelism", config.parallelism());
    s.put("propensityCountsAcrossPasses", "accumulate (one job sees the passes as one longer stream)");
    s.put("idleFlush", "off");
    s.put("flinkVersion", JobRun.flinkVersion());
    return s;
  }

  private String notes() {
    return replay.notes(config.batch().tune())
        + " Stream rows (engine stream-job) are runs of stream-train's job on a local MiniCluster over the"
        + (events != null ? " event log's joined interactions (" + config.passes() + " pass(es), each in time"
            + " order"
            : " training ratings (--log " + config.log().label() + ", " + config.passes() + " pass(es), each in a seeded"
              + " order")
        + ", propensity counts accumulating across passes); each is evaluated on the model it ends with (the"
        + " newest row per key). A user or item the stream never trained gets the serving fallback's score"
        + " (debiased popularity; 0 for an unseen item). eventsPerSecond is over the job's running time, from the"
        + " first event out of the source to the last row into the sink. -batch rows are the batch reference;"
        + " popularity and random are baselines.\n";
  }

  /** {@code user TAB item TAB score} per test pair, ids as in the data set's files. */
  static void writeScores(Path file, ImplicitFeedback data, StreamModel model, String[] userIds, String[] itemIds)
      throws IOException {
    RankingMetrics.Scorer scorer = model.scorer(userIds, itemIds);
    Ratings test = data.dataset.test();
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (int k = 0; k < test.size(); k++) {
        int u = test.users()[k];
        int i = test.items()[k];
        w.write(userIds[u] + "\t" + itemIds[i] + "\t" + scorer.score(u, i) + "\n");
      }
    }
  }

}
