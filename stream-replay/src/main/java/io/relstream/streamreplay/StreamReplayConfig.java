package io.relstream.streamreplay;

import io.relstream.core.online.OnlineConfig;
import io.relstream.replay.Args;
import io.relstream.replay.ReplayConfig;
import io.relstream.replay.UsageException;
import io.relstream.streamtrain.TrainConfig;
import io.relstream.streamtrain.TrainFlags;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A parsed {@code relstream replay --streaming} command line.
 *
 * @param batch the batch replay's configuration: data set, split, seeds, output directory, and the
 *     presets of the {@code -batch} models (possibly none)
 * @param models the requested report names, in order
 * @param stream the stream models, in order, each with the job's settings
 * @param log which part of the log the stream sees
 * @param passes passes over the log (each in its own seeded order)
 * @param parallelism of the job's source and sink (propensity and trainer run at 1)
 * @param scoresOut where to write the test pairs' scores, or null
 * @param events an own event log (NDJSON, the collector's format) instead of a data set, or null
 * @param topic the events topic to read instead (with {@code bootstrap}), or null
 * @param fromTime first record time read from the topic (epoch ms), or null for its beginning
 * @param toTime last record time read from the topic (epoch ms), or null for no bound
 * @param test the event log's test set (required with {@code events} or {@code topic})
 */
record StreamReplayConfig(ReplayConfig batch, List<String> models, List<StreamSpec> stream, LoggedEvents.Log log,
    int passes, int parallelism, Path scoresOut, Path events, String topic, String bootstrap, Long fromTime,
    Long toTime, Path test) {

  /** Whether the source is an event log (a file or a topic) rather than a data set. */
  boolean eventLog() {
    return events != null || topic != null;
  }

  /**
   * A stream model: a run of the job with these settings.
   *
   * @param name relmf, mf or rmf
   * @param config the job's settings, idle flush off; the trainer's seed is set per replay seed
   */
  record StreamSpec(String name, TrainConfig config) {}

  static final List<String> STREAM_MODELS = List.of("relmf", "mf", "rmf");
  static final List<String> BATCH_MODELS = List.of("relmf-batch", "mf-batch", "wmf-batch", "rmf-batch");
  static final String SUFFIX = "-batch";

  /** Options of the batch replay that only its training reads. */
  static final Set<String> BATCH_ONLY = Set.of("steps", "batch", "negatives", "tune", "tune-trials", "threads");
  /** Options that only the stream models read. */
  static final Set<String> STREAM_ONLY;
  static final Set<String> VALUED;
  static final Set<String> FLAGS;

  static {
    Set<String> streamOnly = new HashSet<>(Set.of("log", "passes", "parallelism", "scores-out"));
    streamOnly.addAll(TrainFlags.NAMES);
    streamOnly.removeAll(ReplayConfig.VALUED); // --dim, --lr, ... apply to both kinds
    STREAM_ONLY = Set.copyOf(streamOnly);
    Set<String> valued = new HashSet<>(ReplayConfig.VALUED);
    valued.addAll(STREAM_ONLY);
    valued.addAll(Set.of("events", "test", "from-topic", "bootstrap", "from-time", "to-time"));
    VALUED = Set.copyOf(valued);
    Set<String> flags = new HashSet<>(ReplayConfig.FLAGS);
    flags.add("streaming");
    FLAGS = Set.copyOf(flags);
  }

  static final String USAGE = String.join("\n",
      "usage: relstream replay --streaming --dataset coat|yahoo-r3 [--data-dir DIR]",
      "       relstream replay --streaming --events FILE.ndjson --test FILE",
      "       relstream replay --streaming --from-topic events --bootstrap HOST:PORT [--from-time T] [--to-time T]",
      "                        --test FILE        (T: ISO-8601 instant or epoch milliseconds)",
      "                        [--models relmf,mf,rmf,relmf-batch,mf-batch,wmf-batch,rmf-batch]",
      "                        [--log clicks|impressions] [--passes 1] [--parallelism 1] [--seeds N]",
      "                        [--out DIR] [--scores-out FILE]",
      "  job settings (stream models, as StreamTrainMain takes them):",
      "                        " + TrainFlags.USAGE,
      "  batch settings (-batch models): [--steps N] [--batch N] [--negatives uniform|per-user]",
      "                        [--tune] [--tune-trials N] [--threads N]",
      "  --dim --lr --l2 --clip --loss --eta --kernel java|opencl apply to both kinds;",
      "  other: [--split-seed N] [--rare-max-clicks N] [--verbose]",
      "",
      "Runs stream-train's operators (propensity and trainer, the live classes and settings) over the data",
      "set's training log on a local Flink MiniCluster, once per stream model and seed, and evaluates the",
      "model each run ends with on the missing-at-random test set, beside the batch reference (-batch)",
      "and the popularity and random baselines. relmf: live defaults; mf: theta = 1 (M = 1, so every",
      "click weighs Y / max(theta, 1) = Y); rmf: M = 0. Writes report.json, report.md and plots into",
      "--out (default target/replay-<dataset>-streaming).",
      "",
      "--events: an own log in the collector's format (one JSON event per line), validated and joined by",
      "the ingest app's rules (invalid lines are skipped and counted by reason); --test: user TAB item TAB",
      "value, all 0/1 (labels) or ratings 1-5. --passes N re-feeds the joined interactions in time order.",
      "--from-topic: the same from the events topic, read committed, each partition joined in offset order.",
      "Output default: target/replay-events-streaming.");

  static StreamReplayConfig parse(String[] argv, Path home) throws UsageException {
    Args a = Args.parse(argv, VALUED, FLAGS);
    if (!a.has("streaming")) {
      throw new UsageException("the streaming replay needs --streaming");
    }
    Set<String> names = new LinkedHashSet<>();
    for (String m : a.get("models", "relmf,mf,relmf-batch,mf-batch").split(",")) {
      if (!m.isBlank()) names.add(m.strip().toLowerCase(Locale.ROOT));
    }
    if (names.isEmpty()) {
      throw new UsageException("--models names no model");
    }
    List<String> presets = new ArrayList<>();
    List<String> streamNames = new ArrayList<>();
    for (String n : names) {
      if (STREAM_MODELS.contains(n)) {
        streamNames.add(n);
      } else if (BATCH_MODELS.contains(n)) {
        presets.add(n.substring(0, n.length() - SUFFIX.length()));
      } else {
        throw new UsageException("unknown model '" + n + "' (with --streaming: " + String.join(", ", STREAM_MODELS)
            + ", " + String.join(", ", BATCH_MODELS) + "; popularity and random rows are always added)");
      }
    }
    for (String flag : a.given()) {
      if (BATCH_ONLY.contains(flag) && presets.isEmpty()) {
        throw new UsageException("--" + flag + " applies to the -batch models (" + String.join(", ", BATCH_MODELS)
            + ") and --models names none");
      }
      if (STREAM_ONLY.contains(flag) && streamNames.isEmpty()) {
        throw new UsageException("--" + flag + " applies to the stream models (" + String.join(", ", STREAM_MODELS)
            + ") and --models names none");
      }
    }
    boolean autoKernel = a.get("kernel", "java").equalsIgnoreCase("auto");
    if (autoKernel && !presets.isEmpty()) {
      throw new UsageException("--kernel auto applies to the stream models only (-batch models take java or opencl)");
    }

    TrainConfig base = TrainConfig.defaults().withFlushIdleMs(0);
    for (String flag : TrainFlags.NAMES) {
      if (a.has(flag)) {
        try {
          base = TrainFlags.apply(base, flag, a.get(flag, null));
        } catch (IllegalArgumentException e) {
          throw new UsageException(e.getMessage());
        }
      }
    }
    List<StreamSpec> stream = new ArrayList<>();
    for (String n : streamNames) {
      OnlineConfig t = base.trainer();
      stream.add(new StreamSpec(n, switch (n) {
        case "mf" -> base.withTrainer(t.withClip(1f));
        case "rmf" -> base.withTrainer(t.withClip(0f));
        default -> base;
      }));
    }

    // the batch replay's own parser for what it reads (a stream-only --kernel auto left out)
    List<String> batchArgv = new ArrayList<>();
    for (String flag : a.given()) {
      if (ReplayConfig.FLAGS.contains(flag)) {
        batchArgv.add("--" + flag);
      } else if (ReplayConfig.VALUED.contains(flag) && !(flag.equals("kernel") && autoKernel)) {
        batchArgv.add("--" + flag + "=" + a.get(flag, null));
      }
    }
    Path events = a.has("events") ? Path.of(a.get("events", null)) : null;
    String topic = a.has("from-topic") ? a.get("from-topic", null) : null;
    Path test = a.has("test") ? Path.of(a.get("test", null)) : null;
    int sources = (events != null ? 1 : 0) + (topic != null ? 1 : 0) + (a.has("dataset") ? 1 : 0);
    if (sources > 1) {
      throw new UsageException("--dataset, --events and --from-topic are sources: give one");
    }
    String source = events != null ? "--events" : topic != null ? "--from-topic" : null;
    if (source == null && test != null) {
      throw new UsageException("--test goes with --events or --from-topic (a data set brings its own test set)");
    }
    if (source != null && test == null) {
      throw new UsageException(source + " needs --test FILE (user TAB item TAB value)");
    }
    for (String flag : List.of("log", "data-dir", "rare-max-clicks")) {
      if (source != null && a.has(flag)) {
        throw new UsageException("--" + flag + " applies to --dataset, not to " + source);
      }
    }
    for (String flag : List.of("bootstrap", "from-time", "to-time")) {
      if (topic == null && a.has(flag)) {
        throw new UsageException("--" + flag + " goes with --from-topic");
      }
    }
    if (topic != null && (topic.isBlank() || !a.has("bootstrap"))) {
      throw new UsageException("--from-topic needs a topic name and --bootstrap HOST:PORT");
    }
    Long fromTime = a.has("from-time") ? time("from-time", a.get("from-time", null)) : null;
    Long toTime = a.has("to-time") ? time("to-time", a.get("to-time", null)) : null;
    if (fromTime != null && toTime != null && fromTime > toTime) {
      throw new UsageException("--from-time is after --to-time");
    }
    if (!a.has("out") && a.has("dataset")) {
      batchArgv.add("--out=" + home.resolve("target").resolve("replay-" + a.get("dataset", "").toLowerCase(Locale.ROOT)
          + "-streaming"));
    }
    Args batchArgs = Args.parse(batchArgv.toArray(String[]::new), ReplayConfig.VALUED, ReplayConfig.FLAGS);
    Path eventsOut = a.has("out") ? Path.of(a.get("out", null)) : home.resolve("target").resolve("replay-events-streaming");
    ReplayConfig batch = events != null
        ? ReplayConfig.of(batchArgs, presets, "events:" + events.getFileName(), events.toAbsolutePath().getParent(),
            eventsOut)
        : topic != null ? ReplayConfig.of(batchArgs, presets, "events:topic-" + topic, Path.of("."), eventsOut)
        : ReplayConfig.of(batchArgs, home, presets);

    LoggedEvents.Log log;
    try {
      log = LoggedEvents.Log.parse(a.get("log", "clicks"));
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
    Path scoresOut = a.has("scores-out") ? Path.of(a.get("scores-out", null)) : null;
    if (scoresOut != null) {
      if (names.size() != 1 || batch.seeds() != 1) {
        throw new UsageException("--scores-out needs one model and one seed (--models M --seeds 1), got "
            + names.size() + " models and " + batch.seeds() + " seeds");
      }
    }
    return new StreamReplayConfig(batch, List.copyOf(names), List.copyOf(stream), source == null ? log : null,
        a.getInt("passes", 1, 1, 1000), a.getInt("parallelism", 1, 1, 64), scoresOut, events, topic,
        a.get("bootstrap", null), fromTime, toTime, test);
  }

  /** An ISO-8601 instant or epoch milliseconds. */
  static long time(String flag, String v) throws UsageException {
    try {
      return Long.parseLong(v.strip());
    } catch (NumberFormatException notMillis) {
      try {
        return java.time.Instant.parse(v.strip()).toEpochMilli();
      } catch (java.time.format.DateTimeParseException e) {
        throw new UsageException("--" + flag + " expects an ISO-8601 instant (2026-11-25T00:00:00Z) or epoch"
            + " milliseconds, got '" + v + "'");
      }
    }
  }
}
