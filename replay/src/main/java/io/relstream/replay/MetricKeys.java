package io.relstream.replay;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Naming shared by {@link Plots} and {@link MarkdownReport}: metric keys {@code FAMILY@K}, their
 * order, their protocol, the two subsets and the plot file names.
 *
 * <p>Order: the paper protocol's DCG, Recall, MAP, then the standard protocol's nDCG, StdRecall,
 * then any other family alphabetically; within a family by K ascending. A key without a numeric
 * {@code @K} suffix is its own family with no K; it is tabulated but cannot be plotted.
 */
final class MetricKeys {

  /** Subset of the test set over all test users. */
  static final String ALL = "all";
  /** Subset of the test set restricted to rare items. */
  static final String RARE = "rare";
  /** Both subsets, in report order. */
  static final List<String> SUBSETS = List.of(ALL, RARE);

  /** Families of the paper protocol (Saito et al. 2020), in display order. */
  static final List<String> PAPER = List.of("DCG", "Recall", "MAP");
  /** Families of the standard protocol, in display order. */
  static final List<String> STANDARD = List.of("nDCG", "StdRecall");

  /** Sorts keys by family order, then K, then the raw key. */
  static final Comparator<String> KEY_ORDER =
      Comparator.comparing((String key) -> family(key), MetricKeys::compareFamilies)
          .thenComparingInt(key -> k(key) == null ? Integer.MIN_VALUE : k(key))
          .thenComparing(Comparator.naturalOrder());

  private MetricKeys() {}

  /** The family of {@code key}: the part before {@code @K}, or the whole key if it has no K. */
  static String family(String key) {
    int at = key.lastIndexOf('@');
    return at > 0 && k(key) != null ? key.substring(0, at) : key;
  }

  /** K of {@code key}, or {@code null} if the key has no numeric {@code @K} suffix. */
  static Integer k(String key) {
    int at = key.lastIndexOf('@');
    if (at <= 0 || at == key.length() - 1) {
      return null;
    }
    String digits = key.substring(at + 1);
    for (int i = 0; i < digits.length(); i++) {
      if (!Character.isDigit(digits.charAt(i))) {
        return null;
      }
    }
    try {
      return Integer.valueOf(digits);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** Compares families: paper, then standard, then others alphabetically. */
  static int compareFamilies(String a, String b) {
    int ra = rank(a);
    int rb = rank(b);
    return ra != rb ? Integer.compare(ra, rb) : a.compareTo(b);
  }

  private static int rank(String family) {
    int p = PAPER.indexOf(family);
    if (p >= 0) {
      return p;
    }
    int s = STANDARD.indexOf(family);
    return s >= 0 ? PAPER.size() + s : Integer.MAX_VALUE;
  }

  /** "paper protocol", "standard protocol", or {@code null} for an unknown family. */
  static String protocol(String family) {
    if (PAPER.contains(family)) {
      return "paper protocol";
    }
    return STANDARD.contains(family) ? "standard protocol" : null;
  }

  /** Human label of a subset: "all test users", "rare items", or the subset name itself. */
  static String subsetLabel(String subset) {
    switch (subset) {
      case ALL:
        return "all test users";
      case RARE:
        return "rare items";
      default:
        return subset;
    }
  }

  /** The metrics of {@code m} for {@code subset}, never {@code null}. */
  static Map<String, Stat> metrics(ModelMetrics m, String subset) {
    Map<String, Stat> map = RARE.equals(subset) ? m.rare() : m.all();
    return map == null ? Map.of() : map;
  }

  /** Union of the metric keys of all models in {@code subset}, in {@link #KEY_ORDER}. */
  static List<String> keys(List<ModelMetrics> models, String subset) {
    TreeSet<String> keys = new TreeSet<>(KEY_ORDER);
    for (ModelMetrics m : models) {
      keys.addAll(metrics(m, subset).keySet());
    }
    return new ArrayList<>(keys);
  }

  /**
   * The plottable families of {@code subset} (those with at least one key with a K), in family
   * order, each with its sorted K values.
   */
  static Map<String, List<Integer>> plottableFamilies(List<ModelMetrics> models, String subset) {
    Map<String, List<Integer>> out = new LinkedHashMap<>();
    for (String key : keys(models, subset)) {
      Integer k = k(key);
      if (k != null) {
        out.computeIfAbsent(family(key), f -> new ArrayList<>()).add(k);
      }
    }
    return out;
  }

  /**
   * File name of the chart of one family and subset, {@code plot-<subset>-<family>.png}, with any
   * character other than letters, digits, '-' and '_' replaced by '_'.
   */
  static String plotFileName(String subset, String family) {
    return "plot-" + safe(subset) + "-" + safe(family) + ".png";
  }

  private static String safe(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '_';
      b.append(ok ? c : '_');
    }
    return b.toString();
  }

  /** Chart title, e.g. "coat — DCG@K (all test users, paper protocol)". */
  static String title(String dataset, String subset, String family) {
    String protocol = protocol(family);
    return dataset + " \u2014 " + family + "@K (" + subsetLabel(subset)
        + (protocol == null ? "" : ", " + protocol) + ")";
  }
}
