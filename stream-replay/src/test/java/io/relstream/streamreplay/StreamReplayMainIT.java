package io.relstream.streamreplay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code relstream replay --streaming} end to end in-process on Coat: real MiniCluster, real report. */
@Timeout(600)
class StreamReplayMainIT {
  static final Path HOME = Path.of("..").toAbsolutePath().normalize();

  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = StreamReplayMain.run(args, HOME, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static double mean(JsonNode report, String model, String key) {
    return report.get("models").get(model).get("all").get(key).get("mean").asDouble();
  }

  @Test
  void coatStreamingReplayWritesTheReportWithTheJobsFields(@TempDir Path out) throws Exception {
    assumeTrue(Files.isDirectory(HOME.resolve("../shared/data/coat")), "Coat data not found beside the repository");
    // three passes: one pass of Coat's ~1,700 clicks is only 7 batches
    Run r = run("--streaming", "--dataset", "coat", "--models", "relmf,mf", "--seeds", "1", "--passes", "3",
        "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    JsonNode report = new ObjectMapper().readTree(out.resolve("report.json").toFile());
    assertEquals("coat", report.get("dataset").asText());
    assertEquals(List.of("relmf", "mf", "popularity", "random"), iterate(report.get("models").fieldNames()));
    for (String model : new String[] {"relmf", "mf"}) {
      JsonNode c = report.get("models").get(model).get("config");
      assertEquals("stream-job", c.get("engine").asText());
      assertEquals(3, c.get("passes").asInt());
      assertEquals(1, c.get("parallelism").asInt());
      int events = c.get("events").asInt();
      assertTrue(events > 1000, "Coat's training clicks: " + events);
      assertEquals(3L * events, c.get("eventsTrained").asLong(), "every event of every pass trained");
      assertTrue(c.get("eventsPerSecond").asDouble() > 0);
      assertEquals(32, c.get("flinkJobId").asText().length(), c.get("flinkJobId").asText());
      assertTrue(c.get("flinkVersion").asText().startsWith("2."), c.get("flinkVersion").asText());
      assertEquals(256, c.get("batchSize").asInt(), "the live job's settings");
      double dcg = mean(report, model, "DCG@5");
      assertTrue(dcg > mean(report, "random", "DCG@5"), model + " DCG@5 " + dcg + " beats random");
      assertTrue(mean(report, model, "Recall@5") <= 1.0);
    }
    assertEquals(0.1, report.get("models").get("relmf").get("config").get("clip").asDouble(), 1e-6);
    assertEquals(1.0, report.get("models").get("mf").get("config").get("clip").asDouble(), 1e-6);
    assertEquals("clicks", report.get("streaming").get("log").asText());
    assertTrue(Files.readString(out.resolve("report.md")).contains("| relmf |"));
    assertTrue(Files.size(out.resolve("plot-all-DCG.png")) > 1000);
    assertTrue(r.err().contains("streaming ["), "a progress bar while the job runs: " + r.err());
    assertTrue(r.err().contains("pass 3/3"), r.err());
  }

  @Test
  void scoresOutHasOneLinePerTestPair(@TempDir Path out) throws Exception {
    assumeTrue(Files.isDirectory(HOME.resolve("../shared/data/coat")), "Coat data not found beside the repository");
    Path scores = out.resolve("scores.tsv");
    Run r = run("--streaming", "--dataset", "coat", "--models", "rmf", "--seeds", "1", "--log", "impressions",
        "--out", out.toString(), "--scores-out", scores.toString());
    assertEquals(0, r.code(), r.err());
    List<String> lines = Files.readAllLines(scores);
    assertEquals(4640, lines.size(), "Coat's test ratings");
    java.util.Set<String> distinct = new java.util.HashSet<>();
    for (String line : lines) {
      String[] f = line.split("\t");
      assertEquals(3, f.length, line);
      int user = Integer.parseInt(f[0]);
      int item = Integer.parseInt(f[1]);
      assertTrue(user >= 0 && user < 290 && item >= 0 && item < 300, line);
      assertTrue(Float.isFinite(Float.parseFloat(f[2])), line);
      distinct.add(f[2]);
    }
    assertTrue(distinct.size() > 1000, "scores differ between pairs: " + distinct.size());
  }

  private static List<String> iterate(java.util.Iterator<String> it) {
    List<String> out = new java.util.ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }

  /**
   * An own event log from core's semi-synthetic click model: every exposed pair an impression with its true
   * exposure probability as the logged propensity, every click 30 s after it under the same requestId, in a
   * seeded order; two bad lines among them; a missing-at-random test set of true relevance labels.
   */
  @Test
  void anOwnEventLogIsValidatedJoinedTrainedAndReported(@TempDir Path dir) throws Exception {
    io.relstream.core.synthetic.SemiSyntheticLog truth = io.relstream.core.synthetic.SemiSyntheticLog.generate(
        io.relstream.core.synthetic.SemiSyntheticLog.Params.defaults(300, 120), 7);
    java.util.List<String> lines = new java.util.ArrayList<>();
    java.util.List<int[]> exposed = new java.util.ArrayList<>();
    for (int u = 0; u < truth.numUsers(); u++) {
      for (int i = 0; i < truth.numItems(); i++) {
        if (truth.observed(u, i)) {
          exposed.add(new int[] {u, i});
        }
      }
    }
    java.util.Collections.shuffle(exposed, new java.util.Random(11));
    long t = 1_764_300_000_000L;
    int clicks = 0;
    for (int[] p : exposed) {
      t += 60_000;
      String req = "r" + p[0] + "-" + p[1];
      lines.add(EventLogTest.imp("imp-" + req, "u" + p[0], "i" + p[1], t, req, truth.theta(p[0], p[1])));
      if (truth.clicked(p[0], p[1])) {
        lines.add(EventLogTest.click("clk-" + req, "u" + p[0], "i" + p[1], t + 30_000, req));
        clicks++;
      }
      if (lines.size() == 50) {
        lines.add("{oops");
        lines.add(EventLogTest.imp("bad", "u0", "i0", t, "r", 0.0));
      }
    }
    Path events = dir.resolve("synthetic.ndjson");
    Files.write(events, lines);
    java.util.List<String> test = new java.util.ArrayList<>();
    java.util.Random r = new java.util.Random(5);
    for (int u = 0; u < truth.numUsers(); u++) {
      for (int k = 0; k < 10; k++) {
        int i = r.nextInt(truth.numItems());
        test.add("u" + u + "\ti" + i + "\t" + (truth.relevant(u, i) ? 1 : 0));
      }
    }
    Path testFile = dir.resolve("test.tsv");
    Files.write(testFile, test);

    Path out = dir.resolve("report");
    Run run = run("--streaming", "--events", events.toString(), "--test", testFile.toString(), "--models", "relmf,mf",
        "--seeds", "1", "--out", out.toString());
    assertEquals(0, run.code(), run.err());
    assertTrue(run.err().contains("synthetic.ndjson:51: not JSON"), run.err());
    JsonNode report = new ObjectMapper().readTree(out.resolve("report.json").toFile());
    assertEquals("{\"bad_propensity\":1,\"not_json\":1}", report.get("rejected").toString());
    JsonNode streaming = report.get("streaming");
    assertEquals("events", streaming.get("source").asText());
    assertEquals(exposed.size() + clicks, streaming.get("validEvents").asInt());
    assertEquals(exposed.size(), streaming.get("interactions").asInt(), "one interaction per impression");
    int trained = streaming.get("interactionsTrained").asInt();
    assertTrue(trained < exposed.size() && trained > 0.8 * exposed.size(), "validation held out: " + trained);
    for (String model : new String[] {"relmf", "mf"}) {
      JsonNode c = report.get("models").get(model).get("config");
      assertEquals("events", c.get("log").asText());
      assertEquals(trained, c.get("eventsTrained").asInt());
      double dcg = mean(report, model, "DCG@5");
      assertTrue(dcg > 0 && Double.isFinite(dcg), model + " DCG@5 " + dcg);
    }
  }
}
