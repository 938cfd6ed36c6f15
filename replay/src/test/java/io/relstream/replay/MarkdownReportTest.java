package io.relstream.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MarkdownReportTest {

  private static final String NOTES = "Trained on *coat*.\n\n- tuned | by hand\n- `eta` = 0.5";

  private final String md = MarkdownReport.render("coat", 5, TestData.threeModels(), NOTES);

  @Test
  void titleAndProtocols() {
    assertTrue(md.startsWith("# coat \u2014 offline replay\n"), md);
    assertTrue(md.contains("3 models, 5 seeds."), md);
    assertTrue(md.contains("rel = 0.001 + 0.999\u00b7[rating \u2265 4]"), md);
    assertTrue(md.contains("ranks 1 and 2 are undiscounted"), md);
    assertTrue(md.contains("averaged over all test users"), md);
    assertTrue(md.contains("at least one relevant test item"), md);
  }

  @Test
  void metricTablesHaveOneRowPerModelWithFormattedCells() {
    String header = "| model | DCG@1 | DCG@3 | DCG@5 | Recall@1 | Recall@3 | Recall@5 | MAP@1 | MAP@3"
        + " | MAP@5 | nDCG@1 | nDCG@3 | nDCG@5 | StdRecall@1 | StdRecall@3 | StdRecall@5 |";
    assertEquals(2, occurrences(md, header + "\n|---|" + "---:|".repeat(15) + "\n"), md);

    // relmf, base 0.5: paper mean 0.5 + 0.01K, standard mean 0.7 + 0.01K, std 0.01 + 0.001K.
    String paper = "0.5100 \u00b1 0.0110 | 0.5300 \u00b1 0.0130 | 0.5500 \u00b1 0.0150";
    String standard = "0.7100 \u00b1 0.0110 | 0.7300 \u00b1 0.0130 | 0.7500 \u00b1 0.0150";
    String relmfAll = "| relmf | " + paper + " | " + paper + " | " + paper + " | " + standard
        + " | " + standard + " |\n";
    assertEquals(1, occurrences(md, relmfAll), md);

    // rare: half of all. wmf, base 0.1, K = 5: mean (0.1 + 0.05) / 2 = 0.075, std 0.015 / 2.
    String wmfRare = "| wmf | 0.0550 \u00b1 0.0055 | 0.0650 \u00b1 0.0065 | 0.0750 \u00b1 0.0075 |";
    assertEquals(1, occurrences(md, wmfRare), md);
    int rareSection = md.indexOf("## Metrics \u2014 rare");
    assertTrue(rareSection > md.indexOf("## Metrics \u2014 all"), md);
    assertTrue(md.indexOf(wmfRare) > rareSection, "wmf rare row is not in the rare table");
    assertTrue(md.indexOf(relmfAll) < rareSection, "relmf all row is not in the all table");

    // Row order follows the model list.
    assertTrue(md.indexOf("| relmf | 0.51") < md.indexOf("| mf | 0.31"), md);
    assertTrue(md.indexOf("| mf | 0.31") < md.indexOf("| wmf | 0.11"), md);
  }

  @Test
  void configTableHasEveryKeyAndTrainSeconds() {
    // Keys sorted; a key a model lacks is "—"; train seconds with one decimal (12.345 -> 12.3,
    // 9.96 -> 10.0).
    assertTrue(md.contains("| model | clip | dim | lr | negativeWeight | train s |\n"
        + "|---|---|---|---|---|---:|\n"
        + "| relmf | 0.1 | 200 | 0.005 | \u2014 | 12.3 |\n"
        + "| mf | \u2014 | 200 | 0.005 | \u2014 | 10.0 |\n"
        + "| wmf | \u2014 | 64 | \u2014 | 0.5 | 10.0 |\n"), md);
  }

  @Test
  void notesVerbatimAndPlotLinks() {
    assertTrue(md.endsWith("## Notes\n\n" + NOTES + "\n"), md);
    for (String subset : List.of("all", "rare")) {
      for (String family : List.of("DCG", "Recall", "MAP", "nDCG", "StdRecall")) {
        assertEquals(1, occurrences(md, "](plot-" + subset + "-" + family + ".png)\n"), md);
      }
    }
    assertTrue(md.contains(
        "![coat \u2014 DCG@K (all test users, paper protocol)](plot-all-DCG.png)"), md);
    assertFalse(MarkdownReport.render("coat", 1, TestData.threeModels(), null).contains("Notes"));
  }

  @Test
  void formatsRoundsAndMarksMissing() {
    assertEquals("0.1235 \u00b1 0.0000", MarkdownReport.format(new Stat(0.123456, 0.000049)));
    assertEquals("1.0000 \u00b1 0.2500", MarkdownReport.format(new Stat(1, 0.25)));
    assertEquals("\u2014", MarkdownReport.format(null));

    ModelMetrics a = new ModelMetrics("a|b", Map.of(), 1.0,
        Map.of("DCG@1", new Stat(0.25, 0.125)), Map.of());
    ModelMetrics b = new ModelMetrics("c", null, 2.0, Map.of("MAP@3", new Stat(0.5, 0)), null);
    String r = MarkdownReport.render("x", 1, List.of(a, b), "");
    assertTrue(r.contains("1 seed."), r);
    assertTrue(r.contains("| model | DCG@1 | MAP@3 |\n"), r);
    assertTrue(r.contains("| a\\|b | 0.2500 \u00b1 0.1250 | \u2014 |\n"), r);
    assertTrue(r.contains("| c | \u2014 | 0.5000 \u00b1 0.0000 |\n"), r);
    assertTrue(r.contains("_No metrics._"), r);
    assertTrue(r.contains("| model | train s |\n|---|---:|\n| a\\|b | 1.0 |\n| c | 2.0 |\n"), r);
    assertFalse(r.contains("plot-rare"), r);
  }

  private static int occurrences(String s, String part) {
    int n = 0;
    for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + 1)) {
      n++;
    }
    return n;
  }
}
