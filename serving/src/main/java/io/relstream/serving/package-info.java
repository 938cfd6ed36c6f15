/** Serving: the model-updates consumer, its RocksDB store and the HTTP API (streaming issue). */
package io.relstream.serving;
