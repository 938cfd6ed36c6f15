package io.relstream.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The replay command end to end, in-process: real Coat data, a short training, the report files. */
class ReplayMainTest {
  /** The repository root seen from the module directory; ../shared/data lies beside it. */
  static final Path HOME = Path.of("..").toAbsolutePath().normalize();

  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = ReplayMain.run(args, HOME, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void coatReplayWritesReportMarkdownAndPlots(@TempDir Path out) throws Exception {
    assumeTrue(Files.isDirectory(HOME.resolve("../shared/data/coat")), "Coat data not found beside the repository");
    Files.writeString(out.resolve("report.json"), "stale"); // --out may exist; files are overwritten
    Run r = run("--dataset", "coat", "--models", "relmf,mf", "--seeds", "2", "--steps", "40",
        "--dim", "16", "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    JsonNode report = new ObjectMapper().readTree(out.resolve("report.json").toFile());
    assertEquals("coat", report.get("dataset").asText());
    assertEquals(2, report.get("seeds").asInt());
    for (String model : new String[] {"relmf", "mf"}) {
      JsonNode m = report.get("models").get(model);
      assertEquals(16, m.get("config").get("dim").asInt());
      assertEquals(40, m.get("config").get("steps").asInt());
      assertTrue(m.get("trainSeconds").asDouble() > 0);
      for (String subset : new String[] {"all", "rare"}) {
        for (String key : new String[] {"DCG@1", "DCG@3", "DCG@5", "Recall@1", "Recall@3", "Recall@5",
            "MAP@1", "MAP@3", "MAP@5", "nDCG@5", "StdRecall@5"}) {
          JsonNode stat = m.get(subset).get(key);
          double mean = stat.get("mean").asDouble();
          assertTrue(mean > 0 && Double.isFinite(mean), model + " " + subset + " " + key + " = " + mean);
          assertTrue(stat.get("std").asDouble() >= 0);
        }
        // Recall is a fraction; DCG@5 grows with K
        assertTrue(m.get(subset).get("Recall@5").get("mean").asDouble() <= 1.0);
        assertTrue(m.get(subset).get("DCG@5").get("mean").asDouble()
            > m.get(subset).get("DCG@1").get("mean").asDouble());
      }
    }
    assertEquals(0.009136, report.get("models").get("relmf").get("config").get("clip").asDouble(), 1e-6);
    assertTrue(Files.readString(out.resolve("report.md")).contains("| relmf |"));
    assertTrue(Files.size(out.resolve("plot-all-DCG.png")) > 1000);
    assertTrue(r.out().contains("wrote "), r.out());
    assertTrue(r.err().contains("training ["), "a progress bar is shown: " + r.err());
  }

  @Test
  void tuneReportsChosenSettingsWithTheSameBudgetPerModel(@TempDir Path out) throws Exception {
    assumeTrue(Files.isDirectory(HOME.resolve("../shared/data/coat")), "Coat data not found beside the repository");
    Run r = run("--dataset", "coat", "--models", "mf,relmf", "--seeds", "1", "--steps", "10", "--dim", "8",
        "--tune", "--tune-trials", "3", "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    JsonNode report = new ObjectMapper().readTree(out.resolve("report.json").toFile());
    for (String m : new String[] {"mf-tuned", "relmf-tuned"}) {
      JsonNode tuned = report.get("models").get(m);
      assertTrue(tuned.get("config").has("validationCriterion"), m);
      JsonNode t = report.get("tuning").get("models").get(m);
      assertEquals(3, t.get("trials").asInt());
      // trial 0 is the untuned configuration, so the best can only be as good or better
      assertTrue(t.get("bestCriterion").asDouble() >= t.get("defaultCriterion").asDouble());
    }
    assertTrue(report.get("tuning").get("criterion").asText().contains("validation"));
  }

  /** Yahoo! R3 is not shipped: a small file pair in its Webscope format goes through the whole replay. */
  @Test
  void yahooR3FormatReplays(@TempDir Path dir) throws Exception {
    StringBuilder train = new StringBuilder();
    StringBuilder test = new StringBuilder();
    java.util.SplittableRandom rng = new java.util.SplittableRandom(3);
    for (int u = 1; u <= 40; u++) {
      for (int k = 0; k < 8; k++) {
        int item = 1 + rng.nextInt(30);
        train.append(u).append('\t').append(item).append('\t').append(1 + rng.nextInt(5)).append('\n');
      }
      for (int k = 0; k < 5; k++) {
        test.append(u).append('\t').append(1 + rng.nextInt(30)).append('\t').append(1 + rng.nextInt(5)).append('\n');
      }
    }
    Files.writeString(dir.resolve("ydata-ymusic-rating-study-v1_0-train.txt"), train);
    Files.writeString(dir.resolve("ydata-ymusic-rating-study-v1_0-test.txt"), test);
    Path out = dir.resolve("out");
    Run r = run("--dataset", "yahoo-r3", "--data-dir", dir.toString(), "--models", "wmf", "--seeds", "1",
        "--steps", "5", "--batch", "64", "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    JsonNode report = new ObjectMapper().readTree(out.resolve("report.json").toFile());
    assertEquals("yahoo-r3", report.get("dataset").asText());
    assertEquals(500, report.get("rareItems").get("maxClicks").asInt()); // the paper's threshold
    assertEquals(40, report.get("testUsers").asInt());
    assertTrue(report.get("models").get("wmf").get("all").get("DCG@5").get("mean").asDouble() > 0);
  }

  @Test
  void badInputIsOneLineAndExitCodeTwo(@TempDir Path dir) throws Exception {
    String[][] cases = {
        {"--dataset", "coat", "--bogus", "1"},
        {"--dataset", "netflix"},
        {"--models", "mf"},
        {"--dataset", "coat", "--seeds", "zero"},
        {"--dataset", "coat", "--clip", "2"},
        {"--dataset", "coat", "--models", "mf,bpr"},
        {"--dataset", "coat", "--loss", "hinge"},
        {"--dataset", "coat", "--data-dir", dir.resolve("missing").toString()},
        {"--dataset", "coat", "--data-dir", dir.toString()},
    };
    for (String[] args : cases) {
      Run r = run(args);
      assertEquals(2, r.code(), String.join(" ", args) + " -> " + r.err());
      assertTrue(r.err().startsWith("relstream replay: error: "), r.err());
      assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
      assertFalse(r.err().contains("Exception"), r.err());
    }
  }

  @Test
  void malformedDataNamesFileAndLine(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("train.ascii"), "0 5 1\r\n3 0 9\r\n");
    Files.writeString(dir.resolve("test.ascii"), "4 0 0\r\n0 0 2\r\n");
    Run r = run("--dataset", "coat", "--data-dir", dir.toString(), "--out", dir.resolve("o").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("train.ascii:2: rating 9 is outside 1-5"), r.err());

    Files.writeString(dir.resolve("train.ascii"), "1 2 3\r\n3 1 2\r\n"); // no rating >= 4
    r = run("--dataset", "coat", "--data-dir", dir.toString(), "--out", dir.resolve("o").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("nothing to learn from"), r.err());

    r = run("--dataset", "coat", "--data-dir", dir.toString(), "--verbose", "--seeds", "-1");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("UsageException"), "--verbose shows the stack trace: " + r.err());
  }
}
