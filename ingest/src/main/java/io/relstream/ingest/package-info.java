/** Ingest: the HTTP collector and the Kafka Streams validation/join topology (streaming issue). */
package io.relstream.ingest;
