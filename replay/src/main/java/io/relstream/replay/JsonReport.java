package io.relstream.replay;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * report.json: {"dataset", "seeds", "models": {name: {"config", "trainSeconds", "all": {metric:
 * {"mean", "std"}}, "rare": {...}}}} plus descriptive keys. Unprefixed metric keys are the paper
 * protocol; "nDCG@K" and "StdRecall@K" the standard one.
 */
final class JsonReport {
  private JsonReport() {}

  static Map<String, Object> build(String dataset, int seeds, List<ModelMetrics> models,
      Map<String, Object> extra) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("dataset", dataset);
    root.put("seeds", seeds);
    root.putAll(extra);
    Map<String, Object> byModel = new LinkedHashMap<>();
    for (ModelMetrics m : models) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("config", m.config());
      entry.put("trainSeconds", m.trainSeconds());
      entry.put("all", stats(m.all()));
      entry.put("rare", stats(m.rare()));
      byModel.put(m.model(), entry);
    }
    root.put("models", byModel);
    return root;
  }

  private static Map<String, Object> stats(Map<String, Stat> s) {
    Map<String, Object> out = new LinkedHashMap<>();
    s.forEach((k, v) -> {
      Map<String, Object> stat = new LinkedHashMap<>();
      stat.put("mean", v.mean());
      stat.put("std", v.std());
      out.put(k, stat);
    });
    return out;
  }

  static void write(Path file, Map<String, Object> report) throws IOException {
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), report);
  }
}
