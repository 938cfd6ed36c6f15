/**
 * Serving: follows the {@code model-updates} (rows) and {@code interactions} (clicks) topics into its
 * own RocksDB ({@link io.relstream.serving.ModelStore}, via
 * {@link io.relstream.serving.UpdateConsumer}) and answers top-k queries over HTTP
 * ({@link io.relstream.serving.HttpApi}); {@link io.relstream.serving.ServingMain} wires them.
 *
 * <p>Exactly once from a committed record to the store: the consumer reads committed records only,
 * and every poll is applied as one synced RocksDB write batch that also holds the consumed offsets;
 * a restart seeks to those offsets + 1. Kafka's own offset commits are not used.
 */
package io.relstream.serving;
