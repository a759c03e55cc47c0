/**
 * The Vector API kernels, grouped by capability: {@code gemm}, {@code conv} (which builds on the GEMM's packing
 * and micro-kernel), {@code pool} and {@code elementwise}. This package holds what they share — the one float
 * species, lane shuffles, per-thread scratch buffers and the ordered per-part partial sums — and
 * {@link dev.vcnn.engine.kernel.simd.SimdKernels}, which assembles them into a kernel set. None of it is
 * exported: users reach it through {@link dev.vcnn.engine.kernel.Kernels}.
 */
package dev.vcnn.engine.kernel.simd;
