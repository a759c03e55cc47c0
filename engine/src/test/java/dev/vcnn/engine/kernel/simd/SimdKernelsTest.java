package dev.vcnn.engine.kernel.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.vcnn.engine.kernel.Kernels;
import dev.vcnn.engine.kernel.simd.conv.SimdConv2d;
import dev.vcnn.engine.kernel.simd.gemm.SimdGemm;
import dev.vcnn.engine.kernel.simd.pool.SimdPool2d;
import org.junit.jupiter.api.Test;

/** {@link Kernels#simd()} is the Vector API set at the one species' width, every kernel of it. */
class SimdKernelsTest {
    @Test
    void theSimdSetIsNamedByItsWidthAndHoldsTheVectorKernels() {
        Kernels k = Kernels.simd();
        assertEquals("simd-" + SimdSpecies.F.vectorBitSize(), k.name());
        assertInstanceOf(SimdGemm.class, k.gemm());
        assertInstanceOf(SimdConv2d.class, k.conv2d());
        assertInstanceOf(SimdPool2d.class, k.pool2d());
    }
}
