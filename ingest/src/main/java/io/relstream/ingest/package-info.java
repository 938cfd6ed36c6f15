/**
 * Ingest: the HTTP collector and the Kafka Streams validation, de-duplication and impression/click join.
 *
 * <ul>
 *   <li>{@link io.relstream.events.EventValidator} (module events): the rules an event must pass, with precise reasons; used by
 *       the collector (JSON) and the streams app (Avro from any producer).</li>
 *   <li>{@link io.relstream.ingest.Collector}: {@code POST /events} (JSON array or NDJSON) to the events topic,
 *       rejects to dead-letter; answers only after Kafka acknowledged every record. {@code DELETE /users/{id}}:
 *       the user's erasure to the events topic, keyed by the user like the user's events.</li>
 *   <li>{@link io.relstream.ingest.IngestTopology}: events → interactions; join and expiry rules in its comment.
 *       Requires the events topic to be keyed by user id.</li>
 *   <li>{@link io.relstream.ingest.IngestMain}: both in one JVM, creating the topics it needs.</li>
 * </ul>
 */
package io.relstream.ingest;
