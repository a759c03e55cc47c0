package dev.vcnn.engine.kernel.simd;

import dev.vcnn.engine.kernel.Kernels;

/** Builds the Vector API kernel set; loaded reflectively by {@link Kernels#simd()}. */
public final class SimdKernels {
    private SimdKernels() {}

    /** The SIMD kernels at {@link SimdSpecies#F}'s width. */
    public static Kernels create() {
        return new Kernels("simd-" + SimdSpecies.F.vectorBitSize(), new SimdBlas1(), new SimdGemm());
    }
}
