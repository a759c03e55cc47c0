package dev.vcnn.engine.kernel;

/** {@link Conv2dContract} on im2col + the Vector API GEMM, at the width this JVM was started with. */
class SimdConv2dContractTest extends Conv2dContract {
    private static final Conv2d IMPL = Kernels.simd().conv2d();

    @Override
    protected Conv2d impl() {
        return IMPL;
    }
}
