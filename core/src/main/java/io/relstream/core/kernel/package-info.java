/**
 * Batch math behind one interface ({@link io.relstream.core.kernel.BatchMath}): gradients of a
 * mini-batch, the dense optimizer step over the tables, and scores of users against all items.
 * {@link io.relstream.core.kernel.ScalarBatchMath} is the reference that defines the results; the
 * Aparapi implementation in {@code kernel.opencl} must agree with it (the parity suite checks both).
 */
package io.relstream.core.kernel;
