package dev.vcnn.engine.kernel;

/** {@link GemmContract} on the Vector API GEMM, at the width this JVM was started with. */
class SimdGemmContractTest extends GemmContract {
    private static final Gemm IMPL = Kernels.simd().gemm();

    @Override
    protected boolean splitsLargeProblems() {
        return true;
    }

    @Override
    protected Gemm impl() {
        return IMPL;
    }
}
