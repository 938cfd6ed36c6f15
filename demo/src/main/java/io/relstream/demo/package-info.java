/**
 * The embedded default ({@code ./relstream demo}): a supervisor that starts a real KRaft broker, the
 * ingest application, the Flink training job and serving, each in its own JVM with an explicit heap
 * (Flink's frocksdbjni and serving's rocksdbjni cannot share one), puts one public HTTP port in front
 * of them, streams a shipped data set through the collector, and stops every child on Ctrl-C/SIGTERM.
 */
package io.relstream.demo;
