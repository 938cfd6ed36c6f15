package io.relstream.streamreplay;

import io.relstream.core.kernel.BatchMaths;
import io.relstream.core.online.BatchUpdate;
import io.relstream.core.online.ModelRow;
import io.relstream.core.online.OnlinePropensity;
import io.relstream.core.online.OnlineTrainer;
import io.relstream.schemas.avro.Interaction;
import io.relstream.streamtrain.TrainConfig;
import io.relstream.streamtrain.TrainingJob;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The job's two operators as core's classes on their own, no Flink: each interaction through
 * {@link OnlinePropensity#observe} (a click without an impression is not an exposure; the interaction's
 * position and logged propensity as the propensity operator passes them) and {@link OnlineTrainer#add},
 * the partial batch flushed at the end, the newest published row per key kept. StreamJobIT holds the job
 * to this at parallelism 1; the validation tuning ({@link StreamTune}) runs it because it is the same
 * model in a fraction of the time.
 */
final class CoreStream {
  private CoreStream() {}

  /** The model of {@code events}; {@code trainer} (a fresh one) is left as the stream ends it. */
  static StreamModel run(Iterable<Interaction> events, TrainConfig config, OnlineTrainer trainer) {
    OnlinePropensity p = new OnlinePropensity(config.propensity(), config.eta(), config.halfLifeMillis());
    Map<String, ModelRow> users = new LinkedHashMap<>();
    Map<String, ModelRow> items = new LinkedHashMap<>();
    for (Interaction in : events) {
      boolean shown = TrainingJob.isImpression(in);
      int position = in.getPosition() == null ? -1 : in.getPosition();
      double logged = in.getPropensity() == null ? Double.NaN : in.getPropensity();
      OnlinePropensity.Estimate e = p.observe(in.getUser(), in.getItem(), in.getTimestamp(), in.getLabel() == 1,
          shown, position, logged);
      keep(trainer.add(in.getUser(), in.getItem(), in.getLabel(), e.theta(), e.clicks(), in.getTimestamp()), users,
          items);
    }
    keep(trainer.flush(), users, items);
    return new StreamModel(users, items);
  }

  /** {@link #run} on a fresh Java-path trainer. */
  static StreamModel run(Iterable<Interaction> events, TrainConfig config) {
    try (OnlineTrainer t = new OnlineTrainer(config.trainer(), BatchMaths.Path.JAVA)) {
      return run(events, config, t);
    }
  }

  private static void keep(BatchUpdate b, Map<String, ModelRow> users, Map<String, ModelRow> items) {
    if (b != null) {
      b.users().forEach(r -> users.put(r.id(), r));
      b.items().forEach(r -> items.put(r.id(), r));
    }
  }
}
