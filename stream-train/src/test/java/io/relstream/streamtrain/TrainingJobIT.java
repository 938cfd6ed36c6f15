package io.relstream.streamtrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.schemas.Codecs;
import io.relstream.schemas.avro.EntityKind;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.ModelUpdate;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job on a MiniCluster (RocksDB backend, checkpoints to a temp dir) with a finite, rate-limited,
 * replayable generator source and a two-phase-commit collecting sink ({@link CommitSink}).
 */
class TrainingJobIT {
  private static final int EVENTS = 3000;

  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4)
          .build());

  @TempDir
  Path tmp;

  static TrainConfig config() {
    TrainConfig d = TrainConfig.defaults();
    return d.withTrainer(d.trainer().withDim(16).withBatchSize(50).withLearningRate(0.02f));
  }

  /** Event k of {@link Scenario}; serialisable for the generator source. */
  static final class Generate implements GeneratorFunction<Long, Interaction> {
    private static final long serialVersionUID = 1L;

    @Override
    public Interaction map(Long index) {
      return Scenario.event(index);
    }
  }

  /** Throws once, at the first record at or after {@code after} once a checkpoint has completed. */
  static final class FailOnce implements MapFunction<Interaction, Interaction> {
    private static final long serialVersionUID = 1L;
    static final AtomicBoolean FAILED = new AtomicBoolean();
    private final long after;
    private final String checkpointDir;
    private long seen;

    FailOnce(long after, Path checkpointDir) {
      this.after = after;
      this.checkpointDir = checkpointDir.toString();
    }

    @Override
    public Interaction map(Interaction in) {
      seen++;
      if (seen >= after && !FAILED.get() && Checkpoints.latest(Path.of(checkpointDir)).isPresent()
          && FAILED.compareAndSet(false, true)) {
        throw new IllegalStateException("injected failure after " + seen + " records");
      }
      return in;
    }
  }

  /** Runs the job to the end of the source; returns the committed rows. */
  private List<ModelUpdate> run(String name, int parallelism, long failAfter) throws Exception {
    Path checkpoints = tmp.resolve(name);
    Configuration conf = TrainingJob.flinkConfiguration(checkpoints, Duration.ofMillis(150));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.configure(conf);
    env.setParallelism(parallelism);
    DataGeneratorSource<Interaction> source = new DataGeneratorSource<>(new Generate(), EVENTS,
        RateLimiterStrategy.perSecond(1500.0 / parallelism), AvroTypes.INTERACTION);
    DataStream<Interaction> input = env.fromSource(source, WatermarkStrategy.noWatermarks(), "scenario",
        AvroTypes.INTERACTION).uid("scenario");
    if (failAfter > 0) {
      input = input.map(new FailOnce(failAfter, checkpoints), AvroTypes.INTERACTION).uid("fail-once");
    }
    CommitSink sink = new CommitSink(name);
    TrainingJob.build(env, input, sink, config());
    JobClient job = env.executeAsync("stream-train-" + name);
    try {
      job.getJobExecutionResult().get(240, TimeUnit.SECONDS);
    } finally {
      if (!job.getJobStatus().get(10, TimeUnit.SECONDS).isGloballyTerminalState()) {
        job.cancel().get(60, TimeUnit.SECONDS);
      }
    }
    return CommitSink.committed(name);
  }

  private static void assertCountsAndVersions(List<ModelUpdate> rows, List<Interaction> events) {
    int batches = (EVENTS + 49) / 50;
    TreeSet<Long> versions = new TreeSet<>();
    for (ModelUpdate u : rows) {
      versions.add(u.getModelVersion());
      assertEquals(16, u.getVector().size());
    }
    // rows are coalesced per checkpoint: not every version is published, but the last batch's is
    assertTrue(versions.first() >= 1, versions.toString());
    assertEquals((long) batches, versions.last());
    Map<String, ModelUpdate> latest = Scenario.latest(rows);
    Map<String, Long> clicks = Scenario.clicksPerItem(events);
    int items = 0;
    for (ModelUpdate u : latest.values()) {
      if (u.getKind() == EntityKind.ITEM) {
        items++;
        // no decay: an item row's click count is the item's clicks up to its batch, so at most the total
        assertTrue(u.getClicks() <= clicks.getOrDefault(u.getId(), 0L), u.getId());
        assertTrue(u.getPropensity() >= 0 && u.getPropensity() <= 1, "theta in [0, 1]");
      }
    }
    assertEquals(2 * Scenario.ITEMS_PER_GROUP, items, "every item published");
    assertEquals(Scenario.USERS, latest.size() - items, "every user published");
  }

  @Test
  void parallelismOneMatchesTheCoreTrainerExactly() throws Exception {
    List<ModelUpdate> rows = run("p1", 1, 0);
    List<Interaction> events = Scenario.events(EVENTS);
    List<ModelUpdate> expected = Scenario.expected(events, config());
    // every published row is exactly the core classes' row of that key and version (coalescing only leaves
    // out versions a later one in the same checkpoint replaced), and the final model is theirs
    Map<String, ModelUpdate> byVersion = new java.util.HashMap<>();
    for (ModelUpdate u : expected) {
      byVersion.put(Codecs.modelUpdateKey(u.getKind(), u.getId()) + "@" + u.getModelVersion(), u);
    }
    for (ModelUpdate u : rows) {
      assertEquals(byVersion.get(Codecs.modelUpdateKey(u.getKind(), u.getId()) + "@" + u.getModelVersion()), u);
    }
    assertEquals(Scenario.latest(expected), Scenario.latest(rows), "the same final model as the core classes");
    assertTrue(rows.size() < expected.size(), "coalesced: " + rows.size() + " rows for " + expected.size()
        + " row changes");
    assertCountsAndVersions(rows, events);
    double precision = Scenario.groupPrecision(Scenario.latest(rows), events);
    assertTrue(precision >= 0.85, "top-3 from the user's group: " + precision);
  }

  @Test
  void parallelismTwoPublishesTheNewestRowsAndLearns() throws Exception {
    List<ModelUpdate> rows = run("p2", 2, 0);
    List<Interaction> events = Scenario.events(EVENTS);
    assertCountsAndVersions(rows, events);
    // per key, versions strictly increase in publication order (the keyBy before the sink)
    Map<String, Long> last = new java.util.HashMap<>();
    for (ModelUpdate u : rows) {
      String key = Codecs.modelUpdateKey(u.getKind(), u.getId());
      Long before = last.put(key, u.getModelVersion());
      assertTrue(before == null || before < u.getModelVersion(), key + " went from " + before + " to "
          + u.getModelVersion());
    }
    double precision = Scenario.groupPrecision(Scenario.latest(rows), events);
    assertTrue(precision >= 0.8, "top-3 from the user's group: " + precision);
  }

  @Test
  void failureMidStreamEndsExactlyAsAnUninterruptedRun() throws Exception {
    FailOnce.FAILED.set(false);
    List<ModelUpdate> clean = run("clean", 1, 0);
    List<ModelUpdate> failed = run("failed", 1, EVENTS / 2);
    assertTrue(FailOnce.FAILED.get(), "the failure was injected");
    // checkpoints fall elsewhere in the two runs, so they coalesce different versions; per key the versions
    // strictly increase (nothing published twice, nothing older after the restore) and the final rows agree
    Map<String, Long> last = new java.util.HashMap<>();
    for (ModelUpdate u : failed) {
      String key = Codecs.modelUpdateKey(u.getKind(), u.getId());
      Long before = last.put(key, u.getModelVersion());
      assertTrue(before == null || before < u.getModelVersion(), key + " went from " + before + " to "
          + u.getModelVersion());
    }
    Map<String, ModelUpdate> fa = Scenario.latest(clean);
    Map<String, ModelUpdate> fb = Scenario.latest(failed);
    for (String k : fa.keySet()) {
      ModelUpdate a = fa.get(k);
      ModelUpdate b = fb.get(k);
      assertEquals(a.getModelVersion(), b.getModelVersion(), k);
      assertEquals(a.getPropensity(), b.getPropensity(), k);
      for (int d = 0; d < a.getVector().size(); d++) {
        assertEquals(a.getVector().get(d), b.getVector().get(d), 1e-5, k + " dim " + d);
      }
    }
    // exact per-item counts at the end
    Map<String, ModelUpdate> la = Scenario.latest(clean);
    Map<String, ModelUpdate> lb = Scenario.latest(failed);
    assertEquals(la.keySet(), lb.keySet());
    List<String> diffs = new ArrayList<>();
    for (String k : la.keySet()) {
      if (!java.util.Objects.equals(la.get(k).getClicks(), lb.get(k).getClicks())) {
        diffs.add(k);
      }
    }
    assertEquals(List.of(), diffs);
  }
}
