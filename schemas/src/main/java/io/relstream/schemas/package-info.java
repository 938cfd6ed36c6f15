/** Topic names and the Avro records that travel on them (generated from {@code src/main/avro}). */
package io.relstream.schemas;
