package io.relstream.replay;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Markdown report of a replay: protocols, one metrics table per subset, model configurations,
 * free-form notes and links to the charts of {@link Plots} (same file names, relative to the
 * directory the report is written to).
 *
 * <p>Metric cells are {@code mean ± std} with 4 decimals ({@link Locale#ROOT}); a metric a model
 * lacks is shown as "—".
 */
final class MarkdownReport {

  private static final String MISSING = "\u2014";

  private MarkdownReport() {}

  /**
   * Renders the report.
   *
   * @param dataset dataset name
   * @param seeds number of seeds the means and standard deviations are over
   * @param models models in row order
   * @param notes markdown appended verbatim under "Notes"; {@code null} or blank for none
   * @return the markdown document, ending with a newline
   */
  static String render(String dataset, int seeds, List<ModelMetrics> models, String notes) {
    StringBuilder md = new StringBuilder();
    md.append("# ").append(dataset).append(" \u2014 offline replay\n\n");
    md.append(models.size()).append(models.size() == 1 ? " model" : " models")
        .append(", ").append(seeds).append(seeds == 1 ? " seed" : " seeds")
        .append(". Every cell is mean \u00b1 standard deviation over seeds.\n\n");

    md.append("## Protocols\n\n");
    md.append("- **Paper protocol** (`DCG@K`, `Recall@K`, `MAP@K`), as in Saito et al. (WSDM 2020):"
        + " graded relevance rel = 0.001 + 0.999\u00b7[rating \u2265 4];"
        + " DCG@K = \u03a3<sub>rank \u2264 K</sub> rel / max(1, log<sub>2</sub> rank),"
        + " so ranks 1 and 2 are undiscounted; averaged over all test users,"
        + " including users without a relevant test item.\n");
    md.append("- **Standard protocol** (`nDCG@K`, `StdRecall@K`): binary relevance"
        + " [rating \u2265 4], nDCG@K (DCG@K with discount 1 / log<sub>2</sub>(rank + 1),"
        + " divided by the ideal DCG@K) and recall@K, averaged over the test users with at least"
        + " one relevant test item.\n");
    md.append("- Subsets: **all** is the whole test set, **rare** keeps only rare items.\n\n");

    for (String subset : MetricKeys.SUBSETS) {
      List<String> keys = MetricKeys.keys(models, subset);
      md.append("## Metrics \u2014 ").append(subset).append(" (")
          .append(MetricKeys.subsetLabel(subset)).append(")\n\n");
      if (keys.isEmpty()) {
        md.append("_No metrics._\n\n");
        continue;
      }
      md.append("| model |");
      for (String key : keys) {
        md.append(' ').append(cell(key)).append(" |");
      }
      md.append("\n|---|");
      md.append("---:|".repeat(keys.size()));
      md.append('\n');
      for (ModelMetrics m : models) {
        md.append("| ").append(cell(m.model())).append(" |");
        Map<String, Stat> metrics = MetricKeys.metrics(m, subset);
        for (String key : keys) {
          md.append(' ').append(format(metrics.get(key))).append(" |");
        }
        md.append('\n');
      }
      md.append('\n');
    }

    md.append("## Models\n\n");
    TreeSet<String> configKeys = new TreeSet<>();
    for (ModelMetrics m : models) {
      if (m.config() != null) {
        configKeys.addAll(m.config().keySet());
      }
    }
    md.append("| model |");
    for (String key : configKeys) {
      md.append(' ').append(cell(key)).append(" |");
    }
    md.append(" train s |\n|---|");
    md.append("---|".repeat(configKeys.size()));
    md.append("---:|\n");
    for (ModelMetrics m : models) {
      md.append("| ").append(cell(m.model())).append(" |");
      for (String key : configKeys) {
        Object v = m.config() == null ? null : m.config().get(key);
        md.append(' ').append(v == null ? MISSING : cell(String.valueOf(v))).append(" |");
      }
      md.append(' ').append(String.format(Locale.ROOT, "%.1f", m.trainSeconds())).append(" |\n");
    }
    md.append('\n');

    boolean plotsHeader = false;
    for (String subset : MetricKeys.SUBSETS) {
      for (String family : MetricKeys.plottableFamilies(models, subset).keySet()) {
        if (!plotsHeader) {
          md.append("## Plots\n\n");
          plotsHeader = true;
        }
        md.append("![").append(MetricKeys.title(dataset, subset, family).replace("]", "\\]"))
            .append("](").append(MetricKeys.plotFileName(subset, family)).append(")\n\n");
      }
    }

    if (notes != null && !notes.isBlank()) {
      md.append("## Notes\n\n").append(notes);
      if (!notes.endsWith("\n")) {
        md.append('\n');
      }
    }
    return md.toString();
  }

  /** {@code mean ± std} with 4 decimals, or "—" for a missing stat. */
  static String format(Stat s) {
    if (s == null) {
      return MISSING;
    }
    return String.format(Locale.ROOT, "%.4f \u00b1 %.4f", s.mean(), s.std());
  }

  /** Escapes what would break a table cell: '|' and line breaks. */
  private static String cell(String s) {
    if (s == null) {
      return MISSING;
    }
    return s.replace("\\", "\\\\").replace("|", "\\|").replace("\r\n", " ").replace('\n', ' ')
        .replace('\r', ' ');
  }
}
