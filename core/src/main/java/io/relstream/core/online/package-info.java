/**
 * Online (streaming) training in plain Java, which the Flink job only adapts:
 * {@link io.relstream.core.online.OnlinePropensity} answers each interaction's propensity &theta; from
 * decayed click and exposure counts, and {@link io.relstream.core.online.OnlineTrainer} forms count-based
 * mini-batches of (user, item, Y, &theta;) plus sampled unlabeled items and applies the clipped-IPS
 * gradient with a lazy (touched-rows-only) Adam step through {@link io.relstream.core.kernel.BatchMath}.
 * Both snapshot their whole state to versioned bytes, so a stream processor can checkpoint them as
 * operator state and a restore continues the run exactly.
 */
package io.relstream.core.online;
