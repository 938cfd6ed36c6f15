package io.relstream.streamreplay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.relstream.core.kernel.BatchMaths;
import io.relstream.core.online.ModelRow;
import io.relstream.core.online.OnlineTrainer;
import io.relstream.core.progress.ProgressBar;
import io.relstream.replay.Args;
import io.relstream.replay.Replay;
import io.relstream.replay.ReplayConfig;
import io.relstream.schemas.avro.Interaction;
import io.relstream.streamtrain.TrainConfig;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replay's job on a real local MiniCluster against core's classes on their own, on Coat: the
 * equivalence the streaming replay rests on, and its determinism.
 */
@Timeout(600)
class StreamJobIT {
  static final Path HOME = Path.of("..").toAbsolutePath().normalize();
  static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

  @TempDir
  static Path tmp;
  static Replay replay;

  @BeforeAll
  static void coat() throws Exception {
    assumeTrue(Files.isDirectory(HOME.resolve("../shared/data/coat")), "Coat data not found beside the repository");
    ReplayConfig c = ReplayConfig.of(Args.parse(new String[] {"--dataset=coat", "--out=" + tmp}, ReplayConfig.VALUED,
        ReplayConfig.FLAGS), HOME, List.of());
    replay = Replay.prepare(c, QUIET);
  }

  static JobRun.Result job(LoggedEvents events, TrainConfig config) throws InterruptedException {
    return JobRun.run(events, config, 1, new ProgressBar(QUIET, "test", events.size(), false), "test", 300);
  }

  /** The model of the same events through core's OnlinePropensity and OnlineTrainer, no Flink. */
  static StreamModel core(List<Interaction> events, TrainConfig config, Map<String, float[]> finalUsers,
      Map<String, float[]> finalItems) {
    try (OnlineTrainer t = new OnlineTrainer(config.trainer(), BatchMaths.Path.JAVA)) {
      StreamModel m = CoreStream.run(events, config, t);
      for (String u : m.users.keySet()) finalUsers.put(u, t.userVector(u));
      for (String i : m.items.keySet()) finalItems.put(i, t.itemVector(i));
      assertEquals(t.numUsers(), m.users.size(), "every user published");
      assertEquals(t.numItems(), m.items.size(), "every item published");
      return m;
    }
  }

  static Replay.Evaluation evaluate(StreamModel m) {
    var d = replay.data();
    return replay.evaluate(m.scorer(d.numUsers, d.numItems, 0));
  }

  private static void assertSameModel(StreamModel expected, StreamModel actual, double tolerance) {
    assertEquals(expected.users.keySet(), actual.users.keySet());
    assertEquals(expected.items.keySet(), actual.items.keySet());
    for (Map<String, ModelRow>[] pair : List.of(new Map[] {expected.users, actual.users},
        new Map[] {expected.items, actual.items})) {
      for (String id : pair[0].keySet()) {
        ModelRow e = pair[0].get(id);
        ModelRow a = pair[1].get(id);
        assertArrayEquals(e.vector(), a.vector(), (float) tolerance, id);
        assertEquals(e.theta(), a.theta(), 0f, id + " theta");
        assertEquals(e.clicks(), a.clicks(), 0, id + " clicks");
      }
    }
  }

  @Test
  void atParallelismOneTheJobEndsWithCoresFactorsAndMetrics() throws Exception {
    // impressions (exposure propensity, labels 0 and 1) over two passes (counts accumulating), and clicks
    // only (popularity propensity), each at the live defaults but for the seed
    for (LoggedEvents.Log log : LoggedEvents.Log.values()) {
      LoggedEvents events = LoggedEvents.of(replay.data(), log, 7, log == LoggedEvents.Log.IMPRESSIONS ? 2 : 1);
      TrainConfig config = TrainConfig.defaults().withFlushIdleMs(0);
      config = config.withTrainer(config.trainer().withSeed(7));
      JobRun.Result job = job(events, config);
      Map<String, float[]> finalUsers = new LinkedHashMap<>();
      Map<String, float[]> finalItems = new LinkedHashMap<>();
      StreamModel expected = core(events.all(), config, finalUsers, finalItems);

      assertEquals(events.size(), job.eventsTrained(), log + ": the operator trained every event");
      assertSameModel(expected, job.model(), 1e-5);
      for (String u : finalUsers.keySet()) {
        assertArrayEquals(finalUsers.get(u), job.model().users.get(u).vector(), 1e-5f, "final factors of user " + u);
      }
      for (String i : finalItems.keySet()) {
        assertArrayEquals(finalItems.get(i), job.model().items.get(i).vector(), 1e-5f, "final factors of item " + i);
      }
      Replay.Evaluation e = evaluate(expected);
      Replay.Evaluation a = evaluate(job.model());
      assertEquals(e.all(), a.all(), log + ": same metrics");
      assertEquals(e.rare(), a.rare(), log + ": same rare-item metrics");
      assertTrue(job.eventsPerSecond() > 0, "events/s measured");
      assertNotNull(job.jobId());
    }
  }

  @Test
  void oneSeedGivesTheSameModelTwiceAndAnotherSeedAnother() throws Exception {
    TrainConfig config = TrainConfig.defaults().withFlushIdleMs(0);
    LoggedEvents events = LoggedEvents.of(replay.data(), LoggedEvents.Log.CLICKS, 3, 1);
    TrainConfig seeded = config.withTrainer(config.trainer().withSeed(3));
    JobRun.Result first = job(events, seeded);
    JobRun.Result second = job(events, seeded);
    assertFalse(first.jobId().equals(second.jobId()), "two jobs");
    assertSameModel(first.model(), second.model(), 0);
    assertEquals(evaluate(first.model()).all(), evaluate(second.model()).all());

    JobRun.Result other = job(LoggedEvents.of(replay.data(), LoggedEvents.Log.CLICKS, 4, 1),
        config.withTrainer(config.trainer().withSeed(4)));
    String user = first.model().users.keySet().iterator().next();
    assertFalse(java.util.Arrays.equals(first.model().users.get(user).vector(), other.model().users.get(user).vector()),
        "the seed fixes order, initial rows and negatives: another seed learns other factors");
  }
}
