/**
 * The scalar reference kernels: the defining sums in plain loops, accumulated in double where the
 * contracts need an exact oracle.
 */
package dev.vcnn.engine.kernel.scalar;
