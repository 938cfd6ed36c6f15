package io.relstream.replay;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Small replay results used by the report tests. */
final class TestData {

  private TestData() {}

  /**
   * Metrics of every family at K = 1, 3, 5: mean = base + 0.01 * K (+0.2 for the standard
   * protocol), std = 0.01 + 0.001 * K; rare means are half of all.
   */
  static ModelMetrics model(String name, double base, Map<String, Object> config, double seconds) {
    Map<String, Stat> all = new LinkedHashMap<>();
    Map<String, Stat> rare = new LinkedHashMap<>();
    for (String family : List.of("DCG", "Recall", "MAP", "nDCG", "StdRecall")) {
      double shift = family.equals("nDCG") || family.equals("StdRecall") ? 0.2 : 0;
      for (int k : new int[] {5, 1, 3}) { // inserted out of order on purpose
        double mean = base + shift + 0.01 * k;
        double std = 0.01 + 0.001 * k;
        all.put(family + "@" + k, new Stat(mean, std));
        rare.put(family + "@" + k, new Stat(mean / 2, std / 2));
      }
    }
    return new ModelMetrics(name, config, seconds, all, rare);
  }

  /** Three models, relmf best, with configs that share some keys and not others. */
  static List<ModelMetrics> threeModels() {
    Map<String, Object> relmf = new LinkedHashMap<>();
    relmf.put("dim", 200);
    relmf.put("clip", 0.1f);
    relmf.put("lr", 0.005);
    Map<String, Object> mf = new LinkedHashMap<>();
    mf.put("dim", 200);
    mf.put("lr", 0.005);
    Map<String, Object> wmf = new LinkedHashMap<>();
    wmf.put("dim", 64);
    wmf.put("negativeWeight", 0.5);
    return List.of(
        model("relmf", 0.5, relmf, 12.345),
        model("mf", 0.3, mf, 10.0),
        model("wmf", 0.1, wmf, 9.96));
  }
}
