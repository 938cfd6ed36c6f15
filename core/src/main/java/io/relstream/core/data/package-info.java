/**
 * Data sets as explicit rating triples, their readers (Coat, Yahoo! R3), and the implicit-feedback
 * preparation of the reference code: a seeded validation hold-out and binarisation at rating &gt;= 4.
 * Readers report bad input as {@link io.relstream.core.data.DataFormatException} naming file and line.
 */
package io.relstream.core.data;
