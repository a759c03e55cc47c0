package dev.vcnn.engine.kernel.simd;

import dev.vcnn.engine.kernel.KernelSettings;
import dev.vcnn.engine.kernel.Kernels;
import dev.vcnn.engine.kernel.simd.conv.SimdConv2d;
import dev.vcnn.engine.kernel.simd.elementwise.SimdActivations;
import dev.vcnn.engine.kernel.simd.elementwise.SimdBlas1;
import dev.vcnn.engine.kernel.simd.elementwise.SimdUpdates;
import dev.vcnn.engine.kernel.simd.gemm.SimdGemm;
import dev.vcnn.engine.kernel.simd.pool.SimdPool2d;

/** Builds the Vector API kernel set; loaded reflectively by {@link Kernels#simd()}. */
public final class SimdKernels {
    private SimdKernels() {}

    /** The SIMD kernels at {@link SimdSpecies#F}'s width. */
    public static Kernels create() {
        // Read before SimdGemm's initializer does, so a malformed value is this error, not an initializer failure.
        for (String p : new String[] {KernelSettings.GEMM_KC, KernelSettings.GEMM_MC, KernelSettings.GEMM_NC}) {
            KernelSettings.gemmBlock(p, 1);
        }
        var blas = new SimdBlas1();
        var gemm = new SimdGemm();
        return new Kernels("simd-" + SimdSpecies.F.vectorBitSize(), blas, gemm, new SimdConv2d(gemm, blas),
                new SimdPool2d(), new SimdActivations(), new SimdUpdates());
    }
}
