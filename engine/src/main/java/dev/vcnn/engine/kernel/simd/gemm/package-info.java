/**
 * The SIMD GEMM: one entry ({@link dev.vcnn.engine.kernel.simd.gemm.SimdGemm}) that picks among packed, panel-by-panel,
 * column-chunk and unpacked-dot algorithms by shape, with the packing and the register-tiled micro-kernel that the
 * convolutions reuse.
 */
package dev.vcnn.engine.kernel.simd.gemm;
