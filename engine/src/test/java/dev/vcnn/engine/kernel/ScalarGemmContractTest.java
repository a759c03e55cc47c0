package dev.vcnn.engine.kernel;

/** {@link GemmContract} on the scalar reference. */
class ScalarGemmContractTest extends GemmContract {
    @Override
    protected Gemm impl() {
        return Kernels.scalar().gemm();
    }
}
