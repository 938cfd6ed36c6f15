/**
 * The OpenCL path of {@link io.relstream.core.kernel.BatchMath}, built on Aparapi 3.
 *
 * <p>{@link io.relstream.core.kernel.opencl.AparapiBatchMath} keeps the factor tables, the Adam moments
 * and the gradient accumulators resident on one OpenCL device and runs all passes (pair scores and
 * coefficients, per-row gradient sums over host-built CSR groups, dense Adam + L2, scoring) in one
 * Aparapi kernel ({@code BatchKernel}) selected by a pass number. Results equal those of the scalar
 * reference {@link io.relstream.core.kernel.ScalarBatchMath} up to float rounding; gradients are
 * deterministic (no atomics).
 *
 * <p>It never falls back to Java silently: construction fails when no OpenCL device exists or the kernel
 * does not run on it, and every execution is checked. {@link io.relstream.core.kernel.opencl.OpenCl#available()}
 * tells, without throwing, whether a device exists. Classes here must keep their debug information:
 * Aparapi needs the local variable table to generate OpenCL.
 */
package io.relstream.core.kernel.opencl;
