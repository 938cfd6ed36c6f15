package io.relstream.streamtrain;

import io.relstream.core.online.BatchUpdate;
import io.relstream.core.online.OnlinePropensity;
import io.relstream.core.online.OnlineTrainer;
import io.relstream.core.kernel.BatchMaths;
import io.relstream.schemas.avro.EntityKind;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.InteractionSource;
import io.relstream.schemas.avro.ModelUpdate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A seeded synthetic stream with a known answer, as a pure function of the event index (so a Flink
 * generator source can replay it): users u0..u(2n-1) in two taste groups (even users like the a-items,
 * odd users the b-items), each user shown only a random subset (about half) of their group's items. An event shows a user
 * one of those (70%, clicked with probability 0.9) or an item of the other group (30%, clicked with
 * probability 0.03). Every fifth impression carries a logged propensity and a position.
 */
final class Scenario {
  static final int USERS = 40;
  static final int ITEMS_PER_GROUP = 20;
  static final long SEED = 20260101L;
  static final long T0 = 1_760_000_000_000L;

  private Scenario() {}

  static char group(String user) {
    return Integer.parseInt(user.substring(1)) % 2 == 0 ? 'a' : 'b';
  }

  /** Whether user u is ever shown own-group item j: a fixed half of the group per user. */
  static boolean visible(int u, int j) {
    return new SplittableRandom(SEED + 1000L * u + j).nextBoolean();
  }

  static Interaction event(long index) {
    SplittableRandom rng = new SplittableRandom(SEED ^ (index * 0x9E3779B97F4A7C15L));
    int u = rng.nextInt(USERS);
    char own = u % 2 == 0 ? 'a' : 'b';
    boolean ownGroup = rng.nextDouble() < 0.7;
    int j = rng.nextInt(ITEMS_PER_GROUP);
    while (ownGroup && !visible(u, j)) {
      j = rng.nextInt(ITEMS_PER_GROUP);
    }
    char g = ownGroup ? own : (own == 'a' ? 'b' : 'a');
    int label = rng.nextDouble() < (ownGroup ? 0.9 : 0.03) ? 1 : 0;
    boolean logged = index % 5 == 0;
    return Interaction.newBuilder()
        .setEventId("e" + index)
        .setUser("u" + u)
        .setItem(g + Integer.toString(j))
        .setTimestamp(T0 + 100L * index)
        .setLabel(label)
        .setSource(label == 1 ? InteractionSource.CLICKED_IMPRESSION : InteractionSource.UNCLICKED_IMPRESSION)
        .setRequestId(null)
        .setPosition(logged ? (int) (index % 3) : null)
        .setPropensity(logged ? 0.2 + 0.1 * (index % 4) : null)
        .build();
  }

  static List<Interaction> events(int n) {
    List<Interaction> out = new ArrayList<>(n);
    for (long k = 0; k < n; k++) {
      out.add(event(k));
    }
    return out;
  }

  /** The rows the job must publish for these events at parallelism 1: the core classes run directly. */
  static List<ModelUpdate> expected(List<Interaction> events, TrainConfig config) {
    OnlinePropensity p = new OnlinePropensity(config.propensity(), config.eta(), config.halfLifeMillis());
    List<ModelUpdate> out = new ArrayList<>();
    try (OnlineTrainer t = new OnlineTrainer(config.trainer(), BatchMaths.Path.JAVA)) {
      for (Interaction in : events) {
        OnlinePropensity.Estimate e = p.observe(in.getUser(), in.getItem(), in.getTimestamp(), in.getLabel() == 1,
            PropensityOperator.isImpression(in), in.getPosition() == null ? -1 : in.getPosition(),
            in.getPropensity() == null ? Double.NaN : in.getPropensity());
        BatchUpdate b = t.add(in.getUser(), in.getItem(), in.getLabel(), e.theta(), e.clicks(), in.getTimestamp());
        if (b != null) {
          out.addAll(TrainerOperator.toRecords(b));
        }
      }
      BatchUpdate b = t.flush();
      if (b != null) {
        out.addAll(TrainerOperator.toRecords(b));
      }
    }
    return out;
  }

  static Map<String, Long> clicksPerItem(List<Interaction> events) {
    Map<String, Long> c = new HashMap<>();
    for (Interaction in : events) {
      if (in.getLabel() == 1) {
        c.merge(in.getItem(), 1L, Long::sum);
      }
    }
    return c;
  }

  /** The newest row per key (by modelVersion), e.g. what a compacted topic keeps. */
  static Map<String, ModelUpdate> latest(List<ModelUpdate> rows) {
    Map<String, ModelUpdate> m = new LinkedHashMap<>();
    for (ModelUpdate u : rows) {
      String key = io.relstream.schemas.Codecs.modelUpdateKey(u.getKind(), u.getId());
      ModelUpdate old = m.get(key);
      if (old == null || old.getModelVersion() <= u.getModelVersion()) {
        m.put(key, u);
      }
    }
    return m;
  }

  /**
   * Fraction of top-3 recommendations (highest p_u . q_i over items the user did not click) that come
   * from the user's group, computed from published rows only.
   */
  static double groupPrecision(Map<String, ModelUpdate> latest, List<Interaction> events) {
    Map<String, Set<String>> clicked = new HashMap<>();
    for (Interaction in : events) {
      if (in.getLabel() == 1) {
        clicked.computeIfAbsent(in.getUser(), k -> new HashSet<>()).add(in.getItem());
      }
    }
    List<ModelUpdate> items = latest.values().stream().filter(u -> u.getKind() == EntityKind.ITEM).toList();
    int good = 0;
    int total = 0;
    for (ModelUpdate user : latest.values()) {
      if (user.getKind() != EntityKind.USER) {
        continue;
      }
      Set<String> seen = clicked.getOrDefault(user.getId(), Set.of());
      List<ModelUpdate> ranked = new ArrayList<>(items);
      ranked.removeIf(i -> seen.contains(i.getId()));
      ranked.sort((x, y) -> Double.compare(dot(user, y), dot(user, x)));
      for (ModelUpdate i : ranked.subList(0, Math.min(3, ranked.size()))) {
        total++;
        if (i.getId().charAt(0) == group(user.getId())) {
          good++;
        }
      }
    }
    return total == 0 ? 0 : (double) good / total;
  }

  static double dot(ModelUpdate a, ModelUpdate b) {
    double s = 0;
    for (int d = 0; d < a.getVector().size(); d++) {
      s += a.getVector().get(d) * b.getVector().get(d);
    }
    return s;
  }
}
