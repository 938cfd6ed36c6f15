/**
 * The Flink training job (Flink 2.2): interactions from Kafka, clipped-IPS Rel-MF trained online,
 * factor rows to the compacted model-updates topic exactly once.
 *
 * <h2>Graph</h2>
 * <pre>
 *   KafkaSource(interactions) [p] -&gt; keyBy(item) -&gt; propensity [1] -&gt; keyBy(user) -&gt; trainer [1]
 *       -&gt; keyBy(row key) -&gt; KafkaSink EXACTLY_ONCE [p]
 * </pre>
 * {@link io.relstream.streamtrain.TrainingJob#build} takes the source and sink as arguments (tests inject
 * finite sources and collecting sinks); {@link io.relstream.streamtrain.StreamTrainMain} wires Kafka.
 *
 * <h2>Propensity</h2>
 * {@code PropensityOperator} holds one {@link io.relstream.core.online.OnlinePropensity}: decayed click
 * counts per item, decayed distinct-user exposure per item, decayed impressions and clicks per position.
 * &theta; per event (default AUTO): the logged policy probability when the interaction carries one in
 * (0, 1]; else the exposure estimate E_i / A once any impression has been seen; else the popularity
 * estimate (n_i / max_j n_j)^&eta;. Because max_j n_j and A change with every event, the operator runs at
 * parallelism 1.
 *
 * <h2>State: one key per row</h2>
 * Both operators run on keyed streams and keep their estimators' rows in keyed state (one map entry per row, {@code KeyedRows})
 * on the RocksDB backend, with incremental checkpoints: the trainer one row per user (factors, Adam
 * moments, remembered clicks), per item (factors, moments, &theta;, clicks) and per reservoir slot; the
 * propensity operator one per user (latest impression), item (click and exposure counts) and shown
 * (user, item) pair. The estimators in {@code core} are the hot cache: every row of the operator is
 * resident, as the batch math needs dense tables, and just before each barrier
 * ({@code prepareSnapshotPreBarrier}) the rows changed since the previous barrier are written with
 * {@code setCurrentKey} per row ({@link io.relstream.streamtrain.KeyedRows}). A checkpoint therefore
 * uploads the SST files of the changed rows, not the model; operator state holds only each estimator's
 * globals (a few KiB). A restore reads every row back with {@code applyToAllKeys}. A checkpoint
 * directory written by the earlier whole-model layout is refused at start with one line
 * ({@link io.relstream.core.online.StateLayout}). Max parallelism (key groups) is
 * {@link io.relstream.streamtrain.TrainingJob#TRAINER_MAX_PARALLELISM}.
 *
 * <h2>Erasure</h2>
 * An {@code ERASE_USER} interaction (from {@code DELETE /users/{id}}, in order with the user's events)
 * makes both operators forget the user: its rows and keys, clicks, pending and reservoir events and id.
 * The trainer then emits a tombstone for {@code user:ID} (an empty-vector record that the Kafka sink
 * writes with a null value) at the next barrier. Item rows keep what they learnt from the user's past
 * batches, and per-item click counts keep its past clicks: they are aggregates of the items.
 *
 * <h2>Model sharding</h2>
 * Not built yet: both operators still run at parallelism 1 (sources, sink and the keyBy before it run at
 * the job's parallelism). The keyed layout is its groundwork: users keyed by user id, items by item id.
 * What remains is where a shard needs rows another shard owns (item rows for a user shard's batch,
 * gradients for an item's owner): with no in-job iteration in Flink 2, through a feedback topic
 * (read committed, lagging about one checkpoint interval), and the propensity's global sums aggregated
 * from per-item shards and sent back.
 *
 * <h2>State and delivery</h2>
 * RocksDB state backend, exactly-once checkpoints (interval configurable, 2 s by default), retained on
 * cancellation; the trainer's globals include its pending partial batch, so a restore re-emits exactly the
 * batches after the checkpoint. The Kafka sink is transactional: consumers with read_committed see a
 * checkpoint's rows when it completes. Records cross operators in the codecs' Avro bytes
 * ({@link io.relstream.streamtrain.AvroTypes}) or as POJOs; {@code pipeline.generic-types} is false.
 */
package io.relstream.streamtrain;
