package dev.vcnn.engine.kernel.simd;

import dev.vcnn.engine.kernel.Kernels;

/** Builds the Vector API kernel set; loaded reflectively by {@link Kernels#simd()}. */
public final class SimdKernels {
    private SimdKernels() {}

    /** The SIMD kernels at {@link SimdSpecies#F}'s width. */
    public static Kernels create() {
        var blas = new SimdBlas1();
        var gemm = new SimdGemm();
        return new Kernels("simd-" + SimdSpecies.F.vectorBitSize(), blas, gemm, new SimdConv2d(gemm, blas),
                new ParallelPool2d(), new SimdActivations(), new SimdUpdates());
    }
}
