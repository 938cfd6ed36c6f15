/**
 * Offline replay through the streaming job ({@code relstream replay --streaming}): what the live
 * pipeline would have learned from a log, evaluated on a randomised test set.
 *
 * <p>A data set's training ratings become the interactions ingest would emit ({@code LoggedEvents}),
 * and {@link io.relstream.streamtrain.TrainingJob#build} (the live graph: propensity and trainer
 * operators with the live settings, {@link io.relstream.streamtrain.TrainFlags}) runs over them on a
 * local MiniCluster ({@code JobRun}), one run per stream model and seed, with the idle flush off so a
 * seed fixes the result. The newest row per key is the model ({@code StreamModel}); the batch replay's
 * metrics, batch reference ({@code -batch} models) and report writers do the rest.
 *
 * <p>This module puts Flink (and its frocksdbjni) and the batch replay in one JVM; the batch replay
 * itself keeps its ban on Flink and Kafka, and an enforcer rule keeps rocksdbjni and Kafka Streams out
 * of this one.
 */
package io.relstream.streamreplay;
