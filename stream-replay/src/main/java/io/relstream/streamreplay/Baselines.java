package io.relstream.streamreplay;

import io.relstream.replay.ModelMetrics;
import io.relstream.replay.Replay;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** The rows every streaming report carries, to read the others against. */
final class Baselines {
  private Baselines() {}

  /** Items by their training clicks (the same for every user and seed, so std 0). */
  static ModelMetrics popularity(Replay replay) {
    long[] clicks = replay.data().itemClicks;
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("engine", "baseline");
    config.put("scores", "training clicks of the item");
    return Replay.metrics("popularity", config, 0, List.of(replay.evaluate((u, i) -> clicks[i])));
  }

  /** Uniform random scores, a fresh draw per seed, a pure function of (seed, user, item). */
  static ModelMetrics random(Replay replay, int seeds) {
    int items = replay.data().numItems;
    List<Replay.Evaluation> runs = new ArrayList<>();
    for (int s = 0; s < seeds; s++) {
      long seed = s;
      runs.add(replay.evaluate((u, i) ->
          (float) new SplittableRandom((seed << 40) ^ ((long) u * items + i)).nextDouble()));
    }
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("engine", "baseline");
    config.put("scores", "uniform random in [0, 1), seeded");
    return Replay.metrics("random", config, 0, runs);
  }
}
