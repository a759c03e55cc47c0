/**
 * The kernel families (BLAS-1, GEMM, convolution, pooling, activations, losses, batch norm, dropout,
 * updates) as interfaces, and {@link dev.vcnn.engine.kernel.Kernels}, which picks the Vector API or
 * the scalar implementation.
 */
package dev.vcnn.engine.kernel;
