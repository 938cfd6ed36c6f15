/**
 * The Flink training job (Flink 2.2): interactions from Kafka, clipped-IPS Rel-MF trained online,
 * factor rows to the compacted model-updates topic exactly once.
 *
 * <h2>Graph</h2>
 * <pre>
 *   KafkaSource(interactions) [p] -&gt; propensity [1] -&gt; trainer [1] -&gt; keyBy(row key) -&gt; KafkaSink EXACTLY_ONCE [p]
 * </pre>
 * {@link io.relstream.streamtrain.TrainingJob#build} takes the source and sink as arguments (tests inject
 * finite sources and collecting sinks); {@link io.relstream.streamtrain.StreamTrainMain} wires Kafka.
 *
 * <h2>Propensity</h2>
 * {@code PropensityFunction} holds one {@link io.relstream.core.online.OnlinePropensity}: decayed click
 * counts per item, decayed distinct-user exposure per item, decayed impressions and clicks per position.
 * &theta; per event (default AUTO): the logged policy probability when the interaction carries one in
 * (0, 1]; else the exposure estimate E_i / A once any impression has been seen; else the popularity
 * estimate (n_i / max_j n_j)^&eta;. Because max_j n_j and A change with every event, the operator runs at
 * parallelism 1 and its state is the estimator snapshot in operator ListState&lt;byte[]&gt;. This is the
 * simplest correct design, and cheap (O(1) per event); a parallel variant would pre-aggregate per-item
 * counts keyed by item and broadcast the global max / active-user count on a side channel, at the price of
 * &theta; lagging by one broadcast period.
 *
 * <h2>Model sharding</h2>
 * Now: the trainer runs at parallelism 1 and holds the whole model (one {@code OnlineTrainer}, tables
 * growing by doubling); sources, sink and the keyBy before the sink run at the job's parallelism. The job is
 * correct at any parallelism; at parallelism &gt; 1 the order in which parallel source subtasks interleave
 * is not fixed, so batches (and factors) depend on that order, while counts, versions and exactly-once do
 * not. A single slot trains a million-row model of d = 32 (256 MB with Adam moments) at the kernel's rate.
 * <p>Beyond one slot (design, not built): shard users by key (keyBy user id, user rows and their Adam state
 * in keyed state of that shard) and keep item rows in a parameter-server split: items partitioned by key
 * range over item shards; a user shard sends its batch's item gradients (sparse rows) to the owning item
 * shards, which apply the lazy Adam step and broadcast the changed item rows back (bounded staleness of one
 * batch). modelVersion then becomes (shard, batch) per shard, or a global counter assigned by an item
 * coordinator. The clipped-IPS gradient is a sum over pairs, so the split changes only when rows are
 * updated, not the estimator.
 *
 * <h2>State and delivery</h2>
 * RocksDB state backend, exactly-once checkpoints (interval configurable, 2 s by default), retained on
 * cancellation; the trainer's snapshot includes its pending partial batch, so a restore re-emits exactly the
 * batches after the checkpoint. The Kafka sink is transactional: consumers with read_committed see a
 * checkpoint's rows when it completes. Records cross operators in the codecs' Avro bytes
 * ({@link io.relstream.streamtrain.AvroTypes}) or as POJOs; {@code pipeline.generic-types} is false.
 */
package io.relstream.streamtrain;
