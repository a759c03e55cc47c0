/**
 * The SIMD convolutions: {@link dev.vcnn.engine.kernel.simd.conv.ConvPlanner} chooses each pass's path from the
 * geometry, and {@link dev.vcnn.engine.kernel.simd.conv.SimdConv2d} runs the plan on the direct, flat, im2col,
 * Winograd and weight-gradient kernels here.
 */
package dev.vcnn.engine.kernel.simd.conv;
