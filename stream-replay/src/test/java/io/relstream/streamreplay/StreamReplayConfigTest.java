package io.relstream.streamreplay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.core.online.OnlineConfig;
import io.relstream.core.online.OnlinePropensity;
import io.relstream.replay.UsageException;
import io.relstream.streamtrain.TrainConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The streaming replay's command line (no cluster: every case fails or is checked before any run). */
class StreamReplayConfigTest {
  static final Path HOME = Path.of("..").toAbsolutePath().normalize();

  static StreamReplayConfig parse(String... args) throws UsageException {
    return StreamReplayConfig.parse(args, HOME);
  }

  @Test
  void defaultsAreTheLiveJobsAndTheIssuesModels() throws Exception {
    StreamReplayConfig c = parse("--streaming", "--dataset", "coat");
    assertEquals(List.of("relmf", "mf", "relmf-batch", "mf-batch"), c.models());
    assertEquals(List.of("relmf", "mf"), c.batch().models().stream().map(m -> m.name()).toList());
    assertEquals(LoggedEvents.Log.CLICKS, c.log());
    assertEquals(1, c.passes());
    assertEquals(1, c.parallelism());
    assertNull(c.scoresOut());
    assertEquals(HOME.resolve("target/replay-coat-streaming"), c.batch().out());
    TrainConfig relmf = c.stream().get(0).config();
    assertEquals(TrainConfig.defaults().withFlushIdleMs(0), relmf, "live defaults, idle flush off");
    assertEquals(0L, relmf.flushIdleMs());
    OnlineConfig mf = c.stream().get(1).config().trainer();
    assertEquals("mf", c.stream().get(1).name());
    assertEquals(1f, mf.clip(), "theta = 1 via M = 1");
    assertEquals(relmf.trainer().withClip(1f), mf, "otherwise the same settings");
  }

  @Test
  void jobSettingsUseTheLiveNamesAndSharedOnesReachBothKinds() throws Exception {
    StreamReplayConfig c = parse("--streaming", "--dataset", "coat", "--models", "rmf,relmf,wmf-batch", "--dim", "16",
        "--lr", "0.02", "--clip", "0.2", "--batch-size", "64", "--negatives-per-positive", "2", "--propensity",
        "exposure", "--log", "impressions", "--passes", "3", "--parallelism", "2", "--seeds", "2", "--steps", "7");
    assertEquals(List.of("rmf", "relmf", "wmf-batch"), c.models());
    TrainConfig rmf = c.stream().get(0).config();
    TrainConfig relmf = c.stream().get(1).config();
    assertEquals(0f, rmf.trainer().clip(), "rmf is M = 0 whatever --clip says");
    assertEquals(0.2f, relmf.trainer().clip());
    assertEquals(16, relmf.trainer().dim());
    assertEquals(0.02f, relmf.trainer().learningRate());
    assertEquals(64, relmf.trainer().batchSize());
    assertEquals(2, relmf.trainer().negativesPerPositive());
    assertEquals(OnlinePropensity.Mode.EXPOSURE, relmf.propensity());
    assertEquals(LoggedEvents.Log.IMPRESSIONS, c.log());
    assertEquals(3, c.passes());
    assertEquals(2, c.parallelism());
    assertEquals(2, c.batch().seeds());
    assertEquals(1, c.batch().models().size());
    assertEquals("wmf", c.batch().models().get(0).name());
    assertEquals(16, c.batch().models().get(0).dim(), "--dim applies to -batch models too");
    assertEquals(7, c.batch().models().get(0).steps());
    assertEquals("auto", parse("--streaming", "--dataset", "coat", "--models", "relmf", "--kernel", "auto")
        .stream().get(0).config().kernel());
  }

  @Test
  void badFlagsAndMixesThatDoNotApplyExitTwoOnOneLine() {
    String[][] cases = {
        {"--streaming"},                                                        // no dataset
        {"--streaming", "--dataset", "coat", "--models", "relmf,bpr"},          // unknown model
        {"--streaming", "--dataset", "coat", "--models", "popularity"},
        {"--streaming", "--dataset", "coat", "--models", "relmf", "--steps", "10"},   // batch-only, no -batch model
        {"--streaming", "--dataset", "coat", "--models", "mf", "--tune"},
        {"--streaming", "--dataset", "coat", "--models", "mf-batch", "--passes", "2"}, // stream-only, no stream model
        {"--streaming", "--dataset", "coat", "--models", "mf-batch", "--batch-size", "64"},
        {"--streaming", "--dataset", "coat", "--models", "mf-batch", "--propensity", "exposure"},
        {"--streaming", "--dataset", "coat", "--models", "relmf,mf-batch", "--kernel", "auto"},
        {"--streaming", "--dataset", "coat", "--log", "views"},
        {"--streaming", "--dataset", "coat", "--passes", "0"},
        {"--streaming", "--dataset", "coat", "--parallelism", "x"},
        {"--streaming", "--dataset", "coat", "--batch-size", "0"},
        {"--streaming", "--dataset", "coat", "--propensity", "logged"},
        {"--streaming", "--dataset", "coat", "--scores-out", "s.tsv"},                  // 4 models, 5 seeds
        {"--streaming", "--dataset", "coat", "--models", "relmf", "--scores-out", "s.tsv"},  // 5 seeds
        {"--streaming", "--dataset", "coat", "--models", "relmf-batch", "--seeds", "1", "--scores-out", "s.tsv"},
        {"--streaming", "--dataset", "coat", "--bogus", "1"},
        {"--streaming", "--dataset", "netflix"},
    };
    for (String[] args : cases) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code = StreamReplayMain.run(args, HOME, new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8));
      String e = err.toString(StandardCharsets.UTF_8);
      assertEquals(2, code, String.join(" ", args) + " -> " + e);
      assertTrue(e.startsWith("relstream replay: error: "), e);
      assertEquals(1, e.strip().lines().count(), "one line: " + e);
      assertFalse(e.contains("Exception"), e);
    }
  }

  @Test
  void messagesNameTheFlagOrListTheValidModels() {
    assertMessage("--steps applies to the -batch models", "--models", "relmf", "--steps", "10");
    assertMessage("--passes applies to the stream models", "--models", "mf-batch", "--passes", "2");
    assertMessage("relmf, mf, rmf, relmf-batch, mf-batch, wmf-batch, rmf-batch", "--models", "bpr");
    assertMessage("--batch-size", "--batch-size", "0");
  }

  private static void assertMessage(String expected, String... extra) {
    String[] args = new String[extra.length + 3];
    args[0] = "--streaming";
    args[1] = "--dataset";
    args[2] = "coat";
    System.arraycopy(extra, 0, args, 3, extra.length);
    try {
      parse(args);
    } catch (UsageException e) {
      assertTrue(e.getMessage().contains(expected), e.getMessage());
      return;
    }
    throw new AssertionError("no error for " + String.join(" ", args));
  }

  @Test
  void helpPrintsTheUsage() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code = StreamReplayMain.run(new String[] {"--streaming", "--help"}, HOME,
        new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
    assertEquals(0, code);
    String usage = out.toString(StandardCharsets.UTF_8);
    for (String flag : new String[] {"--log", "--passes", "--parallelism", "--scores-out", "--batch-size",
        "--negatives-per-positive", "--propensity", "--kernel"}) {
      assertTrue(usage.contains(flag), flag);
    }
  }

  @Test
  void anEventLogIsTheOtherSourceWithItsOwnTestSet() throws Exception {
    StreamReplayConfig c = parse(new String[] {"--streaming", "--events", "/logs/week.ndjson", "--test", "/logs/t.tsv",
        "--models", "relmf,mf-batch"});
    assertEquals(Path.of("/logs/week.ndjson"), c.events());
    assertEquals(Path.of("/logs/t.tsv"), c.test());
    assertNull(c.log(), "--log is about data sets");
    assertEquals("events:week.ndjson", c.batch().dataset());
    assertEquals(HOME.resolve("target/replay-events-streaming"), c.batch().out());
    assertMessage("are sources: give one", "--events", "/x.ndjson", "--test", "/t.tsv");
    assertMessage("are sources: give one", "--from-topic", "events", "--bootstrap", "h:1", "--test", "/t.tsv");
    for (String[] bad : new String[][] {
        {"--streaming", "--events", "/x.ndjson"},
        {"--streaming", "--dataset", "coat", "--test", "/t.tsv"},
        {"--streaming", "--events", "/x.ndjson", "--test", "/t.tsv", "--log", "impressions"}}) {
      try {
        parse(bad);
        throw new AssertionError("no error for " + String.join(" ", bad));
      } catch (UsageException e) {
        assertTrue(e.getMessage().contains("--test") || e.getMessage().contains("--log"), e.getMessage());
      }
    }
  }

  @Test
  void theEventsTopicIsTheThirdSource() throws Exception {
    StreamReplayConfig c = parse(new String[] {"--streaming", "--from-topic", "events", "--bootstrap", "k:9092",
        "--from-time", "2025-11-25T00:00:00Z", "--to-time", "1764633600000", "--test", "/t.tsv", "--models", "relmf"});
    assertEquals("events", c.topic());
    assertEquals("k:9092", c.bootstrap());
    assertEquals(1_764_028_800_000L, c.fromTime());
    assertEquals(1_764_633_600_000L, c.toTime());
    assertTrue(c.eventLog());
    for (String[] bad : new String[][] {
        {"--streaming", "--from-topic", "events", "--test", "/t.tsv"},
        {"--streaming", "--from-topic", "events", "--bootstrap", "k:1"},
        {"--streaming", "--dataset", "coat", "--bootstrap", "k:1"},
        {"--streaming", "--from-topic", "events", "--bootstrap", "k:1", "--test", "/t", "--from-time", "yesterday"},
        {"--streaming", "--from-topic", "e", "--bootstrap", "k:1", "--test", "/t", "--from-time", "2", "--to-time", "1"}}) {
      try {
        parse(bad);
        throw new AssertionError("no error for " + String.join(" ", bad));
      } catch (UsageException e) {
        assertTrue(e.getMessage().startsWith("--"), e.getMessage());
      }
    }
  }
}
