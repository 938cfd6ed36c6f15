package io.relstream.replay;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a replay's report into a directory: {@code report.json} ({@link JsonReport}), {@code report.md}
 * ({@link MarkdownReport}) and the charts ({@link Plots}), and prints a summary table.
 */
public final class ReplayReport {
  private ReplayReport() {}

  /**
   * @param extra the report's descriptive top-level keys
   * @param notes markdown for the report's notes
   * @param out where the summary table and the "wrote" line go
   */
  public static void write(Path dir, String dataset, int seeds, List<ModelMetrics> rows, Map<String, Object> extra,
      String notes, PrintStream out) throws IOException {
    JsonReport.write(dir.resolve("report.json"), JsonReport.build(dataset, seeds, rows, extra));
    List<Path> plots = Plots.write(dir, dataset, rows);
    Files.writeString(dir.resolve("report.md"), MarkdownReport.render(dataset, seeds, rows, notes));
    printSummary(out, rows);
    out.println("wrote " + dir.resolve("report.json") + ", report.md and " + plots.size() + " plots");
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
