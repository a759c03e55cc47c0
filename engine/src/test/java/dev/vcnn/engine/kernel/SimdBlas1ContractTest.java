package dev.vcnn.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** {@link Blas1Contract} on the Vector API kernels, at the width this JVM was started with. */
class SimdBlas1ContractTest extends Blas1Contract {
    private static final Kernels SIMD = Kernels.simd();

    @Override
    protected Blas1 impl() {
        return SIMD.blas1();
    }

    @Test
    void runsAtTheForcedWidth() {
        String forced = System.getProperty(KernelSettings.SIMD_BITS);
        if (forced != null) {
            assertEquals("simd-" + forced, SIMD.name());
        } else {
            assertEquals(true, SIMD.name().startsWith("simd-"), SIMD.name());
        }
    }
}
