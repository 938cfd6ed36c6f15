package io.relstream.streamtrain;

import io.relstream.schemas.Codecs;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.ModelUpdate;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The training job's graph, with source and sink injected:
 * <pre>
 *   interactions (parallelism p) -&gt; keyBy(item) -&gt; propensity (1) -&gt; keyBy(user) -&gt; trainer (1) -&gt; keyBy(row key) -&gt; sink (p)
 * </pre>
 * The propensity operator, keyed by item, holds its estimator as keyed-state rows ({@link PropensityOperator}); the trainer, keyed by user,
 * holds the model as one keyed-state row per user, item and reservoir slot ({@link TrainerOperator}); the keyBy
 * on {@link Codecs#modelUpdateKey} keeps every row key on one sink subtask, so each key's rows reach the
 * topic in modelVersion order. Records travel as Avro via {@link AvroTypes} or as Flink POJOs
 * ({@link Example}), never Kryo.
 */
public final class TrainingJob {
  private TrainingJob() {}

  /** Operator uids: stable across versions of the job so that checkpoints restore. */
  static final String SOURCE_UID = "interactions-source";
  /** Keyed rows since the trainer-rows layout: a new uid, like the trainer's. */
  static final String PROPENSITY_UID = "propensity-rows";
  /** The trainer's rows are keyed state: a new uid, so no checkpoint of the whole-model layout maps onto it. */
  static final String TRAINER_UID = "trainer-rows";
  /** Key groups of the trainer's keyed state: the most shards a checkpoint can be rescaled to. */
  public static final int TRAINER_MAX_PARALLELISM = 128;
  static final String SINK_UID = "model-updates-sink";

  /** Name of the trainer's accumulator: stream events in trained batches (a Long). */
  public static final String EVENTS_TRAINED = "eventsTrained";

  /**
   * The record that erases user {@code id} from the model: kind USER, an empty vector; the Kafka sink writes
   * it as a tombstone (null value) for key {@code user:ID}, so compaction drops the user's row.
   */
  public static ModelUpdate erasure(String id, long modelVersion, long timestamp) {
    return ModelUpdate.newBuilder().setKind(io.relstream.schemas.avro.EntityKind.USER).setId(id)
        .setVector(java.util.List.of()).setPropensity(null).setClicks(null).setModelVersion(modelVersion)
        .setTimestamp(timestamp).build();
  }

  /** Whether {@code u} is an {@link #erasure}. */
  public static boolean isErasure(ModelUpdate u) {
    return u.getKind() == io.relstream.schemas.avro.EntityKind.USER && u.getVector().isEmpty();
  }

  /** Adds the job to {@code env} reading from {@code source}. */
  /**
   * Whether the propensity operator counts {@code in} as an impression (an exposure): its source says so,
   * or, for a source it does not know, it is unclicked or carries a position or a logged propensity.
   */
  public static boolean isImpression(Interaction in) {
    return PropensityOperator.isImpression(in);
  }

  public static void build(StreamExecutionEnvironment env, Source<Interaction, ?, ?> source,
      Sink<ModelUpdate> sink, TrainConfig config) {
    DataStream<Interaction> input = env
        .fromSource(source, WatermarkStrategy.noWatermarks(), "interactions", AvroTypes.INTERACTION)
        .uid(SOURCE_UID);
    build(env, input, sink, config);
  }

  /** Adds the job to {@code env} reading from {@code input} (whose type must be {@link AvroTypes#INTERACTION}). */
  public static void build(StreamExecutionEnvironment env, DataStream<Interaction> input,
      Sink<ModelUpdate> sink, TrainConfig config) {
    DataStream<Example> examples = input
        .keyBy(Interaction::getItem, Types.STRING)
        .transform("propensity", TypeInformation.of(Example.class), new PropensityOperator(config))
        .uid(PROPENSITY_UID)
        .setParallelism(1).setMaxParallelism(TRAINER_MAX_PARALLELISM);
    // the sink behind a keyBy on the row key, not chained to the trainer: chaining it (a forward edge,
    // object reuse) was measured here with no gain in events/s at parallelism 1 or 2, and with the
    // propensity task's restore at parallelism 2 slowed from about 6 s to 19 s (three runs)
    examples
        .keyBy(e -> e.user, Types.STRING)
        .transform("trainer", AvroTypes.MODEL_UPDATE, new TrainerOperator(config))
        .uid(TRAINER_UID)
        .setParallelism(1).setMaxParallelism(TRAINER_MAX_PARALLELISM)
        .keyBy(u -> Codecs.modelUpdateKey(u.getKind(), u.getId()), Types.STRING)
        .sinkTo(sink).name("model-updates").uid(SINK_UID);
  }

  /**
   * The Flink settings the job needs: RocksDB state backend, exactly-once checkpoints every
   * {@code checkpointInterval} into {@code checkpointDir} (retained on cancellation), no generic
   * (Kryo) types, and a fixed-delay restart strategy.
   */
  public static Configuration flinkConfiguration(Path checkpointDir, Duration checkpointInterval) {
    Configuration conf = new Configuration();
    conf.setString("state.backend.type", "rocksdb");
    // a checkpoint uploads the SST files written since the previous one: the rows that changed
    conf.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
    conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpointDir.toAbsolutePath().toUri().toString());
    conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, checkpointInterval);
    conf.set(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE, CheckpointingMode.EXACTLY_ONCE);
    conf.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
        ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
    conf.set(CheckpointingOptions.MAX_RETAINED_CHECKPOINTS, 3);
    conf.setString("pipeline.generic-types", "false");
    conf.setString("restart-strategy.type", "fixed-delay");
    conf.setString("restart-strategy.fixed-delay.attempts", "10");
    conf.setString("restart-strategy.fixed-delay.delay", "500 ms");
    return conf;
  }
}
