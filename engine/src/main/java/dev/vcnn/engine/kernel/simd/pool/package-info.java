/** The SIMD max and average pooling, forward and backward. */
package dev.vcnn.engine.kernel.simd.pool;
