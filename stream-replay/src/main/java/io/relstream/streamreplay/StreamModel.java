package io.relstream.streamreplay;

import io.relstream.core.metrics.RankingMetrics;
import io.relstream.core.online.ModelRow;
import io.relstream.core.topk.DebiasedPopularity;
import io.relstream.schemas.avro.EntityKind;
import io.relstream.schemas.avro.ModelUpdate;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The model a stream ends with: the newest row of every user and item (what the compacted
 * model-updates topic keeps), scored as serving scores it.
 *
 * <p>score(u, i) = p_u &middot; q_i when both rows exist; otherwise the fallback's score of i, the
 * debiased popularity clicks_i / max(&theta;_i, M) of its row ({@link DebiasedPopularity}, serving's
 * default M), which is 0 for an item the stream never trained (no clicks, and the neutral logit).
 */
final class StreamModel {
  private static final DebiasedPopularity FALLBACK = new DebiasedPopularity();

  final Map<String, ModelRow> users;
  final Map<String, ModelRow> items;

  StreamModel(Map<String, ModelRow> users, Map<String, ModelRow> items) {
    this.users = users;
    this.items = items;
  }

  /** From published rows: per key the one with the highest modelVersion. */
  static StreamModel ofUpdates(Collection<ModelUpdate> rows) {
    Map<String, ModelUpdate> latestUser = new LinkedHashMap<>();
    Map<String, ModelUpdate> latestItem = new LinkedHashMap<>();
    for (ModelUpdate u : rows) {
      Map<String, ModelUpdate> m = u.getKind() == EntityKind.USER ? latestUser : latestItem;
      m.merge(u.getId(), u, (a, b) -> b.getModelVersion() >= a.getModelVersion() ? b : a);
    }
    Map<String, ModelRow> users = new LinkedHashMap<>();
    latestUser.forEach((id, u) -> users.put(id, row(u)));
    Map<String, ModelRow> items = new LinkedHashMap<>();
    latestItem.forEach((id, u) -> items.put(id, row(u)));
    return new StreamModel(users, items);
  }

  private static ModelRow row(ModelUpdate u) {
    float[] v = new float[u.getVector().size()];
    for (int d = 0; d < v.length; d++) {
      v[d] = u.getVector().get(d);
    }
    return new ModelRow(u.getId(), v,
        u.getPropensity() == null ? Float.NaN : u.getPropensity().floatValue(),
        u.getClicks() == null ? Double.NaN : u.getClicks());
  }

  /** The fallback's score of an item: its debiased popularity, 0 for an unknown item. */
  double fallback(String item) {
    ModelRow r = items.get(item);
    if (r == null || !(r.clicks() >= 0) || !(r.theta() >= 0)) {
      return 0;
    }
    return FALLBACK.score(r.clicks(), r.theta());
  }

  /**
   * A scorer over a data set's 0-based indices, whose ids are index + {@code idOffset}; rows are
   * looked up once per index.
   */
  RankingMetrics.Scorer scorer(int numUsers, int numItems, int idOffset) {
    return scorer(offsetIds(numUsers, idOffset), offsetIds(numItems, idOffset));
  }

  /** The ids index + {@code offset} of {@code n} indices. */
  static String[] offsetIds(int n, int offset) {
    String[] ids = new String[n];
    for (int k = 0; k < n; k++) {
      ids[k] = Integer.toString(k + offset);
    }
    return ids;
  }

  /** A scorer over indices whose ids are {@code userIds[u]} and {@code itemIds[i]}. */
  RankingMetrics.Scorer scorer(String[] userIds, String[] itemIds) {
    int numUsers = userIds.length;
    int numItems = itemIds.length;
    float[][] p = new float[numUsers][];
    for (int u = 0; u < numUsers; u++) {
      ModelRow r = users.get(userIds[u]);
      p[u] = r == null ? null : r.vector();
    }
    float[][] q = new float[numItems][];
    float[] fallback = new float[numItems];
    for (int i = 0; i < numItems; i++) {
      String id = itemIds[i];
      ModelRow r = items.get(id);
      q[i] = r == null ? null : r.vector();
      fallback[i] = (float) fallback(id);
    }
    return (u, i) -> {
      float[] a = p[u];
      float[] b = q[i];
      if (a == null || b == null) {
        return fallback[i];
      }
      float s = 0f;
      for (int d = 0; d < a.length; d++) {
        s += a[d] * b[d];
      }
      return s;
    };
  }
}
