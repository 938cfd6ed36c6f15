/**
 * The offline training loop shared by replay and benchmarks: batch sampling as in the reference code
 * and Adam steps through a {@link io.relstream.core.kernel.BatchMath}.
 */
package io.relstream.core.train;
