/** The SIMD elementwise kernels: vector arithmetic and reductions, activations, and optimizer updates. */
package dev.vcnn.engine.kernel.simd.elementwise;
